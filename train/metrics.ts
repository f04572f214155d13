/**
 * Evaluation metrics for the credit-risk model.
 *
 * Conventions shared by every function here:
 * - `labels[i]` is 1 for the adverse outcome (the positive class) and 0 otherwise;
 *   anything else is rejected, because a silently mis-encoded label column makes
 *   every metric quietly wrong.
 * - `scores[i]` is the predicted probability of the positive class; scores must
 *   be finite, since NaN has no place in a sort order.
 * - Nothing is rounded: reports decide their own precision, and rounding here
 *   would make tiny regressions invisible.
 *
 * Everything is pure (no I/O, no Node APIs) so the same code can run in the
 * trainer, in tests and, if ever needed, in the Worker. Every function is at
 * worst O(n log n), works on typed arrays, and allocates nothing per row, so a
 * 1,000,000-row hold-out set is evaluated in well under a second.
 */

/** Read-only numeric vector: a plain array, a typed array, or a tensor's `dataSync()`. */
export type Vector = ArrayLike<number>;

/** Result of {@link ks}. */
export interface KsResult {
  /** max |TPR − FPR| over all thresholds, in [0, 1]. */
  statistic: number;
  /**
   * A score `t` at which the maximum is reached, under the same rule as
   * {@link confusion} (predicted positive when score >= t), so
   * `confusion(labels, scores, ks(labels, scores).threshold)` reproduces it.
   */
  threshold: number;
}

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

/** Everything {@link evaluate} reports about a scored hold-out set, at full precision. */
export interface Evaluation {
  n: number;
  positives: number;
  auc: number;
  gini: number;
  ks: number;
  ksThreshold: number;
  brier: number;
  logLoss: number;
  accuracy: number;
  confusion: Confusion;
  calibration: CalibrationBin[];
}

/** The probabilities of the 9 inner decile cut points, see {@link scoreDeciles}. */
export const DECILE_PROBS: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/**
 * Floor applied to bin shares in {@link psi}: an empty bin would otherwise give
 * ln(0) = −∞, and one empty bin should raise the index, not make it infinite.
 */
export const PSI_SHARE_FLOOR = 1e-4;

// ---------------------------------------------------------------------------
// Input checks. Done once per public call, in O(n), so that the hot loops
// below can trust their inputs.

/** Validates labels (non-empty, each exactly 0 or 1) and returns the positive count. */
function checkLabels(fn: string, labels: Vector): number {
  const n = labels.length;
  if (n === 0) throw new Error(`${fn}: no rows (labels is empty)`);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y === 1) positives++;
    else if (y !== 0) throw new Error(`${fn}: labels[${i}] is ${String(y)}; labels must be 0 or 1`);
  }
  return positives;
}

/** Validates a finite, non-empty numeric vector. */
function checkFinite(fn: string, name: string, values: Vector): void {
  const n = values.length;
  if (n === 0) throw new Error(`${fn}: no rows (${name} is empty)`);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === undefined || !Number.isFinite(v)) {
      throw new Error(`${fn}: ${name}[${i}] is ${String(v)}; values must be finite numbers`);
    }
  }
}

/** Validates a labels/scores pair and returns the positive count. */
function checkPair(fn: string, labels: Vector, scores: Vector): number {
  if (labels.length !== scores.length) {
    throw new Error(`${fn}: labels has ${labels.length} rows but scores has ${scores.length}`);
  }
  const positives = checkLabels(fn, labels);
  checkFinite(fn, "scores", scores);
  return positives;
}

/** Ranking metrics are undefined unless both classes occur; say so instead of returning NaN. */
function requireBothClasses(fn: string, n: number, positives: number): void {
  if (positives === 0 || positives === n) {
    throw new Error(
      `${fn}: needs both classes, got ${positives} positives and ${n - positives} negatives ` +
        `(the metric is undefined when a class is absent)`,
    );
  }
}

// ---------------------------------------------------------------------------
// Ranking core: the scores of each class, sorted separately. Native
// Float64Array sorting (no comparator) is far faster than sorting an index
// array, and AUC and KS only need per-class counts at each distinct score.

interface ClassScores {
  pos: Float64Array;
  neg: Float64Array;
}

function splitByClass(labels: Vector, scores: Vector, positives: number): ClassScores {
  const pos = new Float64Array(positives);
  const neg = new Float64Array(labels.length - positives);
  let p = 0;
  let q = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) pos[p++] = scores[i]!;
    else neg[q++] = scores[i]!;
  }
  pos.sort();
  neg.sort();
  return { pos, neg };
}

/**
 * Visits each distinct score once, in ascending order, with how many positives
 * and negatives share it. Treating a tied group as one unit is what makes the
 * tie handling of AUC and KS correct: the order of tied rows carries no
 * information, so no metric may depend on it.
 */
function forEachScoreGroup(
  { pos, neg }: ClassScores,
  visit: (score: number, posCount: number, negCount: number) => void,
): void {
  let i = 0;
  let j = 0;
  while (i < pos.length || j < neg.length) {
    const score = j >= neg.length || (i < pos.length && pos[i]! <= neg[j]!) ? pos[i]! : neg[j]!;
    let p = 0;
    while (i < pos.length && pos[i] === score) {
      i++;
      p++;
    }
    let q = 0;
    while (j < neg.length && neg[j] === score) {
      j++;
      q++;
    }
    visit(score, p, q);
  }
}

