/**
 * From a CSV to encoded matrices: profile → task → spec → split (random or
 * out of time) → fitted preprocessing → train / validation / test. Shared by
 * the training job and the tuner, so both see exactly the same rows and
 * encoding.
 */
import { readFileSync } from "node:fs";
import { type } from "arktype";
import { type Scaler } from "../../shared/preprocess.ts";
import { defaultFitOptions } from "../../shared/preprocess-fit.ts";
import { labelsOf, specOverrides, type FeatureSpec, type SpecOverrides } from "../../shared/spec.ts";
import type { TaskKind } from "../../shared/task.ts";
import type { TargetTransformChoice } from "../fit/target.ts";
import type { S3Target } from "../store/storage.ts";
import { localSource, openCsvSource, readCsv, type CsvSource } from "./csv.ts";
import { buildDataset, DEFAULT_IN_MEMORY_BYTES, type Dataset, type DatasetObserver, type Matrix } from "./dataset.ts";
import { SpillDir } from "./spill.ts";
import { alongside, groupCollector, type SearchGroups, type TestGroups } from "./groups.ts";
import { checkRegressionTarget, inferSpec, inferTask } from "./infer.ts";
import { resolveSegments } from "./segments.ts";
import { describeProtected, resolveProtected, type ProtectedAttribute, type ProtectedRequest } from "./protected.ts";
import { ProxyTally } from "./proxy-tally.ts";
import { LABEL_TOO_MANY, profileCsv, type DataProfile } from "./profile.ts";
import { describePeriods, periodsOf, SplitError, stratifiedSplit, TEST, timeSplit, type Periods } from "./split.ts";
import { parseTimeValue, TimeError } from "./time.ts";

export interface DataOptions {
  data: string;
  target: string;
  positive: string;
  /** The user named --positive (a regression target has no labels: refused). */
  positiveGiven?: boolean;
  /** classification or regression; absent: inferred from the target column (inferTask). */
  task?: TaskKind;
  /** Regression: how the target is transformed before standardizing (default auto). */
  targetTransform?: TargetTransformChoice;
  /** Out-of-time split on this column (dates or numbers) instead of a random one; the column is not a feature. */
  timeColumn?: string;
  /** With timeColumn: the first time of the test period; default where the most recent test share starts. */
  testFrom?: string;
  spec?: string;
  categorical: string[];
  ignore: string[];
  /** Keep columns that look like identifiers as features instead of refusing the data. */
  keepIdLike?: boolean;
  /** Keep constant and near-constant columns as features (warned) instead of leaving them out. */
  keepConstant?: boolean;
  /** Columns read only to measure the model by group (train/data/protected.ts); never features. */
  protected?: ProtectedRequest[];
  /** Columns (features or not) whose groups the report measures the model on (train/data/segments.ts). */
  segments?: ProtectedRequest[];
  /**
   * Refuse (422 at the edge) numeric values outside the range seen in the data
   * file instead of clipping them: the spec's bounds are narrowed to it.
   */
  strictRanges?: boolean;
  /** A held-out CSV with the same columns, instead of a random test split. */
  test?: string;
  /** A CSV with one column `row`: 0-based data-row indices that form the test split. */
  testRows?: string;
  seed: number;
  /** Share of rows for validation; 0 trains on every non-test row (fixed epochs, no early stopping). */
  validationShare: number;
  testShare: number;
  scaler: Scaler;
  /** Keep the typed test rows in the result (for the "not worse than current" gate). */
  keepTestRows?: boolean;
  /** Refuse when more than this share of rows had to be skipped. */
  maxSkipped: number;
  /** Encoded rows held in memory, all splits together, in bytes; beyond it splits go to temporary files (default 256 MiB). */
  inMemoryLimitBytes?: number;
}

export interface DataIO {
  log: (line: string) => void;
  /** Where `s3://` data is read from (credentials from the environment). */
  dataTarget?: S3Target;
}

import { FlagConflictError, JobError } from "./errors.ts";

export { FlagConflictError, JobError };

export interface Prepared {
  spec: FeatureSpec;
  profile: DataProfile;
  task: TaskKind;
  /** With --time-column: each split's period. */
  periods?: Periods;
  ignored: string[];
  /** Near-constant columns left out of the features. */
  constant: string[];
  /** Protected attributes, resolved against the data. */
  protected: ProtectedAttribute[];
  /** Each test row's group under each protected attribute, in test-matrix order (absent for a dry run or without protected columns). */
  testGroups?: TestGroups[];
  /** The same for the training and validation rows (the tuner's fairness constraint). */
  searchGroups?: SearchGroups;
  /** Per protected attribute (by column), each feature's bins × groups counts over every usable row, for proxies. */
  proxyTables?: Map<string, Map<string, number[][]>>;
  /** Each test row's group under each --segments column, in test-matrix order. */
  testSegments?: TestGroups[];
  /** Warnings raised while reading the data (id-like columns kept, near-constant columns, sensitive-looking names). */
  warnings: string[];
  /** The validation share actually used (a tuner may ask for 0). */
  validationShare: number;
  /** Absent for a dry run. */
  data?: Dataset;
}

