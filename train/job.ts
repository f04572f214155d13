/**
 * The training job as a function: data → spec → split → preprocessing →
 * (search) → model → (pruning, quantization) → evaluation → gates → artifact.
 * No process exits or argv here (that is `cli/`), so tests drive the whole job
 * directly.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { Thresholds } from "../shared/artifact.ts";
import type { Row } from "../shared/preprocess.ts";
import type { FeatureSpec } from "../shared/spec.ts";
import { modelCard } from "./card.ts";
import type { Progress } from "./cli/progress.ts";
import type { DatasetObserver, TestSample } from "./data/dataset.ts";
import { JobError, prepareData, type DataIO, type DataOptions } from "./data/prepare.ts";
import type { DataProfile } from "./data/profile.ts";
import { TEST, TRAIN, VALIDATION } from "./data/split.ts";
import { BinningSketch, FeatureTally, Reservoir, SPLITS } from "./evaluate/feature-stats.ts";
import type { GateSample } from "./evaluate/gate.ts";
import { baseRate, evaluate, rocAuc, type Evaluation } from "./evaluate/metrics.ts";
import { binaryHead } from "./fit/architecture.ts";
import { useBackend, type TrainBackend } from "./fit/backend.ts";
import { compress, type PruneRequest } from "./fit/compress.ts";
import { predictProba, trainModel } from "./fit/loop.ts";
import type { TrainOptions } from "./fit/options.ts";
import { monitoringCard } from "./monitor/reference.ts";
import { readPointerState } from "./registry/history.ts";
import { publishArtifact, type PublishOptions, type PublishResult } from "./registry/publish.ts";
import { buildReport } from "./report/model/build.ts";
import type { PreviousVersion } from "./report/model/card.ts";
import { packageArtifact, type Artifact } from "./store/package.ts";
import type { CurrentPointer } from "./store/publish.ts";
import type { WeightDtype } from "./store/quantize.ts";
import { createS3Client, type S3Target } from "./store/storage.ts";
import { runSearch, selectionPlan, type SearchResult, type TuneIO, type TuneOptions } from "./tune/search.ts";
import { checkTunedFeatures } from "./tune/tuned.ts";

export { JobError, loadOverrides } from "./data/prepare.ts";

export interface JobOptions extends DataOptions {
  train: TrainOptions;
  backend: TrainBackend;
  thresholds: Thresholds;
  minAuc?: number;
  modelName: string;
  dryRun: boolean;
  /** Remove hidden units after training, then fine-tune (structured pruning). */
  prune?: PruneRequest;
  /** Store the weights as float16 or uint8 (dequantized on load). */
  quantize?: WeightDtype;
  /** `train` came from this tuned.json: it must have been tuned on these features. */
  tuned?: { path: string; features: string[] };
  /** Search the model options first; `train` holds the fixed ones (max epochs, patience, seed). */
  tune?: TuneOptions;
  /** The version serving when this one was trained: the report compares with it. */
  previous?: PreviousVersion;
  /** The code that trains; by default EDGESCORE_REVISION or the git commit (registry/provenance.ts). */
  codeRevision?: string;
}

export interface JobIO extends DataIO, TuneIO {
  progress?: Progress;
}

export interface JobResult {
  spec: FeatureSpec;
  profile: DataProfile;
  artifact?: Artifact;
  test?: Evaluation;
  baseline?: Evaluation;
  seconds: number;
  /** Training-side probabilities of the test rows (parity checks), from the weights as stored. */
  testScores?: Float32Array;
  /** Test rows, labels and the new model's AUC on them, when `keepTestRows` was set (the "not worse than current" gate). */
  gate?: GateSample;
  /** The search, with --tune. */
  tuning?: SearchResult;
  /** The options the model was trained with (the winner's, with --tune). */
  train?: TrainOptions;
  /** The validation share used (0 when the search cross-validated every training row). */
  validationShare: number;
  /** The report written into the artifact: size, chart count and how long analysis + rendering took. */
  report?: { bytes: number; charts: number; seconds: number };
}

/** The gate's rows: the kept test rows, their labels, and the new model's AUC on exactly them. */
function gateSample(sample: TestSample, labels: Float32Array, scores: Float32Array): GateSample {
  const y = Float32Array.from(sample.positions, (p) => labels[p] as number);
  const p = Float32Array.from(sample.positions, (i) => scores[i] as number);
  return { rows: sample.rows, labels: y, newAuc: rocAuc(y, p) };
}