function aucFromClasses(classes: ClassScores): number {
  const P = classes.pos.length;
  const N = classes.neg.length;
  let below = 0; // rows with a strictly lower score than the current group
  let positiveRankSum = 0;
  forEachScoreGroup(classes, (_score, p, q) => {
    const size = p + q;
    // Ranks below+1 .. below+size are shared by the group: each gets their mean.
    positiveRankSum += p * (below + (size + 1) / 2);
    below += size;
  });
  // Mann–Whitney U of the positives; every term is an integer or half-integer
  // far below 2^53, so U is exact even for millions of rows.
  const u = positiveRankSum - (P * (P + 1)) / 2;
  return u / (P * N);
}

function ksFromClasses(classes: ClassScores): KsResult {
  const P = classes.pos.length;
  const N = classes.neg.length;
  let belowPos = 0;
  let belowNeg = 0;
  let statistic = 0;
  let threshold = Math.min(classes.pos[0]!, classes.neg[0]!);
  forEachScoreGroup(classes, (score, p, q) => {
    // Threshold `score` predicts positive for every row >= score, so
    // TPR = 1 − belowPos/P and FPR = 1 − belowNeg/N, and |TPR − FPR| is the gap
    // between the empirical CDFs strictly below this group. Evaluating only here,
    // between distinct scores, never splits a tied group.
    const gap = Math.abs(belowNeg / N - belowPos / P);
    if (gap > statistic) {
      statistic = gap;
      threshold = score;
    }
    belowPos += p;
    belowNeg += q;
  });
  return { statistic, threshold };
}

// ---------------------------------------------------------------------------
// Public metrics.

/**
 * Area under the ROC curve: the probability that a random positive scores
 * higher than a random negative, with ties counting 1/2. Computed as the
 * Mann–Whitney U statistic from average ranks, so it is exact and O(n log n).
 * Throws if either class is absent, where AUC is undefined.
 */
export function rocAuc(labels: Vector, scores: Vector): number {
  const positives = checkPair("rocAuc", labels, scores);
  requireBothClasses("rocAuc", labels.length, positives);
  return aucFromClasses(splitByClass(labels, scores, positives));
}

/** Gini coefficient (accuracy ratio) as credit-risk reports quote it: 2·AUC − 1. */
export function gini(auc: number): number {
  return 2 * auc - 1;
}

/**
 * Kolmogorov–Smirnov statistic: the largest |TPR − FPR| over thresholds, i.e.
 * the widest gap between the score CDFs of the two classes. Only thresholds
 * between distinct score values are considered, so rows with equal scores
 * always move together; a per-row scan would let the (arbitrary) order of
 * tied rows inflate the statistic. On equal gaps the lowest threshold wins.
 * Throws if either class is absent.
 */
export function ks(labels: Vector, scores: Vector): KsResult {
  const positives = checkPair("ks", labels, scores);
  requireBothClasses("ks", labels.length, positives);
  return ksFromClasses(splitByClass(labels, scores, positives));
}

/** Brier score: mean squared error of the probabilities (0 is perfect, lower is better). */
export function brier(labels: Vector, scores: Vector): number {
  checkPair("brier", labels, scores);
  return brierUnchecked(labels, scores);
}

function brierUnchecked(labels: Vector, scores: Vector): number {
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

function logLossUnchecked(labels: Vector, scores: Vector, eps: number): number {
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

function confusionUnchecked(labels: Vector, scores: Vector, threshold: number): Confusion {
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

function calibrationUnchecked(labels: Vector, scores: Vector, bins: number): CalibrationBin[] {
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

/** Share of positive (adverse) outcomes: the default rate of the sample. */
export function baseRate(labels: Vector): number {
  return checkLabels("baseRate", labels) / labels.length;
}

/**
 * All hold-out metrics in one pass over validated inputs (the per-class sort
 * is shared by AUC and KS). `threshold` is the decision threshold for the
 * confusion matrix and accuracy; calibration uses deciles. Throws if either
 * class is absent.
 */
export function evaluate(labels: Vector, scores: Vector, threshold: number): Evaluation {
  const positives = checkPair("evaluate", labels, scores);
  requireBothClasses("evaluate", labels.length, positives);
  const classes = splitByClass(labels, scores, positives);
  const auc = aucFromClasses(classes);
  const ksResult = ksFromClasses(classes);
  const matrix = confusionUnchecked(labels, scores, threshold);
  return {
    n: labels.length,
    positives,
    auc,
    gini: gini(auc),
    ks: ksResult.statistic,
    ksThreshold: ksResult.threshold,
    brier: brierUnchecked(labels, scores),
    logLoss: logLossUnchecked(labels, scores, 1e-15),
    accuracy: matrix.accuracy,
    confusion: matrix,
    calibration: calibrationUnchecked(labels, scores, 10),
  };
}
