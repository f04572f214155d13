/**
 * Split-conformal prediction intervals (Vovk et al.; Lei et al. 2018): the
 * absolute residuals of rows the network was not fitted on (the validation
 * split) set one half-width q such that, for a new row exchangeable with
 * them, |y − ŷ| ≤ q with probability at least `level`. The residuals are
 * taken on the scale the network was fitted on (after any log1p), so with a
 * transform the interval is asymmetric in the target's units and as wide as
 * the values are large. And how often the intervals held on held-out rows,
 * overall and by decile of the predicted value.
 */
import { checkFinite, type Vector } from "./checks.ts";
import { median } from "./regression.ts";

/**
 * The ⌈(n + 1) · level⌉-th smallest of the n conformity scores. Needs
 * n ≥ level / (1 − level) rows (9 for 0.9); fewer cannot give that coverage
 * with any finite width, which is said instead of returning Infinity.
 */
export function conformalQuantile(scores: Vector, level: number): number {
  if (!(level > 0 && level < 1)) throw new Error(`conformalQuantile: level must be above 0 and below 1, got ${level}`);
  checkFinite("conformalQuantile", "scores", scores);
  const n = scores.length;
  // (9 + 1) · 0.9 is 9.000000000000002 in floating point: the rank must not round up past an exact integer.
  const k = Math.ceil((n + 1) * level - 1e-9);
  if (k > n) {
    throw new Error(`a ${Math.round(level * 1000) / 10} % prediction interval needs at least ${Math.ceil(level / (1 - level) - 1e-9)} calibration rows; the validation split has ${n}`);
  }
  return Float64Array.from(scores).sort()[k - 1]!;
}

/** Share of rows whose actual value lies in [lo, hi]. */
export function coverage(actual: Vector, lo: Vector, hi: Vector): number {
  if (actual.length === 0) return NaN;
  let inside = 0;
  for (let i = 0; i < actual.length; i++) if (actual[i]! >= lo[i]! && actual[i]! <= hi[i]!) inside++;
  return inside / actual.length;
}

export interface CoverageBin {
  bin: number;
  count: number;
  /** Range of predicted values in the bin. */
  from: number;
  to: number;
  coverage: number;
  meanWidth: number;
}

/** Interval widths hi − lo, their mean and median. */
export function widths(lo: Vector, hi: Vector): { mean: number; median: number } {
  const w = new Float64Array(lo.length);
  let s = 0;
  for (let i = 0; i < lo.length; i++) { w[i] = hi[i]! - lo[i]!; s += w[i]!; }
  return { mean: lo.length ? s / lo.length : NaN, median: median(w) };
}

/**
 * Coverage in `bins` equal-size groups of rows sorted by predicted value:
 * conformal intervals promise coverage on average, and this shows where it
 * holds (too wide for small values, too narrow for large ones, or even).
 */
export function coverageByDecile(actual: Vector, predicted: Vector, lo: Vector, hi: Vector, bins = 10): CoverageBin[] {
  if (actual.length !== predicted.length || lo.length !== actual.length || hi.length !== actual.length) throw new Error("coverageByDecile: vectors differ in length");
  const n = actual.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => predicted[a]! - predicted[b]! || a - b);
  const out: CoverageBin[] = [];
  for (let b = 0; b < bins; b++) {
    const start = Math.floor((b * n) / bins);
    const end = Math.floor(((b + 1) * n) / bins);
    if (end <= start) continue;
    let inside = 0;
    let width = 0;
    for (let k = start; k < end; k++) {
      const i = order[k]!;
      if (actual[i]! >= lo[i]! && actual[i]! <= hi[i]!) inside++;
      width += hi[i]! - lo[i]!;
    }
    out.push({ bin: b, count: end - start, from: predicted[order[start]!]!, to: predicted[order[end - 1]!]!, coverage: inside / (end - start), meanWidth: width / (end - start) });
  }
  return out;
}
