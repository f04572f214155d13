/**
 * The training job as a function: data → spec → split → preprocessing →
 * model → evaluation → gates → artifact → publish. No process exits or argv
 * here (that is `cli.ts`), so tests drive the whole job directly.
 */
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { type } from "arktype";
import type { Thresholds } from "../shared/artifact.ts";
import { defaultFitOptions, outputColumns, type Row, type Scaler } from "../shared/preprocess.ts";
import { redactUrlCredentials } from "../shared/redact.ts";
import { specOverrides, type FeatureSpec, type SpecOverrides } from "../shared/spec.ts";
import { useBackend, type TrainBackend } from "./fit/backend.ts";
import { localSource, openCsvSource, readCsv, type CsvSource } from "./data/csv.ts";
import { buildDataset, type Matrix } from "./data/dataset.ts";
import { inferSpec } from "./data/infer.ts";
import { baseRate, evaluate, scoreDeciles, type Evaluation } from "./evaluate/metrics.ts";
import { predictProba, trainModel, type TrainOptions } from "./fit/model.ts";
import { packageArtifact, type Artifact } from "./store/package.ts";
import { profileCsv, type DataProfile } from "./data/profile.ts";
import type { Progress } from "./cli/progress.ts";
import type { S3Client } from "@aws-sdk/client-s3";
import type { CurrentPointer } from "./store/publish.ts";
import { readPointerState } from "./registry/history.ts";
import { resolveRevision } from "./registry/provenance.ts";
import { publishArtifact, type PublishOptions, type PublishResult } from "./registry/publish.ts";
import { stratifiedSplit, TEST, TRAIN, VALIDATION } from "./data/split.ts";
import { BinningSketch, FeatureTally, Reservoir, SPLITS } from "./evaluate/feature-stats.ts";
import { buildReport } from "./report/model/build.ts";
import { monitoringCard } from "./monitor/reference.ts";
import { plotVersion } from "./report/kit/index.ts";
import type { ModelCard, PreviousVersion } from "./report/model/card.ts";
import { createS3Client, type S3Target } from "./store/storage.ts";

export interface JobOptions {
  data: string;
  target: string;
  positive: string;
  spec?: string;
  categorical: string[];
  ignore: string[];
  /** Keep columns that look like identifiers as features instead of refusing the data. */
  keepIdLike?: boolean;
  /** A held-out CSV with the same columns, instead of a random test split. */
  test?: string;
  /** A CSV with one column `row`: 0-based data-row indices that form the test split. */
  testRows?: string;
  seed: number;
  validationShare: number;
  testShare: number;
  scaler: Scaler;
  train: TrainOptions;
  backend: TrainBackend;
  thresholds: Thresholds;
  minAuc?: number;
  /** Keep the typed test rows in the result (for the "not worse than current" gate). */
  keepTestRows?: boolean;
  /** Refuse when more than this share of rows had to be skipped. */
  maxSkipped: number;
  modelName: string;
  dryRun: boolean;
  /** The version serving when this one was trained: the report compares with it. */
  previous?: PreviousVersion;
  /** The code that trains; by default EDGESCORE_REVISION or the git commit (registry/provenance.ts). */
  codeRevision?: string;
  /**
   * Refuse (422) numeric values outside the range seen in the data file
   * instead of clipping them: the spec's bounds are narrowed to it.
   */
  strictRanges?: boolean;
}

export interface JobIO {
  log: (line: string) => void;
  progress?: Progress;
  /** Where `s3://` data is read from (credentials from the environment). */
  dataTarget?: S3Target;
}

export class JobError extends Error {}

export interface JobResult {
  spec: FeatureSpec;
  profile: DataProfile;
  artifact?: Artifact;
  test?: Evaluation;
  baseline?: Evaluation;
  seconds: number;
  /** Training-side probabilities of the test rows (parity checks). */
  testScores?: Float32Array;
  /** The test rows and labels, in the order of `testScores`, when `keepTestRows` was set. */
  testRows?: Row[];
  testLabels?: Float32Array;
  /** The report written into the artifact: size, chart count and how long analysis + rendering took. */
  report?: { bytes: number; charts: number; seconds: number };
}

