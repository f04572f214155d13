/**
 * Preprocessing: fitted once on the training split, then applied unchanged by
 * the trainer and by the edge, so there is no train/serve skew by construction.
 * The fitted state is plain JSON that travels inside the artifact's manifest.
 */
import type { Feature, FeatureSpec } from "./spec.ts";
import { seededRandom, type Random } from "./random.ts";

/** How numeric columns are centred and scaled after clipping (and log1p). */
export type Scaler = "minmax" | "standard" | "robust";

export interface NumericStep {
  kind: "numeric";
  name: string;
  /** Imputed for a missing value: the training median. */
  fill: number;
  /** Values are clipped to [lo, hi] (training quantiles), so no input can push the model outside what it was fitted on. */
  lo: number;
  hi: number;
  /** Heavy-tailed, non-negative columns (e.g. Assets) are compressed with log1p(x - lo). */
  log: boolean;
  center: number;
  scale: number;
  /** Emit a 0/1 "was missing" column (only where training data had missing values). */
  indicator: boolean;
}

export interface CategoricalStep {
  kind: "categorical";
  name: string;
  /** One one-hot slot per category, then one "other" slot. */
  categories: string[];
  /** Slot used for a missing, rare or unseen value: "other" if training saw it often enough, else the mode's. */
  fallback: number;
  /** Most frequent training value (the reason-code baseline). */
  mode: string;
}

export type Step = NumericStep | CategoricalStep;

export interface PreprocessState {
  scaler: Scaler;
  steps: Step[];
  /** Length of the vector `transform` returns. */
  width: number;
}

export type Cell = number | string | null | undefined;
export type Row = Readonly<Record<string, Cell>>;

export const OTHER = "__other__";

/**
 * A row's own value for a feature. A nullable feature named like an
 * Object.prototype member ("constructor", "toString") that a validated row
 * leaves out is missing, not the inherited function.
 */
export const cellOf = (row: Row, name: string): Cell => (Object.hasOwn(row, name) ? row[name] : undefined);

/** Width a step contributes to the output vector. */
export function stepWidth(step: Step): number {
  return step.kind === "numeric" ? (step.indicator ? 2 : 1) : step.categories.length + 1;
}

/** Names of the output columns, in order (for model cards and debugging). */
export function outputColumns(state: PreprocessState): string[] {
  const cols: string[] = [];
  for (const s of state.steps) {
    if (s.kind === "numeric") {
      cols.push(s.name);
      if (s.indicator) cols.push(`${s.name}__missing`);
    } else {
      for (const c of s.categories) cols.push(`${s.name}=${c}`);
      cols.push(`${s.name}=${OTHER}`);
    }
  }
  return cols;
}

function numericValue(cell: Cell): number | undefined {
  if (cell === null || cell === undefined || cell === "") return undefined;
  const x = typeof cell === "number" ? cell : Number(cell);
  return Number.isFinite(x) ? x : undefined;
}

/** The scaled value of one present number (after clipping and optional log). */
export function scaleNumber(step: NumericStep, x: number): number {
  const clipped = x < step.lo ? step.lo : x > step.hi ? step.hi : x;
  const v = step.log ? Math.log1p(clipped - step.lo) : clipped;
  return (v - step.center) / step.scale;
}

/**
 * Writes the model input for `row` into `out` starting at `offset`. Missing or
 * non-finite numbers are imputed; unknown categories use the step's fallback
 * slot; so every output is finite for any input. Returns whether any value
 * was imputed, clipped or sent to a fallback slot: when false, the row has no
 * input warnings (shared/warnings.ts), so scoring skips looking for them.
 */
export function transformInto(state: PreprocessState, row: Row, out: Float32Array, offset = 0): boolean {
  let o = offset;
  let adjusted = false;
  const steps = state.steps;
  for (let k = 0; k < steps.length; k++) {
    const step = steps[k] as Step;
    // Not `cellOf` on this hot path: what a row inherits (Object.prototype's functions) is no finite number and no string, so it reads as missing here too.
    const cell = row[step.name];
    if (step.kind === "numeric") {
      const x = numericValue(cell);
      if (x === undefined || x < step.lo || x > step.hi) adjusted = true;
      out[o++] = scaleNumber(step, x ?? step.fill);
      if (step.indicator) out[o++] = x === undefined ? 1 : 0;
    } else {
      const width = step.categories.length + 1;
      for (let j = 0; j < width; j++) out[o + j] = 0;
      const i = typeof cell === "string" ? step.categories.indexOf(cell) : -1;
      if (i < 0) adjusted = true;
      out[o + (i >= 0 ? i : step.fallback)] = 1;
      o += width;
    }
  }
  return adjusted;
}

