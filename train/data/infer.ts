/**
 * Turns a data profile into a feature spec: numeric vs categorical, accepted
 * ranges, vocabularies, nullability; then applies the user's overrides
 * (`--categorical`, `--ignore`, `--spec`). Every refusal names the column.
 */
import type { Feature, FeatureSpec, SpecOverrides } from "../../shared/spec.ts";
import type { TaskKind } from "../../shared/task.ts";
import { constantWarning, nearConstant } from "./constant.ts";
import { FlagConflictError } from "./errors.ts";
import type { ColumnProfile, DataProfile } from "./profile.ts";
import { sensitiveBases, sensitiveWarning } from "./sensitive.ts";
import { shellWord } from "./shell-word.ts";

export interface InferOptions {
  target: string;
  positive: string;
  /** Regression: the target is a number, no labels. Default classification. */
  task?: TaskKind;
  categorical: string[];
  ignore: string[];
  overrides?: SpecOverrides;
  /** Above this many distinct text values a column is not a category (an id? free text?). */
  maxCategories: number;
  /** Share of non-empty cells that must be numbers for a column to be numeric. */
  numericShare: number;
  /** Keep whole-number columns that look like identifiers as features (warned) instead of refusing. */
  keepIdLike?: boolean;
  /** Read for fairness analysis only: never features, never warned about as sensitive. */
  protected?: string[];
  /** Keep constant and near-constant columns as features (warned) instead of leaving them out. */
  keepConstant?: boolean;
}

/** A numeric target with more distinct values than this is a regression target unless --task says otherwise. */
export const REGRESSION_MIN_DISTINCT = 20;

/**
 * The task: `asked` (--task) when given; else regression when the target is
 * numeric (at least 90 % of its cells numbers: a few text cells are then
 * named as errors, not read as labels) with more than
 * {@link REGRESSION_MIN_DISTINCT} distinct values; else classification.
 */
export function inferTask(profile: DataProfile, target: string, asked?: TaskKind): { task: TaskKind; reason: string } {
  const col = profile.columns[profile.targetIndex] as ColumnProfile;
  if (asked) return { task: asked, reason: `--task ${asked}` };
  const distinct = col.overflow ? "over 1000" : String(col.values.size);
  if (col.present > 0 && col.numeric >= 0.9 * col.present && (col.overflow || col.values.size > REGRESSION_MIN_DISTINCT)) {
    return { task: "regression", reason: `inferred: target "${target}" is numeric with ${distinct} distinct values; --task classification to override` };
  }
  return { task: "classification", reason: `inferred: target "${target}" has ${distinct} distinct value${distinct === "1" ? "" : "s"}${col.numeric === col.present && col.present > 0 ? `; --task regression for a numeric target` : ""}` };
}

/**
 * A regression target must be a number wherever it is present, and vary: a
 * text cell is named with its line (a unit typed into the cell, a header
 * repeated mid-file), a constant column with its value. Empty cells are
 * rows whose outcome is unknown: skipped and counted like a missing label.
 */
export function checkRegressionTarget(profile: DataProfile, target: string): void {
  const col = profile.columns[profile.targetIndex] as ColumnProfile;
  if (col.present === 0) throw new Error(`${profile.source}: target "${target}" is empty in every row; a regression needs numbers to learn from`);
  if (col.numeric < col.present) {
    const t = col.firstText;
    const texts = col.present - col.numeric;
    throw new Error(
      `${profile.source}: target "${target}" of a regression must be a number in every row, but ${texts} cell${texts === 1 ? " is" : "s are"} text` +
        `${t ? `, e.g. "${t.value.slice(0, 40)}" on line ${t.line}` : ""}; fix ${texts === 1 ? "it" : "them"} (an empty cell skips the row), or use --task classification for a label column`,
    );
  }
  if (col.min === col.max) throw new Error(`${profile.source}: target "${target}" is constant (${col.min} in every row with a value): there is nothing to learn`);
}

export const defaultInferOptions: Omit<InferOptions, "target" | "positive"> = {
  categorical: [],
  ignore: [],
  maxCategories: 50,
  numericShare: 0.9,
};