function splitGroups(all: TestGroups[], protectedCount: number): Pick<Prepared, "testGroups" | "testSegments"> {
  const testGroups = all.slice(0, protectedCount);
  const testSegments = all.slice(protectedCount);
  return { ...(testGroups.length ? { testGroups } : {}), ...(testSegments.length ? { testSegments } : {}) };
}

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
    const labels = labelsOf(spec);
    const missing = pos === 0 ? labels.positive : labels.negative;
    throw new JobError(`the ${split} split has no rows labelled "${missing}" (${m.n} rows): need both classes; add data or change the split`);
  }
}

function requireRows(m: Matrix, split: string): void {
  if (m.n === 0) throw new JobError(`the ${split} split has no rows; add data or change the split`);
}

/** Each row: 0 if it can be used (its target is there), -1 if not. Classification: its class (0/1) or -1. */
function usableRows(profile: DataProfile, spec: FeatureSpec, task: TaskKind): Int8Array {
  if (task === "regression") return profile.rowLabels.map((l) => (l >= 0 || l === LABEL_TOO_MANY ? 0 : -1));
  const positiveIndex = profile.labels.findIndex((l) => l.value === labelsOf(spec).positive);
  return profile.rowLabels.map((l) => (l < 0 ? -1 : l === positiveIndex ? 1 : 0));
}

/**
 * `validationFor(nonTestRows)`, when given, chooses the validation share once
 * the number of rows outside the test split is known (the tuner uses all of
 * them for cross-validation on small data). `observe(spec)`, when given,
 * returns an observer that sees every typed row as the data streams past (the
 * report's per-feature statistics).
 */