export function transform(state: PreprocessState, row: Row): Float32Array {
  const out = new Float32Array(state.width);
  transformInto(state, row, out, 0);
  return out;
}

/** The "typical applicant" each feature is reset to when explaining a score. */
export function baselineValue(step: Step): number | string {
  return step.kind === "numeric" ? step.fill : step.mode;
}

// ---------------------------------------------------------------- fitting

export interface FitOptions {
  scaler: Scaler;
  /** Clip numerics to the [q, 1-q] training quantiles (0 = observed min/max). */
  clipQuantile: number;
  /** "auto": log1p for non-negative columns whose skewness exceeds `logSkew`. */
  log: "auto" | "never";
  logSkew: number;
  /** Categories seen fewer times than this in training share the "other" slot. */
  minCategoryCount: number;
  /** Values kept per numeric column for quantiles; exact below this many rows. */
  reservoirSize: number;
  seed: number;
}

export const defaultFitOptions: FitOptions = {
  scaler: "standard",
  clipQuantile: 0.001,
  log: "auto",
  logSkew: 2,
  minCategoryCount: 10,
  reservoirSize: 100_000,
  seed: 42,
};

/** Reservoir sample (algorithm R): bounded memory however many rows stream past. */
class Reservoir {
  readonly values: Float64Array;
  seen = 0;
  constructor(size: number, private readonly random: Random) {
    this.values = new Float64Array(size);
  }
  add(x: number): void {
    if (this.seen < this.values.length) this.values[this.seen] = x;
    else {
      const j = Math.floor(this.random() * (this.seen + 1));
      if (j < this.values.length) this.values[j] = x;
    }
    this.seen++;
  }
  sorted(): Float64Array {
    return this.values.slice(0, Math.min(this.seen, this.values.length)).sort();
  }
}

/** Type-7 quantile of sorted values (numpy's default). */
function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] ?? 0;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] ?? a;
  return a + (h - lo) * (b - a);
}

/**
 * Fitted numbers stay within ±1e100, so the sums, squares and cubes taken while
 * fitting cannot overflow (a column holding 1e308 would otherwise fit an
 * Infinity centre or scale, which JSON turns into null).
 */
const FIT_BOUND = 1e100;
/** Largest |output| a fitted step may produce: finite in float32 (max ~3.4e38) for any input. */
const MAX_OUTPUT = 1e30;
const bounded = (x: number) => (x < -FIT_BOUND ? -FIT_BOUND : x > FIT_BOUND ? FIT_BOUND : x);

interface NumericAcc { feature: Feature; reservoir: Reservoir; missing: number; min: number; max: number }
interface CategoricalAcc { feature: Feature & { type: "categorical" }; counts: Map<string, number>; missing: number }

/**
 * Streaming fitter: `add` every training row (typed cells), then `finish`.
 * Memory is bounded by the reservoir size, not by the number of rows.
 */
export class PreprocessFitter {
  private readonly numeric: NumericAcc[] = [];
  private readonly categorical: CategoricalAcc[] = [];
  private rows = 0;

  constructor(private readonly spec: FeatureSpec, private readonly options: FitOptions = defaultFitOptions) {
    const random = seededRandom(options.seed);
    for (const f of spec.features) {
      if (f.type === "numeric") this.numeric.push({ feature: f, reservoir: new Reservoir(options.reservoirSize, random), missing: 0, min: Infinity, max: -Infinity });
      else this.categorical.push({ feature: f, counts: new Map(), missing: 0 });
    }
  }

