/** Metrics of the probabilities themselves: Brier, log loss, confusion at a threshold, calibration, base rate. */
import { checkLabels, checkPair, type Vector } from "./checks.ts";

/** Result of {@link confusion}. */
export interface Confusion {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  accuracy: number;
  /** tp / (tp + fp); 0 when nothing is predicted positive. */
  precision: number;
  /** tp / (tp + fn), the true-positive rate; 0 when there are no positives. */
  recall: number;
  /** tn / (tn + fp), 1 − false-positive rate; 0 when there are no negatives. */
  specificity: number;
}

/** One row of a reliability table, see {@link calibration}. */
export interface CalibrationBin {
  /** 0-based index of the equal-count bin (0 = lowest scores). */
  bin: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
  minScore: number;
  maxScore: number;
}

/** Brier score: mean squared error of the probabilities (0 is perfect, lower is better). */
export function brier(labels: Vector, scores: Vector): number {
  checkPair("brier", labels, scores);
  return brierUnchecked(labels, scores);
}

export function brierUnchecked(labels: Vector, scores: Vector): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const d = scores[i]! - labels[i]!;
    sum += d * d;
  }
  return sum / labels.length;
}

/**
 * Mean negative log-likelihood (cross-entropy, natural log). Scores are clipped
 * to [eps, 1 − eps] so a single confident mistake costs about −ln(eps) instead
 * of making the mean infinite.
 */
export function logLoss(labels: Vector, scores: Vector, eps = 1e-15): number {
  checkPair("logLoss", labels, scores);
  return logLossUnchecked(labels, scores, eps);
}

export function logLossUnchecked(labels: Vector, scores: Vector, eps: number): number {
  if (!(eps > 0 && eps < 0.5)) throw new Error(`logLoss: eps must be in (0, 0.5), got ${eps}`);
  const lo = eps;
  const hi = 1 - eps;
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const s = Math.min(hi, Math.max(lo, scores[i]!));
    sum -= labels[i] === 1 ? Math.log(s) : Math.log(1 - s);
  }
  return sum / labels.length;
}

/**
 * Confusion matrix at a decision threshold; a row is predicted positive when
 * score >= threshold. A ratio whose denominator is 0 (e.g. precision when
 * nothing is predicted positive) is reported as 0 rather than NaN, so reports
 * and JSON stay numeric; read it together with the counts.
 */
export function confusion(labels: Vector, scores: Vector, threshold: number): Confusion {
  checkPair("confusion", labels, scores);
  return confusionUnchecked(labels, scores, threshold);
}

export function confusionUnchecked(labels: Vector, scores: Vector, threshold: number): Confusion {
  if (Number.isNaN(threshold)) throw new Error("confusion: threshold is NaN");
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = scores[i]! >= threshold;
    if (labels[i] === 1) {
      if (predicted) tp++;
      else fn++;
    } else if (predicted) fp++;
    else tn++;
  }
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  return {
    threshold,
    tp,
    fp,
    tn,
    fn,
    accuracy: ratio(tp + tn, labels.length),
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    specificity: ratio(tn, tn + fp),
  };
}

/**
 * Reliability table: rows sorted by score and cut into `bins` equal-count bins
 * (deciles by default), bin b holding sorted positions
 * [floor(b·n/bins), floor((b+1)·n/bins)). A calibrated model has
 * meanPredicted ≈ observedRate in every bin. Equal-count bins keep every bin
 * statistically meaningful even when scores bunch up near 0, which fixed-width
 * bins do not. Tied scores straddling a bin edge are split by row order, so
 * the table is deterministic. Empty bins (only when n < bins) are omitted.
 */
export function calibration(labels: Vector, scores: Vector, bins = 10): CalibrationBin[] {
  checkPair("calibration", labels, scores);
  return calibrationUnchecked(labels, scores, bins);
}

export function calibrationUnchecked(labels: Vector, scores: Vector, bins: number): CalibrationBin[] {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new Error(`calibration: bins must be a positive integer, got ${bins}`);
  }
  const n = labels.length;
  const s = Float64Array.from(scores);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => s[a]! - s[b]! || a - b);

  const table: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const start = Math.floor((b * n) / bins);
    const end = Math.floor(((b + 1) * n) / bins);
    if (end === start) continue;
    let scoreSum = 0;
    let positives = 0;
    for (let k = start; k < end; k++) {
      const i = order[k]!;
      scoreSum += s[i]!;
      positives += labels[i]!;
    }
    const count = end - start;
    table.push({
      bin: b,
      count,
      meanPredicted: scoreSum / count,
      observedRate: positives / count,
      minScore: s[order[start]!]!,
      maxScore: s[order[end - 1]!]!,
    });
  }
  return table;
}

/** Share of positive (adverse) outcomes: the default rate of the sample. */
export function baseRate(labels: Vector): number {
  return checkLabels("baseRate", labels) / labels.length;
}
