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
import { JobError, prepareData, type DataIO, type DataOptions } from "./data/prepare.ts";
import type { DataProfile } from "./data/profile.ts";
import { baseRate, evaluate, type Evaluation } from "./evaluate/metrics.ts";
import { binaryHead } from "./fit/architecture.ts";
import { useBackend, type TrainBackend } from "./fit/backend.ts";
import { compress, type PruneRequest } from "./fit/compress.ts";
import { predictProba, trainModel } from "./fit/loop.ts";
import type { TrainOptions } from "./fit/options.ts";
import { packageArtifact, type Artifact } from "./store/package.ts";
import { publishArtifact, readPointer, type CurrentPointer, type PublishHooks, type PublishResult } from "./store/publish.ts";
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
  /** The test rows and labels, in the order of `testScores`, when `keepTestRows` was set. */
  testRows?: Row[];
  testLabels?: Float32Array;
  /** The search, with --tune. */
  tuning?: SearchResult;
  /** The options the model was trained with (the winner's, with --tune). */
  train?: TrainOptions;
  /** The validation share used (0 when the search cross-validated every training row). */
  validationShare: number;
}

export async function runJob(o: JobOptions, io: JobIO): Promise<JobResult> {
  const started = performance.now();
  const tune = o.tune;
  const prepared = await prepareData(o, io, o.dryRun, tune ? (rows) => selectionPlan(rows, tune.folds).validationShare ?? o.validationShare : undefined);
  const { spec, profile } = prepared;
  if (o.tuned) checkTunedFeatures(o.tuned, spec);
  if (!prepared.data) return { spec, profile, seconds: (performance.now() - started) / 1000, validationShare: prepared.validationShare };
  const data = prepared.data;
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
    trained = trainModel(data.train, validation, options, (l) => io.progress?.epoch(l));
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
  small.model.dispose();
  io.log(`test: AUC ${test.auc.toFixed(4)} · Gini ${test.gini.toFixed(4)} · KS ${test.ks.toFixed(4)} · Brier ${test.brier.toFixed(4)} · log loss ${test.logLoss.toFixed(4)} · accuracy ${test.accuracy.toFixed(4)}`);
  io.log(`base-rate model: Brier ${baseline.brier.toFixed(4)} · log loss ${baseline.logLoss.toFixed(4)} · accuracy ${baseline.accuracy.toFixed(4)}`);

  // Gates: publish something better than nothing, or publish nothing and say why.
  if (!(test.auc > 0.5) || !(test.logLoss < baseline.logLoss)) {
    throw new JobError(`the model is no better than the base rate on the test split (AUC ${test.auc.toFixed(4)}, log loss ${test.logLoss.toFixed(4)} vs ${baseline.logLoss.toFixed(4)}); not publishing`);
  }
  if (o.minAuc !== undefined && test.auc < o.minAuc) {
    throw new JobError(`test AUC ${test.auc.toFixed(4)} is below --min-auc ${o.minAuc}; not publishing`);
  }

  const card = modelCard({
    o: { ...o, validationShare: prepared.validationShare }, spec, profile, ignored: prepared.ignored, data, baseRate: rate, test, baseline, scores,
    ...(validationScores ? { validationScores } : {}), trained, train: options, servedHidden: small.hidden, head: binaryHead, backend, fitSeconds,
    ...(small.report ? { compression: small.report } : {}),
    ...(tuning ? { tuning: tuning.card } : o.tuned ? { tuning: { params: o.tuned.path } } : {}),
  });
  const artifact = await packageArtifact({
    name: o.modelName, createdAt: new Date(), spec, preprocess: data.state, thresholds: o.thresholds, card, model: small.files,
  });
  return {
    spec, profile, artifact, test, baseline, testScores: scores, seconds: (performance.now() - started) / 1000, train: options, validationShare: prepared.validationShare,
    ...(data.testRows ? { testRows: data.testRows, testLabels: data.test.y } : {}),
    ...(tuning ? { tuning } : {}),
  };
}

/**
 * Publishes through the S3 API. The pointer is read first: `beforePublish`
 * (the quality gate) judges against exactly that version, and the final
 * compare-and-swap fails if anyone moved the pointer since.
 */
export async function publishTo(
  target: S3Target,
  artifact: Artifact,
  hooks?: PublishHooks,
  beforePublish?: (client: S3Client, current: CurrentPointer) => Promise<void>,
): Promise<PublishResult> {
  const client = createS3Client(target);
  try {
    const current = await readPointer(client, target.bucket, artifact.name);
    await beforePublish?.(client, current);
    return await publishArtifact(client, target.bucket, artifact, current, hooks);
  } finally {
    client.destroy();
  }
}
