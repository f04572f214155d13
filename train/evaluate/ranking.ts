/**
 * Ranking metrics (AUC, Gini, KS) from the scores of each class, sorted
 * separately: exact with ties, O(n log n), no per-row allocation.
 */
import { checkPair, requireBothClasses, type Vector } from "./checks.ts";

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

// Ranking core: the scores of each class, sorted separately. Native
// Float64Array sorting (no comparator) is far faster than sorting an index
// array, and AUC and KS only need per-class counts at each distinct score.

interface ClassScores {
  pos: Float64Array;
  neg: Float64Array;
}

export function splitByClass(labels: Vector, scores: Vector, positives: number): ClassScores {
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

export function aucFromClasses(classes: ClassScores): number {
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

export function ksFromClasses(classes: ClassScores): KsResult {
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