/** The target must have exactly two labels, one of which is `positive`. */
export function checkLabels(profile: DataProfile, target: string, positive: string): { negative: string } {
  const labels = profile.labels;
  // A numeric target has hundreds of "labels": the most frequent few say enough.
  const SHOWN = 10;
  const shown = labels.length > SHOWN ? [...labels].sort((a, b) => b.count - a.count).slice(0, SHOWN) : labels;
  const list = shown.map((l) => `"${l.value}" (${l.count})`).join(", ") + (labels.length > SHOWN ? `, and ${labels.length - SHOWN}${labels.length >= 100 ? "+" : ""} more` : "");
  if (labels.length !== 2) {
    const col = profile.columns[profile.targetIndex];
    const numeric = labels.length > 2 && col !== undefined && col.present > 0 && col.numeric === col.present;
    throw new Error(
      `${profile.source}: target column "${target}" must have exactly two labels, found ${labels.length}${labels.length >= 100 ? "+" : ""}: ${list}` +
        `${numeric ? `; to estimate "${target}" as a number instead, add --task regression` : ""}`,
    );
  }
  const pos = labels.find((l) => l.value === positive);
  if (!pos) throw new Error(`${profile.source}: --positive "${positive}" is not a label of "${target}"; labels are ${list}`);
  return { negative: (labels.find((l) => l.value !== positive) as { value: string }).value };
}

function inferFeature(col: ColumnProfile, o: InferOptions, source: string): Feature | undefined {
  const nullable = col.missing > 0;
  if (col.present === 0) return undefined; // all empty: nothing to learn from
  const forcedCategorical = o.categorical.includes(col.name);
  if (!forcedCategorical && col.numeric > 0 && col.numeric >= o.numericShare * col.present) {
    return { name: col.name, type: "numeric", nullable, ...(col.min >= 0 ? { min: 0 } : {}) };
  }
  if (col.overflow || col.values.size > o.maxCategories) {
    const where = col.firstText ? ` (e.g. "${col.firstText.value}" on line ${col.firstText.line})` : "";
    throw new Error(
      `${source}: column "${col.name}" has ${col.overflow ? "over 1000" : col.values.size} distinct values${where}, ` +
        `too many for a category (max ${o.maxCategories}); use --ignore ${shellWord(col.name)} for an id or free text, or --spec to declare it`,
    );
  }
  const values = [...col.values.keys()].sort();
  return { name: col.name, type: "categorical", values, nullable };
}

/**
 * A whole-number column that rises in every row, or (where every value could
 * be tracked) differs in every row, is probably an identifier: as a feature it
 * would only fit noise. Refused unless `keepIdLike` (a real measurement can
 * look alike, rarely): a scheduled job has nobody reading warnings.
 */
function looksLikeId(col: ColumnProfile): boolean {
  if (col.present < 100 || col.numeric !== col.present || col.missing > 0) return false;
  const whole = [...col.values.keys()].every((v) => /^-?\d+$/.test(v));
  return whole && (col.increasing || (!col.overflow && col.values.size === col.present));
}

/**
 * A feature's name is a plain key everywhere (validator, rows, JSON), so any
 * header text will do, except two: no name at all, and `__proto__`, which a
 * JavaScript object takes as its prototype rather than as a key, so rows and
 * requests would silently lose it. Both are refused with the fix to make.
 */
function checkFeatureName(name: string, index: number, source: string): void {
  if (name === "") throw new Error(`${source}: column ${index + 1} of the header has no name: give it one, or remove the column`);
  if (name === "__proto__") {
    throw new Error(
      `${source}: column "__proto__" cannot be a feature name (JavaScript objects take it as their prototype, so rows and requests would lose it); ` +
        `rename the column (e.g. to "proto"), or leave it out with --ignore __proto__`,
    );
  }
}

/**
 * `constant`: near-constant columns left out (train/data/constant.ts).
 * Warnings: id-like columns kept, near-constant columns, and feature columns
 * whose names look like a protected characteristic (train/data/sensitive.ts).
 */
