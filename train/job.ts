/**
 * The training job as a function: data → spec → split → preprocessing →
 * (search) → model → (pruning, quantization) → evaluation → gates → artifact.
 * What happens after the network is trained depends on the task
 * (train/tasks/: a classifier's or a regression's evaluation, gates, card and
 * report). No process exits or argv here (that is `cli/`), so tests drive the
 * whole job directly.
 */
import type { Signing } from "../shared/signing.ts";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Thresholds } from "../shared/artifact.ts";
import type { Scores } from "../shared/predict.ts";
import type { Row } from "../shared/preprocess.ts";
import type { FeatureSpec } from "../shared/spec.ts";
import type { TaskKind } from "../shared/task.ts";
import type { Progress } from "./cli/progress.ts";
import type { CardNarrative } from "./data/card-file.ts";
import type { DatasetObserver, Matrix, Dataset } from "./data/dataset.ts";
import { FlagConflictError, JobError, prepareData, type DataIO, type DataOptions, type Prepared } from "./data/prepare.ts";
import type { DataProfile } from "./data/profile.ts";
import { TEST, TRAIN, VALIDATION } from "./data/split.ts";
import { BinningSketch, FeatureTally, Reservoir, SPLITS } from "./evaluate/feature-stats.ts";
import type { GateSample } from "./evaluate/gate.ts";
import type { Evaluation } from "./evaluate/metrics.ts";
import type { RegressionEvaluation } from "./evaluate/regression.ts";
import { binaryHead, headWithLoss, regressionHead, type Head } from "./fit/architecture.ts";
import { useBackend, type TrainBackend } from "./fit/backend.ts";
import { compress, type Compressed, type PruneRequest } from "./fit/compress.ts";
import type { EngineName } from "./fit/engine.ts";
import { trainModel, type Trained } from "./fit/loop.ts";
import { describeOptions, type TrainOptions } from "./fit/options.ts";
import { fitTarget, TargetError } from "./fit/target.ts";
import { readPointerState } from "./registry/history.ts";
import { publishArtifact, type PublishOptions, type PublishResult } from "./registry/publish.ts";
import type { PreviousVersion } from "./report/model/card.ts";
import type { Artifact } from "./store/package.ts";
import type { CurrentPointer } from "./store/publish.ts";
import type { WeightDtype } from "./store/quantize.ts";
import { createS3Client, type S3Target } from "./store/storage.ts";
import { finishClassification } from "./tasks/classification.ts";
import type { FairnessCard, RegressionFairnessCard } from "./tasks/fairness.ts";
import { finishRegression } from "./tasks/regression.ts";
import { runSearch, selectionPlan, type SearchResult, type TuneIO, type TuneOptions } from "./tune/search.ts";
import { checkTunedFeatures } from "./tune/tuned.ts";

export { JobError, loadOverrides } from "./data/prepare.ts";

export interface JobOptions extends DataOptions {
  train: TrainOptions;
  backend: TrainBackend;
  /** A classifier's decision thresholds (a regression has none). */
  thresholds: Thresholds;
  minAuc?: number;
  /** Regression: nominal coverage of the prediction interval (default 0.9). */
  interval?: number;
  /** Regression: refuse to publish below this test R². */
  minR2?: number;
  modelName: string;
  dryRun: boolean;
  /** Remove hidden units after training, then fine-tune (structured pruning). */
  prune?: PruneRequest;
  /** Store the weights as float16 or uint8 (dequantized on load). */
  quantize?: WeightDtype;
  /** `train` came from this tuned.json: it must have been tuned on these features. */
  tuned?: { path: string; features: string[]; task?: TaskKind };
  /** Search the model options first; `train` holds the fixed ones (max epochs, patience, seed). */
  tune?: TuneOptions;
  /** A finished search that kept the default: recorded in the card and result; `train` is trained as without a search. */
  searched?: SearchResult;
  /** The model card's narrative from --card (intended use, limitations, owner, approval). */
  narrative?: CardNarrative;
  /** The version serving when this one was trained: the report compares with it. */
  previous?: PreviousVersion;
  /** The code that trains; by default EDGESCORE_REVISION or the git commit (registry/provenance.ts). */
  codeRevision?: string;
  /** Flags given that only one task understands (e.g. --min-auc): refused when the data turns out to be the other task. */
  taskFlags?: Partial<Record<TaskKind, string[]>>;
}