/** Test applicants kept (a seeded sample) for the report's importance and partial dependence. */
const EXPLAIN_ROWS = 2000;

/** What the report needs from the data, gathered as it streams past (never held raw). */
function reportStatistics(spec: FeatureSpec, seed: number) {
  const sketch = new BinningSketch(spec, 20_000, seed);
  const stats = { tally: undefined as FeatureTally | undefined, explainRows: new Reservoir<Row>(EXPLAIN_ROWS, seed) };
  const splitName = { [TRAIN]: SPLITS[0], [VALIDATION]: SPLITS[1], [TEST]: SPLITS[2] } as Record<number, (typeof SPLITS)[number]>;
  const observer: DatasetObserver = {
    fitRow: (row) => sketch.add(row),
    fitted: (state) => { stats.tally = new FeatureTally(sketch.binnings(10), state); },
    row: (row, label, part) => {
      stats.tally?.add(row, label, splitName[part] ?? "train");
      if (part === TEST) stats.explainRows.add(row);
    },
  };
  return { stats, observer };
}

export async function runJob(o: JobOptions, io: JobIO): Promise<JobResult> {
  const started = performance.now();
  const tune = o.tune;
  let report: ReturnType<typeof reportStatistics>["stats"] | undefined;
  const observe = (spec: FeatureSpec) => {
    const r = reportStatistics(spec, o.seed);
    report = r.stats;
    return r.observer;
  };
  const prepared = await prepareData(o, io, o.dryRun, tune ? (rows) => selectionPlan(rows, tune.folds).validationShare ?? o.validationShare : undefined, observe);
  const { spec, profile } = prepared;
  if (o.tuned) checkTunedFeatures(o.tuned, spec);
  if (!prepared.data) return { spec, profile, seconds: (performance.now() - started) / 1000, validationShare: prepared.validationShare };
  const data = prepared.data;
  // Spilled rows are temporary files: removed however the job ends.
  try {
    const validation = data.validation.n > 0 ? data.validation : undefined;

    const { backend, fallbackReason } = await useBackend(o.backend);
    if (fallbackReason) io.log(`backend: cpu (${fallbackReason})`);
    let options = o.train;
    let tuning: SearchResult | undefined;
    if (tune) {
      tuning = await runSearch(data, o.train, { ...tune, backend }, io);
      options = tuning.winner;
      io.log(tuning.table);
      io.log(`tuning: ${tuning.evaluated} trials judged (${tuning.sampled} sampled) in ${tuning.seconds.toFixed(1)} s, ${tuning.epochsTrained} epochs × folds trained, as much as ${tuning.fullLengthTrials.toFixed(1)} full-length trials${tuning.deadlineHit ? "; stopped by the time budget" : ""}`);
      io.log(`winner: ${tuning.leaderboard[0]?.config}; training it on ${data.train.n} rows for ${options.epochs} epochs${options.patience > 0 ? ` (early stopping, patience ${options.patience})` : ""}`);
    }
    if (!validation && options.patience > 0) {
      throw new JobError("early stopping needs a validation split: with --validation 0 set --patience 0 (a fixed number of --epochs)");
    }

    io.progress?.start(options.epochs);
    const fitStarted = performance.now();
    let trained;
    try {
      trained = await trainModel(data.train, validation, options, (l) => io.progress?.epoch(l));
    } finally {
      io.progress?.stop();
    }
    const fitSeconds = (performance.now() - fitStarted) / 1000;
    const epochs = trained.history.length;
    io.log(`trained on ${backend} in ${fitSeconds.toFixed(1)} s (${epochs} epochs${trained.stoppedEarly ? `, stopped early, best epoch ${trained.bestEpoch}` : ""})`);

    const small = await compress({
      model: trained.model, options, train: data.train, ...(validation ? { validation } : {}), test: data.test, log: io.log,
      ...(o.prune ? { prune: o.prune } : {}), ...(o.quantize ? { quantize: o.quantize } : {}),
    });
    const scores = predictProba(small.model, data.test);
    const rate = baseRate(data.train.y);
    const test = evaluate(data.test.y, scores, o.thresholds.decline);
    const baseline = evaluate(data.test.y, new Float32Array(data.test.n).fill(rate), o.thresholds.decline);
    const validationScores = validation ? predictProba(small.model, validation) : undefined;
    io.log(`test: AUC ${test.auc.toFixed(4)} · Gini ${test.gini.toFixed(4)} · KS ${test.ks.toFixed(4)} · Brier ${test.brier.toFixed(4)} · log loss ${test.logLoss.toFixed(4)} · accuracy ${test.accuracy.toFixed(4)}`);
    io.log(`base-rate model: Brier ${baseline.brier.toFixed(4)} · log loss ${baseline.logLoss.toFixed(4)} · accuracy ${baseline.accuracy.toFixed(4)}`);

    // Gates: publish something better than nothing, or publish nothing and say why.
    if (!(test.auc > 0.5) || !(test.logLoss < baseline.logLoss)) {
      small.model.dispose();
      throw new JobError(`the model is no better than the base rate on the test split (AUC ${test.auc.toFixed(4)}, log loss ${test.logLoss.toFixed(4)} vs ${baseline.logLoss.toFixed(4)}); not publishing`);
    }
    if (o.minAuc !== undefined && test.auc < o.minAuc) {
      small.model.dispose();
      throw new JobError(`test AUC ${test.auc.toFixed(4)} is below --min-auc ${o.minAuc}; not publishing`);
    }

    const card = modelCard({
      o: { ...o, validationShare: prepared.validationShare }, spec, profile, ignored: prepared.ignored, warnings: prepared.warnings, data, baseRate: rate, test, baseline, scores,
      ...(validationScores ? { validationScores } : {}), trained, train: options, servedHidden: small.hidden, head: binaryHead, backend, fitSeconds,
      ...(small.report ? { compression: small.report } : {}),
      ...(tuning ? { tuning: tuning.card } : o.tuned ? { tuning: { params: o.tuned.path } } : {}),
      ...(o.codeRevision ? { codeRevision: o.codeRevision } : {}),
    });
    // The report and the monitoring references describe the network as served (after pruning and quantization).
    const tally = report?.tally as FeatureTally;
    const pages = buildReport({
      name: o.modelName, spec, preprocess: data.state, thresholds: o.thresholds, model: small.model,
      labels: data.test.y, scores, test, counts: tally.counts(), sample: report?.explainRows.items ?? [],
    });
    small.model.dispose();
    card.analysis = pages.analysisCard;
    card.monitoring = monitoringCard(scores, o.thresholds, tally.counts());
    let reportInfo: JobResult["report"];
    const artifact = await packageArtifact({
      name: o.modelName, createdAt: new Date(), spec, preprocess: data.state, thresholds: o.thresholds, card: card as unknown as Record<string, unknown>, model: small.files,
      attach: (draft) => {
        const r = pages.render(draft, card, o.previous);
        reportInfo = { bytes: r.file.byteLength, charts: r.charts, seconds: r.seconds };
        io.log(`report: ${r.charts} charts, ${(r.file.byteLength / 1024).toFixed(0)} KB, analysis + rendering ${r.seconds.toFixed(2)} s`);
        return new Map([[r.name, r.file]]);
      },
    });
    return {
      spec, profile, artifact, test, baseline, testScores: scores, seconds: (performance.now() - started) / 1000, train: options, validationShare: prepared.validationShare,
      ...(reportInfo ? { report: reportInfo } : {}),
      ...(data.testSample ? { gate: gateSample(data.testSample, data.test.y, scores) } : {}),
      ...(tuning ? { tuning } : {}),
    };
  } finally {
    data.dispose();
  }
}

/**
 * Publishes through the S3 API. The pointer is read first: `beforePublish`
 * (the quality gate) and the signature guard judge against exactly that
 * version, and the pointer move fails if anyone moved the pointer since. The
 * move is recorded in the model's history (train/registry/).
 */
export async function publishTo(
  target: S3Target,
  artifact: Artifact,
  o: PublishOptions & { beforePublish?: (client: S3Client, current: CurrentPointer) => Promise<void> } = {},
): Promise<PublishResult> {
  const client = createS3Client(target);
  try {
    const l = { client, bucket: target.bucket, name: artifact.name };
    const state = await readPointerState(l);
    await o.beforePublish?.(client, { ...(state.pointer ? { pointer: state.pointer } : {}), ...(state.etag ? { etag: state.etag } : {}) });
    return await publishArtifact(l, artifact, { ...o, state });
  } finally {
    client.destroy();
  }
}