export function inferSpec(profile: DataProfile, o: InferOptions): { spec: FeatureSpec; ignored: string[]; constant: string[]; warnings: string[] } {
  const regression = o.task === "regression";
  const labels = regression ? undefined : { positive: o.positive, negative: checkLabels(profile, o.target, o.positive).negative };
  const ignore = new Set([...o.ignore, ...(o.overrides?.ignore ?? [])]);
  const columns = profile.header.join(", ");
  // A column a flag names is the flag's to fix (exit 2); one the --spec file names, the file's (exit 1).
  for (const [flag, names] of [["ignore", o.ignore], ["categorical", o.categorical]] as const) {
    const name = names.find((n) => !profile.header.includes(n));
    if (name !== undefined) throw new FlagConflictError(`${profile.source}: --${flag} names "${name}", which is not a column of the data; columns are: ${columns}`);
  }
  if (o.ignore.includes(o.target)) throw new FlagConflictError(`--ignore names "${o.target}", the target: it is never a feature anyway; leave it out of --ignore (or name another --target)`);
  for (const name of [...(o.overrides?.ignore ?? []), ...Object.keys(o.overrides?.features ?? {})]) {
    if (!profile.header.includes(name)) throw new Error(`${profile.source}: column "${name}" named in the --spec file is not in the data; columns are: ${columns}`);
  }
  const features: Feature[] = [];
  const ignored: string[] = [];
  const warnings: string[] = [];
  const idLike: string[] = [];
  const constant: string[] = [];
  const overrides = o.overrides?.features;
  const protectedColumns = new Set(o.protected ?? []);
  for (const [i, col] of profile.columns.entries()) {
    if (col.name === o.target || protectedColumns.has(col.name)) continue;
    if (ignore.has(col.name)) { ignored.push(col.name); continue; }
    const flat = col.present > 0 ? nearConstant(col) : undefined;
    if (flat) {
      warnings.push(constantWarning(flat, o.keepConstant ?? false));
      if (!o.keepConstant) { constant.push(col.name); continue; }
    }
    const inferred = inferFeature(col, o, profile.source);
    if (!inferred) { ignored.push(col.name); continue; }
    checkFeatureName(col.name, i, profile.source);
    // Own keys only: a column named "constructor" has no override unless the --spec file gives it one.
    const f = applyOverride(inferred, overrides && Object.hasOwn(overrides, col.name) ? overrides[col.name] : undefined, profile.source);
    if (f.type === "numeric" && looksLikeId(col)) {
      idLike.push(col.name);
      warnings.push(`column "${col.name}" looks like an identifier (a different whole number in every row), kept as a feature because of --keep-id-like`);
    }
    features.push(f);
  }
  if (idLike.length && !o.keepIdLike) {
    const cols = idLike.map((c) => `"${c}"`).join(", ");
    throw new Error(
      `${profile.source}: column${idLike.length > 1 ? "s" : ""} ${cols} look${idLike.length > 1 ? "" : "s"} like an identifier (a different whole number in every row); ` +
        `as a feature it would only fit noise. Leave it out with --ignore ${shellWord(idLike.join(","))}, or keep it with --keep-id-like if it is a real measurement`,
    );
  }
  if (features.length === 0) {
    throw new Error(`${profile.source}: no feature columns left besides the target "${o.target}"${constant.length ? ` (left out as near-constant: ${constant.join(", ")}; --keep-constant keeps them)` : ""}`);
  }
  for (const f of features) {
    const bases = sensitiveBases(f.name);
    if (bases.length) warnings.push(sensitiveWarning(f.name, bases, f.type === "numeric"));
  }
  return { spec: { target: o.target, ...labels, features }, ignored, constant, warnings };
}

function applyOverride(f: Feature, ov: NonNullable<SpecOverrides["features"]>[string] | undefined, source: string): Feature {
  if (!ov) return f;
  const kind = ov.type ?? f.type;
  const common = {
    name: f.name,
    nullable: ov.nullable ?? f.nullable,
    ...(ov.description !== undefined ? { description: ov.description } : {}),
    ...(ov.reason !== undefined ? { reason: ov.reason } : {}),
  };
  if (kind === "numeric") {
    if (f.type !== "numeric") throw new Error(`${source}: --spec says "${f.name}" is numeric, but its values are text`);
    const min = ov.min ?? f.min;
    const max = ov.max ?? f.max;
    if (min !== undefined && max !== undefined && min > max) throw new Error(`--spec: features.${f.name}: min ${min} is above max ${max}`);
    return { ...common, type: "numeric", ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  }
  const values = ov.values ?? (f.type === "categorical" ? f.values : undefined);
  if (!values || values.length === 0) {
    throw new Error(`--spec: features.${f.name}: a numeric column made categorical needs "values" (or use --categorical ${f.name})`);
  }
  return { ...common, type: "categorical", values };
}
