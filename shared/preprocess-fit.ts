/**
 * Fitting preprocessing on the training split: a streaming pass over the rows
 * that produces the PreprocessState preprocess.ts applies (clip bounds, log1p,
 * scalers, categories and their "other" slot). Only training fits; the edge
 * and every scorer only apply the state the artifact carries.
 */
import type { Feature, FeatureSpec } from "./spec.ts";
import { seededRandom, type Random } from "./random.ts";
import { numericValue, OTHER, stepWidth, type CategoricalStep, type NumericStep, type PreprocessState, type Row, type Scaler, type Step } from "./preprocess.ts";

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
