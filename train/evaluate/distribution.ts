/** Distributions and drift: quantiles, score deciles, bin shares and the population stability index. */
import { checkFinite, type Vector } from "./checks.ts";

/** The probabilities of the 9 inner decile cut points, see {@link scoreDeciles}. */
export const DECILE_PROBS: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/**
 * Floor applied to bin shares in {@link psi}: an empty bin would otherwise give
 * ln(0) = −∞, and one empty bin should raise the index, not make it infinite.
 */
export const PSI_SHARE_FLOOR = 1e-4;

/**
 * Sample quantiles by linear interpolation between order statistics (Hyndman &
 * Fan type 7, the default of numpy, R and pandas), so cut points match what an
 * analyst gets from `np.quantile` on the same data. The interpolation formula
 * also follows numpy's, to agree to the last bit.
 */
export function quantiles(values: Vector, probs: number[]): number[] {
  checkFinite("quantiles", "values", values);
  for (const p of probs) {
    if (!(p >= 0 && p <= 1)) throw new Error(`quantiles: probabilities must be in [0, 1], got ${p}`);
  }
  const sorted = Float64Array.from(values).sort();
  const last = sorted.length - 1;
  return probs.map((p) => {
    const h = last * p;
    const lo = Math.floor(h);
    const t = h - lo;
    const a = sorted[lo]!;
    const b = sorted[Math.min(lo + 1, last)]!;
    const d = b - a;
    // numpy's lerp: approach from the nearer end, which keeps results monotone in p.
    return t >= 0.5 ? b - d * (1 - t) : a + d * t;
  });
}

/**
 * The 9 inner decile cut points (10%..90%) of the scores. Stored with the model
 * at training time so that {@link psi} can later test live scores for drift
 * against the training distribution.
 */
export function scoreDeciles(scores: Vector): number[] {
  return quantiles(scores, [...DECILE_PROBS]);
}

/**
 * Share of `values` in each of the cuts.length + 1 bins defined by sorted cut
 * points: (−∞, c0], (c0, c1], …, (c_last, ∞). A value equal to a cut belongs to
 * the bin below it. Use it on the training scores to get the `expectedShares`
 * for {@link psi}: with tied scores the decile bins are not exactly 10% each.
 */
export function binShares(cuts: number[], values: Vector): number[] {
  checkCuts("binShares", cuts);
  checkFinite("binShares", "values", values);
  const counts = new Float64Array(cuts.length + 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // Binary search for the number of cuts strictly below v.
    let lo = 0;
    let hi = cuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cuts[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]!++;
  }
  return Array.from(counts, (c) => c / values.length);
}

function checkCuts(fn: string, cuts: number[]): void {
  for (let i = 0; i < cuts.length; i++) {
    const c = cuts[i]!;
    if (!Number.isFinite(c)) throw new Error(`${fn}: cut ${i} is ${c}; cuts must be finite`);
    if (i > 0 && c < cuts[i - 1]!) throw new Error(`${fn}: cuts must be sorted ascending (cut ${i} is ${c})`);
  }
}

/**
 * Population stability index of `actual` against a reference distribution
 * given as bins: Σ (a − e)·ln(a / e) over bins, with a and e the actual and
 * expected shares. Rule of thumb: < 0.1 stable, 0.1–0.25 drifting, > 0.25
 * shifted. Without `expectedShares` every bin is assumed to hold
 * 1 / (cuts.length + 1) of the reference, which is exact for decile cuts of
 * untied scores. Shares are floored at {@link PSI_SHARE_FLOOR} to avoid ln(0).
 */
export function psi(expectedCuts: number[], expectedShares: number[] | undefined, actual: Vector): number {
  const k = expectedCuts.length + 1;
  const expected = expectedShares ?? new Array<number>(k).fill(1 / k);
  if (expected.length !== k) {
    throw new Error(`psi: ${expectedCuts.length} cuts define ${k} bins but ${expected.length} expected shares were given`);
  }
  let total = 0;
  for (const e of expected) {
    if (!(e >= 0 && e <= 1)) throw new Error(`psi: expected shares must be in [0, 1], got ${e}`);
    total += e;
  }
  if (Math.abs(total - 1) > 1e-6) throw new Error(`psi: expected shares must sum to 1, got ${total}`);

  const observed = binShares(expectedCuts, actual);
  let index = 0;
  for (let b = 0; b < k; b++) {
    const a = Math.max(observed[b]!, PSI_SHARE_FLOOR);
    const e = Math.max(expected[b]!, PSI_SHARE_FLOOR);
    index += (a - e) * Math.log(a / e);
  }
  return index;
}

/**
 * {@link psi} from counts per bin of the reference and of the new sample (same
 * bins, e.g. a feature's bins on the training and the test rows), with the
 * same share floor. Bins empty in both samples add nothing.
 */
export function psiFromCounts(expected: number[], actual: number[]): number {
  if (expected.length !== actual.length) throw new Error(`psiFromCounts: ${expected.length} expected bins but ${actual.length} actual bins`);
  const e = expected.reduce((s, x) => s + x, 0);
  const a = actual.reduce((s, x) => s + x, 0);
  if (!(e > 0 && a > 0)) throw new Error(`psiFromCounts: both samples need rows (got ${e} and ${a})`);
  let index = 0;
  for (let b = 0; b < expected.length; b++) {
    if (expected[b]! < 0 || actual[b]! < 0) throw new Error(`psiFromCounts: bin ${b} has a negative count`);
    if (expected[b] === 0 && actual[b] === 0) continue;
    const pa = Math.max(actual[b]! / a, PSI_SHARE_FLOOR);
    const pe = Math.max(expected[b]! / e, PSI_SHARE_FLOOR);
    index += (pa - pe) * Math.log(pa / pe);
  }
  return index;
}