/** Test applicants kept (a seeded sample) for the report's importance and partial dependence. */
const EXPLAIN_ROWS = 2000;

function openSource(path: string, target: S3Target | undefined): CsvSource {
  try {
    return openCsvSource(path, target);
  } catch (e) {
    throw new JobError((e as Error).message);
  }
}

/** Reads and validates a `--spec` file; errors name the file and the field. */
export function loadOverrides(path: string): SpecOverrides {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new JobError(`--spec ${path}: ${(e as Error).message}`);
  }
  const out = specOverrides(json);
  if (out instanceof type.errors) throw new JobError(`--spec ${path}: ${out.summary}`);
  return out;
}

async function loadTestRows(path: string): Promise<Set<number>> {
  const rows = new Set<number>();
  await readCsv(localSource(path), (rec, header) => {
    if (header[0] !== "row") throw new JobError(`--test-rows ${path}: expected a header "row"`);
    const n = Number(rec.fields[0]);
    if (!Number.isInteger(n) || n < 0) throw new JobError(`--test-rows ${path} line ${rec.line}: expected a row index, found "${rec.fields[0]}"`);
    rows.add(n);
  });
  return rows;
}

/** `--strict-ranges`: each numeric feature accepts only the range the data file holds (within any bounds the spec already sets). */
export function withObservedRanges(spec: FeatureSpec, profile: DataProfile): FeatureSpec {
  return {
    ...spec,
    features: spec.features.map((f) => {
      const col = profile.columns.find((c) => c.name === f.name);
      if (f.type !== "numeric" || !col || !Number.isFinite(col.min) || !Number.isFinite(col.max)) return f;
      return { ...f, min: Math.max(f.min ?? -Infinity, col.min), max: Math.min(f.max ?? Infinity, col.max) };
    }),
  };
}

function requireBothClasses(m: Matrix, split: string, spec: FeatureSpec): void {
  const pos = m.y.reduce((s, v) => s + v, 0);
  if (pos === 0 || pos === m.n) {
    const missing = pos === 0 ? spec.positive : spec.negative;
    throw new JobError(`the ${split} split has no rows labelled "${missing}" (${m.n} rows): need both classes; add data or change the split`);
  }
}