  add(row: Row): void {
    this.rows++;
    for (const acc of this.numeric) {
      const x = numericValue(row[acc.feature.name]);
      if (x === undefined) { acc.missing++; continue; }
      acc.reservoir.add(x);
      if (x < acc.min) acc.min = x;
      if (x > acc.max) acc.max = x;
    }
    for (const acc of this.categorical) {
      const v = row[acc.feature.name];
      if (typeof v !== "string" || v === "") { acc.missing++; continue; }
      acc.counts.set(v, (acc.counts.get(v) ?? 0) + 1);
    }
  }

  get count(): number {
    return this.rows;
  }

  finish(): PreprocessState {
    if (this.rows === 0) throw new Error("cannot fit preprocessing on zero training rows");
    const byName = new Map<string, Step>();
    for (const acc of this.numeric) byName.set(acc.feature.name, this.fitNumeric(acc));
    for (const acc of this.categorical) byName.set(acc.feature.name, this.fitCategorical(acc));
    const steps = this.spec.features.map((f) => byName.get(f.name) as Step);
    return { scaler: this.options.scaler, steps, width: steps.reduce((w, s) => w + stepWidth(s), 0) };
  }

  private fitNumeric(acc: NumericAcc): NumericStep {
    const { clipQuantile, scaler } = this.options;
    const sorted = acc.reservoir.sorted().map(bounded);
    const name = acc.feature.name;
    if (sorted.length === 0) {
      return { kind: "numeric", name, fill: 0, lo: 0, hi: 0, log: false, center: 0, scale: 1, indicator: acc.missing > 0 };
    }
    const lo = clipQuantile > 0 ? quantileSorted(sorted, clipQuantile) : bounded(acc.min);
    const hi = clipQuantile > 0 ? quantileSorted(sorted, 1 - clipQuantile) : bounded(acc.max);
    const fill = quantileSorted(sorted, 0.5);
    const clipped = sorted.map((x) => (x < lo ? lo : x > hi ? hi : x));
    const log = this.options.log === "auto" && lo >= 0 && skewness(clipped) > this.options.logSkew;
    const v = log ? clipped.map((x) => Math.log1p(x - lo)) : clipped;
    let center: number;
    let scale: number;
    if (scaler === "minmax") {
      center = v[0] ?? 0;
      scale = (v[v.length - 1] ?? 0) - center;
    } else if (scaler === "robust") {
      center = quantileSorted(v, 0.5);
      scale = quantileSorted(v, 0.75) - quantileSorted(v, 0.25);
    } else {
      center = mean(v);
      scale = Math.sqrt(mean(v.map((x) => (x - center) ** 2)));
    }
    if (!(scale > 1e-12)) scale = 1;
    // Inputs clip to [lo, hi], so |output| <= range / scale: keep that finite in float32
    // (e.g. the robust scaler on a column that is mostly one value plus a few huge ones).
    scale = Math.max(scale, (log ? Math.log1p(hi - lo) : hi - lo) / MAX_OUTPUT);
    return { kind: "numeric", name, fill, lo, hi, log, center, scale, indicator: acc.missing > 0 };
  }

  private fitCategorical(acc: CategoricalAcc): CategoricalStep {
    const { minCategoryCount } = this.options;
    const categories = acc.feature.values.filter((v) => (acc.counts.get(v) ?? 0) >= minCategoryCount);
    let otherCount = acc.missing;
    let mode = acc.feature.values[0] ?? OTHER;
    let modeCount = -1;
    for (const [v, n] of acc.counts) {
      if (!categories.includes(v)) otherCount += n;
      if (n > modeCount) { mode = v; modeCount = n; }
    }
    const modeSlot = categories.indexOf(mode);
    const fallback = otherCount >= minCategoryCount || modeSlot < 0 ? categories.length : modeSlot;
    return { kind: "categorical", name: acc.feature.name, categories, fallback, mode };
  }
}

function mean(xs: Float64Array): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length ? s / xs.length : 0;
}

function skewness(xs: Float64Array): number {
  const m = mean(xs);
  let m2 = 0;
  let m3 = 0;
  for (const x of xs) { const d = x - m; m2 += d * d; m3 += d * d * d; }
  m2 /= xs.length || 1;
  m3 /= xs.length || 1;
  return m2 > 0 ? m3 / m2 ** 1.5 : 0;
}