export async function prepareData(
  o: DataOptions, io: DataIO, dryRun = false, validationFor?: (nonTestRows: number, task: TaskKind) => number, observe?: (spec: FeatureSpec) => DatasetObserver,
): Promise<Prepared> {
  const source = openSource(o.data, io.dataTarget);
  if (o.timeColumn !== undefined && (o.test || o.testRows)) throw new JobError("--time-column chooses the test rows by time: leave out --test and --test-rows");
  if (o.timeColumn === o.target) throw new JobError(`--time-column "${o.timeColumn}" is the target; choose the column that says when each row happened`);
  let profile: DataProfile;
  try {
    profile = await profileCsv(source, o.target, o.timeColumn === undefined ? {} : { timeColumn: o.timeColumn });
  } catch (e) {
    throw e instanceof TimeError ? new JobError(e.message) : e;
  }
  io.log(`read ${profile.source}: ${profile.rows} rows, ${profile.header.length} columns, sha256 ${profile.sha256.slice(0, 12)}…`);
  const { task, reason } = inferTask(profile, o.target, o.task);
  io.log(`task: ${task} (${reason})`);
  if (task === "regression") {
    if (o.positiveGiven) throw new FlagConflictError(`--positive names a class label, but "${o.target}" is a regression target (${reason}); leave out --positive, or add --task classification`);
    checkRegressionTarget(profile, o.target);
  }
  const overrides = o.spec ? loadOverrides(o.spec) : undefined;
  const attributes = resolveProtected(o.protected ?? [], profile, o.target);
  const segments = resolveSegments(o.segments ?? [], profile, o.target);
  const inferred = inferSpec(profile, {
    target: o.target, positive: o.positive, task, categorical: o.categorical,
    ignore: o.timeColumn === undefined || o.ignore.includes(o.timeColumn) ? o.ignore : [...o.ignore, o.timeColumn],
    maxCategories: 50, numericShare: 0.9, keepIdLike: o.keepIdLike ?? false, ...(overrides ? { overrides } : {}),
    protected: attributes.map((a) => a.column), keepConstant: o.keepConstant ?? false,
  });
  const { ignored, constant, warnings } = inferred;
  const spec = o.strictRanges ? withObservedRanges(inferred.spec, profile) : inferred.spec;
  io.log(`feature spec (target "${spec.target}"${spec.positive === undefined ? ", a number" : `, positive "${spec.positive}"`}):`);
  for (const f of spec.features) {
    const col = profile.columns.find((c) => c.name === f.name);
    const range = f.type === "numeric" ? `observed ${col?.min}..${col?.max}` : `values ${f.values.join("|")}`;
    io.log(`  ${f.name.padEnd(14)} ${f.type.padEnd(11)} ${range}${col?.missing ? `, ${col.missing} missing` : ""}`);
  }
  if (ignored.length) io.log(`  ignored: ${ignored.join(", ")}`);
  if (constant.length) io.log(`  left out as near-constant: ${constant.join(", ")}`);
  if (attributes.length) io.log(`  protected (measured by group on the test split, never features): ${describeProtected(attributes)}`);
  for (const w of warnings) io.log(`warning: ${w}`);
  const columns = { ignored, constant, protected: attributes, warnings };
  if (dryRun) return { spec, profile, task, ...columns, validationShare: o.validationShare };

  // Label codes → classes (a regression's rows: one class); rows with bad shape or label are excluded (and counted later).
  const classOf = usableRows(profile, spec, task);
  const fixedTest = o.testRows ? await loadTestRows(o.testRows) : undefined;
  const fractions = (validation: number) => ({ validation, test: o.test ? 0 : o.testShare });
  let validationShare = o.validationShare;
  let split: Uint8Array;
  let periods: Periods | undefined;
  if (o.timeColumn !== undefined) {
    const timed = outOfTime(profile, classOf, o.timeColumn, o.testFrom, fractions(validationShare));
    split = timed.split;
    periods = timed.periods;
    io.log(`split: ${describePeriods(periods)}`);
  } else split = stratifiedSplit(classOf, fractions(validationShare), o.seed, fixedTest);
  if (validationFor && !periods) {
    // The test rows do not depend on the validation share (each class is shuffled once, test cut first).
    const nonTest = split.reduce((n, part, i) => n + (part !== TEST && (classOf[i] as number) >= 0 ? 1 : 0), 0);
    const chosen = validationFor(nonTest, task);
    if (chosen !== validationShare) split = stratifiedSplit(classOf, fractions(chosen), o.seed, fixedTest);
    validationShare = chosen;
  }
  const testSource = o.test ? openSource(o.test, io.dataTarget) : undefined;
  const proxies = attributes.length ? new ProxyTally(spec, profile, attributes) : undefined;
  // Segments ride along with the protected columns: one collector, split apart when done (the proxies and the
  // tuner's constraint see the protected columns only).
  const grouped = [...attributes, ...segments];
  const groups = grouped.length ? groupCollector(grouped, proxies, attributes.length) : undefined;
  const observer = groups ? alongside(observe?.(spec), groups.observer) : observe?.(spec);
  const data = await buildDataset(source, spec, split, { ...defaultFitOptions, scaler: o.scaler, seed: o.seed }, testSource, o.keepTestRows ?? false, profile.sha256, observer,
    { limitBytes: o.inMemoryLimitBytes ?? DEFAULT_IN_MEMORY_BYTES, spill: new SpillDir() });
  try {
    const used = data.train.n + data.validation.n + data.test.n;
    io.log(`rows used: ${used} (train ${data.train.n}, validation ${data.validation.n}, test ${data.test.n}); skipped ${data.skipped.count}`);
    for (const [reason, r] of data.skipped.reasons) io.log(`  skipped ${r.count}: ${reason} (e.g. ${r.examples.join("; ")})`);
    const spilled = (["train", "validation", "test"] as const).filter((k) => data[k].file);
    if (spilled.length) {
      const mib = spilled.reduce((t, k) => t + (data[k].n * data[k].width * 4) / 2 ** 20, 0);
      io.log(`encoded rows of ${spilled.join(", ")} (${mib.toFixed(0)} MiB) exceed the in-memory limit: read from temporary files, removed when the run ends`);
    }
    if (data.skipped.count > o.maxSkipped * (used + data.skipped.count)) {
      throw new JobError(`${data.skipped.count} of ${used + data.skipped.count} rows were skipped, more than --max-skipped ${o.maxSkipped}; fix the data or raise the limit`);
    }
    if (task === "classification") {
      requireBothClasses(data.train, "training", spec);
      if (validationShare > 0) requireBothClasses(data.validation, "validation", spec);
      requireBothClasses(data.test, "test", spec);
    } else {
      requireRows(data.train, "training");
      if (validationShare > 0) requireRows(data.validation, "validation");
      requireRows(data.test, "test");
    }
  } catch (e) {
    data.dispose();
    throw e;
  }
  return {
    spec, profile, task, ...columns, validationShare, data,
    ...(groups ? splitGroups(groups.done(), attributes.length) : {}),
    ...(groups && attributes.length ? { searchGroups: groups.search(attributes.length) } : {}),
    ...(proxies ? { proxyTables: proxies.tables() } : {}), ...(periods ? { periods } : {}),
  };
}

/** The out-of-time split of the profiled rows, and its periods; errors say which flag to change. */
function outOfTime(profile: DataProfile, usable: Int8Array, column: string, testFrom: string | undefined, fractions: { validation: number; test: number }): { split: Uint8Array; periods: Periods } {
  const times = profile.times as Float64Array;
  const kind = profile.timeKind ?? "number";
  let from: number | undefined;
  if (testFrom !== undefined) {
    from = parseTimeValue(kind, testFrom);
    if (from === undefined) throw new FlagConflictError(`--test-from "${testFrom}": expected ${kind === "date" ? "a date like 2020-01-31" : "a number"}, as column "${column}" holds ${kind === "date" ? "dates" : "numbers"}`);
  }
  try {
    const { split, testStart } = timeSplit(times, usable, fractions, from);
    return { split, periods: periodsOf(times, split, column, kind, testStart) };
  } catch (e) {
    if (e instanceof SplitError) throw new JobError(`--time-column ${column}${testFrom === undefined ? "" : ` --test-from ${testFrom}`}: ${e.message}`);
    throw e;
  }
}
