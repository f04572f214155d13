/**
 * One group's raw numbers at the decision thresholds, and how a group
 * compares with the reference group: the building blocks of
 * train/evaluate/fairness.ts, kept apart so the bootstrap can recompute them
 * on every resample. Conventions as in checks.ts: label 1 = the adverse
 * outcome ("bad"), score = its predicted probability. NaN marks a number that
 * is undefined for the rows given (e.g. an AUC without both classes).
 */
import type { Vector } from "./checks.ts";
import { aucFromClasses, splitByClass } from "./ranking.ts";

export interface Thresholds { refer: number; decline: number }

export interface GroupStats {
  n: number;
  bad: number;
  /** Share approved: probability below the refer threshold (the edge's "approve"). */
  approval: number;
  /** Share not declined: probability below the decline threshold (approve or refer). */
  notDeclined: number;
  /** Mean and population variance (÷ n) of the scores. */
  mean: number;
  variance: number;
  auc: number;
  /** Observed share of bad outcomes (the mean predicted is `mean`). */
  badRate: number;
  /** At the decline threshold: share of bad rows declined (true positive rate), of good rows declined (false positive rate). */
  tpr: number;
  fpr: number;
}

/** The group made of `rows` (indices into labels and scores; repeats allowed, as a bootstrap draws them). */
export function groupStats(labels: Vector, scores: Vector, rows: ArrayLike<number>, t: Thresholds): GroupStats {
  const n = rows.length;
  const y = new Float64Array(n);
  const p = new Float64Array(n);
  let bad = 0, approve = 0, notDeclined = 0, sum = 0, declinedBad = 0, declinedGood = 0;
  for (let k = 0; k < n; k++) {
    const i = rows[k] as number;
    const yi = labels[i] as number;
    const pi = scores[i] as number;
    y[k] = yi;
    p[k] = pi;
    bad += yi;
    sum += pi;
    if (pi < t.refer) approve++;
    if (pi < t.decline) notDeclined++;
    else if (yi === 1) declinedBad++;
    else declinedGood++;
  }
  const mean = sum / n;
  let ss = 0;
  for (let k = 0; k < n; k++) ss += ((p[k] as number) - mean) ** 2;
  const good = n - bad;
  return {
    n, bad, approval: approve / n, notDeclined: notDeclined / n, mean, variance: ss / n,
    auc: bad > 0 && good > 0 ? aucFromClasses(splitByClass(y, p, bad)) : NaN,
    badRate: bad / n, tpr: bad > 0 ? declinedBad / bad : NaN, fpr: good > 0 ? declinedGood / good : NaN,
  };
}

export interface Relative {
  /** Adverse impact ratio: approval rate over the reference group's (NaN when it approves nobody). */
  air: number;
  airNotDeclined: number;
  /** Standardised mean difference of scores: (mean − reference mean) / √((var + reference var) / 2); above 0 = scored riskier. */
  smd: number;
  /**
   * Equal-opportunity difference with "good" as the favourable outcome: the share
   * of good applicants not declined here minus in the reference group
   * (= reference FPR − FPR); below 0 = creditworthy applicants declined more often.
   */
  equalOpportunity: number;
}

export function relativeTo(g: GroupStats, ref: GroupStats): Relative {
  const pooled = Math.sqrt((g.variance + ref.variance) / 2);
  const diff = g.mean - ref.mean;
  return {
    air: ref.approval > 0 ? g.approval / ref.approval : NaN,
    airNotDeclined: ref.notDeclined > 0 ? g.notDeclined / ref.notDeclined : NaN,
    smd: diff === 0 ? 0 : pooled > 0 ? diff / pooled : NaN,
    equalOpportunity: ref.fpr - g.fpr,
  };
}
