/**
 * The fairness constraint of a less-discriminatory-alternatives search
 * (`--fairness "air>=0.8"`): which group metric, and the bound every group must
 * reach. Trials are judged on the same rows as their AUC (the validation folds,
 * or the validation split), at the refer threshold for the adverse impact ratio
 * and the decline threshold for the equal-opportunity difference, exactly as
 * train/evaluate/fairness.ts measures the final model on the test split.
 */
import { MIN_REFERENCE_COUNT, referenceIndex } from "../evaluate/fairness.ts";
import { relativeTo, type GroupStats, type Thresholds } from "../evaluate/group-stats.ts";

/** `air`: each group's approval rate over the most-approved group's; `eod`: equal-opportunity difference (good applicants not declined, minus the reference's). */
export type FairnessMetric = "air" | "eod";

export interface FairnessConstraint {
  metric: FairnessMetric;
  /** The minimum over groups must be at least this. */
  bound: number;
  /** As the user wrote it, normalised: "air>=0.8". */
  text: string;
}

/** What the search measures per trial: the constraint's metric (air when only --protected is given), and the bound when there is one. */
export interface FairnessMeasure { metric: FairnessMetric; bound?: number; text?: string }

export class ConstraintError extends Error {}

export const METRIC_NAMES: Record<FairnessMetric, string> = { air: "min AIR", eod: "min EOD" };

/** `air>=0.8`, `eod>=-0.1` (spaces allowed). Anything else is refused with the accepted forms. */
export function parseConstraint(text: string): FairnessConstraint {
  const m = /^\s*(air|eod)\s*>=\s*(-?\d+(?:\.\d+)?|-?\.\d+)\s*$/i.exec(text);
  const forms = `expected "air>=x" (the adverse impact ratio of every group, x from 0 to 1, e.g. air>=0.8) or "eod>=-x" (the equal-opportunity difference, x from 0 to 1, e.g. eod>=-0.1)`;
  if (!m) throw new ConstraintError(`--fairness "${text}": ${forms}`);
  const metric = (m[1] as string).toLowerCase() as FairnessMetric;
  const bound = Number(m[2]);
  if (metric === "air" && !(bound > 0 && bound <= 1)) throw new ConstraintError(`--fairness "${text}": an adverse impact ratio bound must be above 0 and at most 1 (the four-fifths rule is air>=0.8)`);
  if (metric === "eod" && !(bound >= -1 && bound <= 0)) throw new ConstraintError(`--fairness "${text}": an equal-opportunity difference bound must be from -1 to 0 (e.g. eod>=-0.1: good applicants declined at most 10 points more often than in the reference group)`);
  return { metric, bound, text: `${metric}>=${bound}` };
}

/**
 * Rows per group under the thresholds, enough to recompute approval rates
 * and error rates on any pooling of folds: [n, bad, approved, notDeclined,
 * badDeclined, goodDeclined].
 */
export type GroupCount = [number, number, number, number, number, number];

/** Per group (index into the attribute's groups), the counts of `scores` whose rows are in `codes`. */
export function countGroups(labels: ArrayLike<number>, scores: ArrayLike<number>, codes: ArrayLike<number>, groups: number, t: Thresholds): GroupCount[] {
  const out = Array.from({ length: groups }, () => [0, 0, 0, 0, 0, 0] as GroupCount);
  for (let i = 0; i < scores.length; i++) {
    const c = out[codes[i] as number];
    if (!c) continue;
    const bad = (labels[i] as number) === 1;
    const p = scores[i] as number;
    c[0]++;
    if (bad) c[1]++;
    if (p < t.refer) c[2]++;
    if (p < t.decline) c[3]++;
    else if (bad) c[4]++;
    else c[5]++;
  }
  return out;
}

/** Sums per group (folds pooled: every training row scored once, out of fold). */
export function addCounts(a: GroupCount[], b: GroupCount[]): GroupCount[] {
  return a.map((c, g) => c.map((x, k) => x + ((b[g] as GroupCount)[k] as number)) as GroupCount);
}

/**
 * The smallest value of the metric over the groups with at least MIN_REFERENCE_COUNT rows judged (every
 * group with rows when none has that many), NaN when undefined (e.g. the reference approves nobody). A
 * smaller group's rate is a few rows' chance: one applicant with no marital status on file, declined,
 * would hold every trial's AIR at 0 and leave the search nothing to choose. Such a group cannot be the
 * reference either (train/evaluate/fairness.ts); the final model's table still lists it.
 */
export function minOverGroups(counts: GroupCount[], metric: FairnessMetric): number {
  const withRows = counts.filter((c) => c[0] > 0);
  const large = withRows.filter((c) => c[0] >= MIN_REFERENCE_COUNT);
  // Only the fields relativeTo reads for AIR and EOD; the rest are not needed here.
  const stats: GroupStats[] = (large.length ? large : withRows).map(([n, bad, approved, notDeclined, badDeclined, goodDeclined]) => ({
    n, bad, approval: approved / n, notDeclined: notDeclined / n, mean: NaN, variance: NaN, auc: NaN, badRate: bad / n,
    tpr: bad > 0 ? badDeclined / bad : NaN, fpr: n - bad > 0 ? goodDeclined / (n - bad) : NaN,
  }));
  if (!stats.length) return NaN;
  const ref = stats[referenceIndex(stats)] as GroupStats;
  let min = Infinity;
  for (const g of stats) {
    const r = relativeTo(g, ref);
    const v = metric === "air" ? r.air : r.equalOpportunity;
    if (Number.isNaN(v)) return NaN;
    min = Math.min(min, v);
  }
  return min;
}