export async function runJob(o: JobOptions, io: JobIO): Promise<JobResult> {
  const started = performance.now();
  const source = openSource(o.data, io.dataTarget);
  const profile = await profileCsv(source, o.target);
  io.log(`read ${profile.source}: ${profile.rows} rows, ${profile.header.length} columns, sha256 ${profile.sha256.slice(0, 12)}…`);
  const overrides = o.spec ? loadOverrides(o.spec) : undefined;
  const inferred = inferSpec(profile, {
    target: o.target, positive: o.positive, categorical: o.categorical, ignore: o.ignore,
    maxCategories: 50, numericShare: 0.9, keepIdLike: o.keepIdLike ?? false, ...(overrides ? { overrides } : {}),
  });
  const { ignored, warnings } = inferred;
  const spec = o.strictRanges ? withObservedRanges(inferred.spec, profile) : inferred.spec;
  io.log(`feature spec (target "${spec.target}", positive "${spec.positive}"):`);
  for (const f of spec.features) {
    const col = profile.columns.find((c) => c.name === f.name);
    const range = f.type === "numeric" ? `observed ${col?.min}..${col?.max}` : `values ${f.values.join("|")}`;
    io.log(`  ${f.name.padEnd(14)} ${f.type.padEnd(11)} ${range}${col?.missing ? `, ${col.missing} missing` : ""}`);
  }
  if (ignored.length) io.log(`  ignored: ${ignored.join(", ")}`);
  for (const w of warnings) io.log(`warning: ${w}`);
  if (o.dryRun) return { spec, profile, seconds: (performance.now() - started) / 1000 };

  // Label codes → classes; rows with bad shape or label are excluded (and counted later).
  const positiveIndex = profile.labels.findIndex((l) => l.value === spec.positive);
  const classOf = profile.rowLabels.map((l) => (l < 0 ? -1 : l === positiveIndex ? 1 : 0));
  const fixedTest = o.testRows ? await loadTestRows(o.testRows) : undefined;
  const split = stratifiedSplit(classOf, { validation: o.validationShare, test: o.test ? 0 : o.testShare }, o.seed, fixedTest);
  const testSource = o.test ? openSource(o.test, io.dataTarget) : undefined;
  // Per-feature statistics for the report, gathered as the data streams past (never held raw).
  const sketch = new BinningSketch(spec, 20_000, o.seed);
  let tally: FeatureTally | undefined;
  const explainRows = new Reservoir<Row>(EXPLAIN_ROWS, o.seed);
  const splitName = { [TRAIN]: SPLITS[0], [VALIDATION]: SPLITS[1], [TEST]: SPLITS[2] } as Record<number, (typeof SPLITS)[number]>;
  const data = await buildDataset(source, spec, split, { ...defaultFitOptions, scaler: o.scaler, seed: o.seed }, testSource, o.keepTestRows ?? false, profile.sha256, {
    fitRow: (row) => sketch.add(row),
    fitted: (state) => { tally = new FeatureTally(sketch.binnings(10), state); },
    row: (row, label, part) => {
      tally?.add(row, label, splitName[part] ?? "train");
      if (part === TEST) explainRows.add(row);
    },
  });
  const used = data.train.n + data.validation.n + data.test.n;
  io.log(`rows used: ${used} (train ${data.train.n}, validation ${data.validation.n}, test ${data.test.n}); skipped ${data.skipped.count}`);
  for (const [reason, r] of data.skipped.reasons) io.log(`  skipped ${r.count}: ${reason} (e.g. ${r.examples.join("; ")})`);
  if (data.skipped.count > o.maxSkipped * (used + data.skipped.count)) {
    throw new JobError(`${data.skipped.count} of ${used + data.skipped.count} rows were skipped, more than --max-skipped ${o.maxSkipped}; fix the data or raise the limit`);
  }
  requireBothClasses(data.train, "training", spec);
  requireBothClasses(data.validation, "validation", spec);
  requireBothClasses(data.test, "test", spec);

  const { backend, fallbackReason } = await useBackend(o.backend);
  if (fallbackReason) io.log(`backend: cpu (${fallbackReason})`);
  io.progress?.start(o.train.epochs);
  const fitStarted = performance.now();
  let trained;
  try {
    trained = trainModel(data.train, data.validation, o.train, (l) => io.progress?.epoch(l));
  } finally {
    io.progress?.stop();
  }
  const fitSeconds = (performance.now() - fitStarted) / 1000;
  const epochs = trained.history.length;
  io.log(`trained on ${backend} in ${fitSeconds.toFixed(1)} s (${epochs} epochs${trained.stoppedEarly ? `, stopped early, best epoch ${trained.bestEpoch}` : ""})`);

  const scores = predictProba(trained.model, data.test);
  const rate = baseRate(data.train.y);
  const test = evaluate(data.test.y, scores, o.thresholds.decline);
  const baseline = evaluate(data.test.y, new Float32Array(data.test.n).fill(rate), o.thresholds.decline);
  const validationScores = predictProba(trained.model, data.validation);
  io.log(`test: AUC ${test.auc.toFixed(4)} · Gini ${test.gini.toFixed(4)} · KS ${test.ks.toFixed(4)} · Brier ${test.brier.toFixed(4)} · log loss ${test.logLoss.toFixed(4)} · accuracy ${test.accuracy.toFixed(4)}`);
  io.log(`base-rate model: Brier ${baseline.brier.toFixed(4)} · log loss ${baseline.logLoss.toFixed(4)} · accuracy ${baseline.accuracy.toFixed(4)}`);

  // Gates: publish something better than nothing, or publish nothing and say why.
  if (!(test.auc > 0.5) || !(test.logLoss < baseline.logLoss)) {
    throw new JobError(`the model is no better than the base rate on the test split (AUC ${test.auc.toFixed(4)}, log loss ${test.logLoss.toFixed(4)} vs ${baseline.logLoss.toFixed(4)}); not publishing`);
  }
  if (o.minAuc !== undefined && test.auc < o.minAuc) {
    throw new JobError(`test AUC ${test.auc.toFixed(4)} is below --min-auc ${o.minAuc}; not publishing`);
  }

  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  const card: ModelCard = {
    description: `Probability that an applicant's "${spec.target}" is "${spec.positive}".`,
    data: {
      source: redactUrlCredentials(profile.source), sha256: profile.sha256, bytes: profile.bytes, rows: profile.rows,
      used: { train: data.train.n, validation: data.validation.n, test: data.test.n },
      skipped: data.skipped.toJSON(), ignoredColumns: ignored, warnings,
      split: o.test ? `test file ${o.test}` : o.testRows ? `fixed test rows from ${o.testRows}` : `stratified random, seed ${o.seed}`,
      baseRate: round(rate),
      profile: Object.fromEntries(spec.features.map((f) => {
        const c = profile.columns.find((col) => col.name === f.name);
        return [f.name, f.type === "numeric"
          ? { min: c?.min, max: c?.max, missing: c?.missing }
          : { counts: Object.fromEntries(c?.values ?? []), missing: c?.missing }];
      })),
    },
    metrics: { test, baseRate: baseline, validation: { auc: round(trained.history[trained.bestEpoch - 1]?.valAuc ?? NaN), logLoss: round(trained.history[trained.bestEpoch - 1]?.valLoss ?? NaN) } },
    scoreDeciles: { test: scoreDeciles(scores), validation: scoreDeciles(validationScores) },
    training: {
      backend, strictRanges: o.strictRanges ?? false, seconds: round(fitSeconds), epochsRun: epochs, bestEpoch: trained.bestEpoch, stoppedEarly: trained.stoppedEarly,
      hyperparameters: { ...o.train, optimizer: "adam", loss: "binary cross-entropy", scaler: o.scaler },
      inputColumns: outputColumns(data.state),
      curves: {
        loss: trained.history.map((h) => round(h.loss)),
        valLoss: trained.history.map((h) => round(h.valLoss)),
        valAuc: trained.history.map((h) => round(h.valAuc)),
        trainAuc: trained.history.map((h) => round(h.trainAuc)),
      },
    },
    // The trainer's code revision, for the card and the audit log (EDGESCORE_REVISION or git; null when unknown).
    code: { revision: o.codeRevision ?? resolveRevision() },
    libraries: { "@tensorflow/tfjs-core": tf.version_core, "@observablehq/plot": plotVersion(), node: process.versions.node },
  };
  const report = buildReport({
    name: o.modelName, spec, preprocess: data.state, thresholds: o.thresholds, model: trained.model,
    labels: data.test.y, scores, test, counts: (tally as FeatureTally).counts(), sample: explainRows.items,
  });
  card.analysis = report.analysisCard;
  card.monitoring = monitoringCard(scores, o.thresholds, (tally as FeatureTally).counts());
  let reportInfo: JobResult["report"];
  const artifact = await packageArtifact({
    name: o.modelName, createdAt: new Date(), spec, preprocess: data.state, thresholds: o.thresholds, card: card as unknown as Record<string, unknown>, model: trained.model,
    attach: (draft) => {
      const r = report.render(draft, card, o.previous);
      reportInfo = { bytes: r.file.byteLength, charts: r.charts, seconds: r.seconds };
      io.log(`report: ${r.charts} charts, ${(r.file.byteLength / 1024).toFixed(0)} KB, analysis + rendering ${r.seconds.toFixed(2)} s`);
      return new Map([[r.name, r.file]]);
    },
  });
  trained.model.dispose();
  return {
    spec, profile, artifact, test, baseline, testScores: scores, seconds: (performance.now() - started) / 1000, ...(reportInfo ? { report: reportInfo } : {}),
    ...(data.testRows ? { testRows: data.testRows, testLabels: data.test.y } : {}),
  };
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
