/**
 * Hold-out metrics of a regression model, on the target's own scale, and the
 * constant baseline every model must beat (the training mean). Pure, on typed
 * arrays, O(n log n) at worst (the median); `actual` and `predicted` must be
 * finite and of equal length, as in checks.ts.
 */
import { checkFinite, type Vector } from "./checks.ts";

/** Everything {@link evaluateRegression} reports, at full precision. */
export interface RegressionEvaluation {
  n: number;
  /** Root mean squared error. */
  rmse: number;
  /** Mean absolute error. */
  mae: number;
  /** 1 − SSE / SST around the actual values' own mean (scikit-learn's r2_score); 0 for predicting that mean. */
  r2: number;
  /** Median absolute error: robust to the few huge errors a heavy-tailed target brings. */
  medianAe: number;
  /** Mean of predicted − actual: positive when the model estimates too high on average. */
  bias: number;
  /** Mean of the actual values. */
  meanActual: number;
}

function checkPair(fn: string, actual: Vector, predicted: Vector): void {
  if (actual.length !== predicted.length) throw new Error(`${fn}: actual has ${actual.length} rows but predicted has ${predicted.length}`);
  checkFinite(fn, "actual", actual);
  checkFinite(fn, "predicted", predicted);
}

/** Median of a copy of `xs` (the mean of the middle two for an even count). */
export function median(xs: ArrayLike<number>): number {
  const s = Float64Array.from(xs).sort();
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

export function evaluateRegression(actual: Vector, predicted: Vector): RegressionEvaluation {
  checkPair("evaluateRegression", actual, predicted);
  const n = actual.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += actual[i]!;
  const meanActual = sum / n;
  let sse = 0;
  let sst = 0;
  let sae = 0;
  let se = 0;
  const abs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const e = predicted[i]! - actual[i]!;
    sse += e * e;
    sae += Math.abs(e);
    se += e;
    abs[i] = Math.abs(e);
    const d = actual[i]! - meanActual;
    sst += d * d;
  }
  // A constant actual has no variance to explain: R² is 1 for a perfect fit, else undefined → 0 (scikit-learn's convention).
  const r2 = sst > 0 ? 1 - sse / sst : sse === 0 ? 1 : 0;
  return { n, rmse: Math.sqrt(sse / n), mae: sae / n, r2, medianAe: median(abs), bias: se / n, meanActual };
}

/** The constant model: the training target's mean for every row, judged on `actual`. */
export function meanBaseline(trainMean: number, actual: Vector): RegressionEvaluation {
  return evaluateRegression(actual, new Float64Array(actual.length).fill(trainMean));
}

/** Mean of a vector (the baseline's constant). */
export function mean(xs: Vector): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length ? s / xs.length : NaN;
}