export interface JobIO extends DataIO, TuneIO {
  progress?: Progress;
}

export interface JobResult {
  spec: FeatureSpec;
  profile: DataProfile;
  task: TaskKind;
  artifact?: Artifact;
  /** The final fit: which engine ran it (and why not simd, when auto chose tfjs), its seconds and epochs. */
  fit?: { engine: EngineName; engineReason?: string; seconds: number; epochs: number };
  /** A classifier's test metrics and its base-rate model's. */
  test?: Evaluation;
  baseline?: Evaluation;
  /** A regression's test metrics, the training mean's, and the interval on the test split. */
  regression?: { test: RegressionEvaluation; baseline: RegressionEvaluation; interval: { level: number; halfWidth: number; coverage: number } };
  seconds: number;
  /** Warnings raised while reading the data (also in the card's `data.warnings`). */
  warnings: string[];
  /** Per protected attribute, the model's metrics by group on the test split (also the card's `fairness`). */
  fairness?: FairnessCard;
  /** A regression model's metrics by group on the test split (also its card's `fairness`): bias, errors, coverage. */
  regressionFairness?: RegressionFairnessCard;
  /** Training-side answers for the test rows (parity checks), from the weights as stored: probabilities, or a regression's values. */
  testScores?: Scores;
  /** A regression's prediction intervals for the test rows, in the order of `testScores`. */
  testIntervals?: { lo: Float64Array; hi: Float64Array };
  /** Test rows, labels (0/1, or a regression's target) and the new model's AUC or RMSE on them, when `keepTestRows` was set (the "not worse than current" gate). */
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

/** Test applicants kept (a seeded sample) for the report's importance and partial dependence. */
const EXPLAIN_ROWS = 2000;

/** What the report needs from the data, gathered as it streams past (never held raw). */
function reportStatistics(spec: FeatureSpec, seed: number) {
  const sketch = new BinningSketch(spec, 20_000, seed);
  const stats = { tally: undefined as FeatureTally | undefined, explainRows: new Reservoir<Row>(EXPLAIN_ROWS, seed) };
  const splitName = { [TRAIN]: SPLITS[0], [VALIDATION]: SPLITS[1], [TEST]: SPLITS[2] } as Record<number, (typeof SPLITS)[number]>;
  // A regression spec has no labels: its rows are tallied with their target's value.
  const regression = spec.positive === undefined;
  const observer: DatasetObserver = {
    fitRow: (row) => sketch.add(row),
    fitted: (state) => { stats.tally = new FeatureTally(sketch.binnings(10), state); },
    row: (row, label, part) => {
      if (regression) stats.tally?.add(row, 0, splitName[part] ?? "train", label);
      else stats.tally?.add(row, label, splitName[part] ?? "train");
      if (part === TEST) stats.explainRows.add(row);
    },
  };
  return { stats, observer };
}

export type ReportStats = ReturnType<typeof reportStatistics>["stats"];

/** Everything the task-specific end of the job works from: the data, the trained and compressed network, how it was made. */
export interface Fitted {
  o: JobOptions;
  io: JobIO;
  prepared: Prepared;
  data: Dataset;
  validation?: Matrix;
  head: Head;
  trained: Trained;
  small: Compressed;
  options: TrainOptions;
  backend: TrainBackend;
  fitSeconds: number;
  tuning?: SearchResult;
  report: ReportStats;
  /** Regression: why the target was (not) transformed. */
  targetReason?: string;
  started: number;
}

/** The flags that gate a publish on test metrics, per task. */
const GATE_FLAGS: Record<TaskKind, string[]> = { classification: ["min-auc", "max-auc-drop"], regression: ["min-r2", "max-rmse-increase"] };

export async function runJob(o: JobOptions, io: JobIO): Promise<JobResult> {
  const started = performance.now();
  const tune = o.tune;
  let report: ReportStats | undefined;
  const observe = (spec: FeatureSpec) => {
    const r = reportStatistics(spec, o.seed);
    report = r.stats;
    return r.observer;
  };
  // A regression keeps its validation split even when the search cross-validates: it calibrates the intervals.
  const validationFor = tune ? (rows: number, task: TaskKind) => (task === "regression" ? o.validationShare : selectionPlan(rows, tune.folds).validationShare ?? o.validationShare) : undefined;
  const prepared = await prepareData(o, io, o.dryRun, validationFor, observe);
  const { spec, profile, task } = prepared;
  const foreign = o.taskFlags?.[task === "regression" ? "classification" : "regression"] ?? [];
  if (foreign.length) {
    const other = task === "regression" ? "classification" : "regression";
    // A quality gate of the other task has a counterpart here; any other flag is just left out.
    const gate = foreign.some((f) => GATE_FLAGS[other].includes(f)) ? ` (the gates of a ${task} model are --${GATE_FLAGS[task].join(" / --")})` : "";
    throw new FlagConflictError(`${foreign.map((f) => `--${f}`).join(", ")} appl${foreign.length === 1 ? "ies" : "y"} to ${other} models, but "${spec.target}" is a ${task} target; leave ${foreign.length === 1 ? "it" : "them"} out${gate}, or add --task ${other}`);
  }
  if (o.tuned) checkTunedFeatures(o.tuned, spec);
  if (!prepared.data) return { spec, profile, task, seconds: (performance.now() - started) / 1000, warnings: prepared.warnings, validationShare: prepared.validationShare };
  const data = prepared.data;
  // Spilled rows are temporary files: closed however the job ends.
  try {
    const validation = data.validation.n > 0 ? data.validation : undefined;
    if (task === "regression" && !validation) {
      throw new JobError("a regression model calibrates its prediction intervals on the validation split: keep --validation above 0 (e.g. 0.1)");
    }

    const { backend, fallbackReason } = await useBackend(o.backend);
    if (fallbackReason) io.log(`backend: cpu (${fallbackReason})`);
    let head = binaryHead;
    let targetReason: string | undefined;
    if (task === "regression") {
      try {
        // A transform among the model options (tuned.json) wins over the data flag's.
        const fitted = fitTarget(data.train.y, o.train.targetTransform ?? o.targetTransform ?? "auto", spec.target);
        head = regressionHead(fitted.target);
        targetReason = fitted.reason;
        const t = fitted.target;
        io.log(`target "${spec.target}": ${t.transform === "none" ? "as is" : t.transform} (${fitted.reason}), standardized with mean ${t.mean.toPrecision(6)} and std ${t.std.toPrecision(6)} on the ${data.train.n} training rows`);
      } catch (e) {
        throw e instanceof TargetError ? new JobError(e.message) : e;
      }
    }
    let options = o.train;
    let tuning: SearchResult | undefined = o.searched;
    if (tune) {
      // Out of time, trials are judged on the validation period, not on folds that mix the periods.
      if (prepared.periods && (tune.folds ?? 1) > 1) throw new JobError("--folds: cross-validation would mix the periods of an out-of-time split; trials are judged on its validation period (leave out --folds)");
      const groups = prepared.searchGroups && task === "classification" ? { groups: prepared.searchGroups, thresholds: o.thresholds } : {};
      tuning = await runSearch(data, o.train, { ...tune, backend, head: head.spec, ...(prepared.periods ? { folds: 1 } : {}), ...groups }, io);
      options = tuning.winner;
      io.log(tuning.table);
      io.log(`tuning: ${tuning.evaluated} trials judged (${tuning.sampled} sampled) in ${tuning.seconds.toFixed(1)} s, ${tuning.epochsTrained} epochs × folds trained, as much as ${tuning.fullLengthTrials.toFixed(1)} full-length trials${tuning.deadlineHit ? "; stopped by the time budget" : ""}`);
      if (tuning.kept === "default" && prepared.validationShare !== o.validationShare) {
        // The default is trained exactly as `npm run train` trains it: its own validation split and early stopping.
        io.log(`winner: the default configuration; training it as npm run train does (validation share ${o.validationShare})`);
        const again = await runJob({ ...o, tune: undefined, searched: tuning }, io);
        return { ...again, tuning };
      }
      io.log(`winner: ${tuning.kept === "default" ? "the default configuration" : tuning.kept === "linear" ? `the ${task === "regression" ? "linear" : "logistic"} model, ${describeOptions(options, task === "regression")}` : tuning.leaderboard[0]?.config}; training it on ${data.train.n} rows for ${options.epochs} epochs${options.patience > 0 ? ` (early stopping, patience ${options.patience})` : ""}`);
    }
    if (task === "regression" && options.targetTransform && head.spec.kind === "regression" && options.targetTransform !== head.spec.target.transform) {
      const fitted = fitTarget(data.train.y, options.targetTransform, spec.target);
      head = regressionHead(fitted.target);
      targetReason = `${fitted.reason} (the search's choice)`;
      io.log(`target "${spec.target}": ${fitted.target.transform === "none" ? "as is" : fitted.target.transform} (the search's choice), standardized with mean ${fitted.target.mean.toPrecision(6)} and std ${fitted.target.std.toPrecision(6)}`);
    }
    head = headWithLoss(head, options.loss);
    if (!validation && options.patience > 0) {
      throw new JobError("early stopping needs a validation split: with --validation 0 set --patience 0 (a fixed number of --epochs)");
    }

    io.progress?.start(options.epochs);
    const fitStarted = performance.now();
    let trained;
    try {
      trained = await trainModel(data.train, validation, options, (l) => io.progress?.epoch(l), undefined, head);
    } finally {
      io.progress?.stop();
    }
    const fitSeconds = (performance.now() - fitStarted) / 1000;
    const epochs = trained.history.length;
    const ran = trained.engine === "tfjs" ? `the tfjs engine on ${backend}` : `the ${trained.engine} engine`;
    io.log(`trained with ${ran} in ${fitSeconds.toFixed(1)} s (${epochs} epochs${trained.stoppedEarly ? `, stopped early, best epoch ${trained.bestEpoch}` : ""})${trained.engineReason ? `; not simd: ${trained.engineReason}` : ""}`);

    const small = await compress({
      model: trained.model, options, train: data.train, ...(validation ? { validation } : {}), test: data.test, log: io.log, head,
      ...(o.prune ? { prune: o.prune } : {}), ...(o.quantize ? { quantize: o.quantize } : {}),
    });
    const fitted: Fitted = {
      o, io, prepared, data, ...(validation ? { validation } : {}), head, trained, small, options, backend, fitSeconds,
      ...(tuning ? { tuning } : {}), report: report as ReportStats, ...(targetReason ? { targetReason } : {}), started,
    };
    const result = await (task === "regression" ? finishRegression(fitted) : finishClassification(fitted));
    return { ...result, fit: { engine: trained.engine, ...(trained.engineReason ? { engineReason: trained.engineReason } : {}), seconds: fitSeconds, epochs } };
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
  o: PublishOptions & { beforePublish?: (client: S3Client, current: CurrentPointer) => Promise<void>; signing?: Signing } = {},
): Promise<PublishResult> {
  const client = createS3Client(target);
  try {
    const l = { client, bucket: target.bucket, name: artifact.name, ...(o.signing ? { signing: o.signing } : {}) };
    const state = await readPointerState(l);
    await o.beforePublish?.(client, { ...(state.pointer ? { pointer: state.pointer } : {}), ...(state.etag ? { etag: state.etag } : {}) });
    return await publishArtifact(l, artifact, { ...o, state });
  } finally {
    client.destroy();
  }
}
