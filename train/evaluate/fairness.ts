/**
 * How a classifier treats each group of a protected attribute, on the test
 * split: approval rates and the adverse impact ratio (the four-fifths rule),
 * the standardised mean difference of scores, AUC, calibration, and the true
 * and false positive rates at the decline threshold with the equal-opportunity
 * difference; each with a seeded percentile-bootstrap 95 % interval. Pure: the
 * same inputs give the same numbers, so tests check them by hand.
 */
import { seededRandom } from "../../shared/random.ts";
import type { Vector } from "./checks.ts";
import { groupStats, relativeTo, type GroupStats, type Relative, type Thresholds } from "./group-stats.ts";
import { CATCH_ALL_GROUPS } from "../data/protected.ts";

/** A point estimate and its bootstrap interval (null ends: no resample where the number is defined). */
export interface Estimate { value: number; low: number | null; high: number | null }

export interface GroupFairness {
  count: number;
  /** Rows with the adverse outcome. */
  bad: number;
  /** Probability below the refer threshold. */
  approvalRate: Estimate;
  /** Probability below the decline threshold. */
  notDeclinedRate: Estimate;
  air: Estimate | null;
  airNotDeclined: Estimate | null;
  /** AIR under 0.8: the four-fifths rule's sign of adverse impact. */
  belowFourFifths: boolean;
  smd: Estimate | null;
  /** Null when the group has one class only. */
  auc: Estimate | null;
  calibration: { meanPredicted: Estimate; observedBadRate: Estimate };
  tpr: Estimate | null;
  fpr: Estimate | null;
  equalOpportunityDifference: Estimate | null;
}

export interface FairnessOptions {
  thresholds: Thresholds;
  /** Bootstrap resamples (default 200) and seed (default 42). */
  resamples?: number;
  seed?: number;
  /** Groups smaller than this cannot be the reference unless none is larger (default 30): a few rows approved by chance are no yardstick. */
  minReferenceCount?: number;
}

export interface AttributeFairness {
  /** The group with the highest approval rate: every ratio and difference is against it. */
  reference: string;
  /** Each group's adverse impact ratio (approval rate over the reference's). */
  air: Record<string, number | null>;
  /** Groups whose AIR is under 0.8. */
  belowFourFifths: string[];
  thresholds: Thresholds;
  bootstrap: { resamples: number; seed: number; level: 0.95; method: string };
  groups: Record<string, GroupFairness>;
}

export const FOUR_FIFTHS = 0.8;

/** What the bootstrap recomputes, per group: a group's own numbers and those against the reference. */
const METRICS = {
  approvalRate: (g: GroupStats) => g.approval,
  notDeclinedRate: (g: GroupStats) => g.notDeclined,
  meanPredicted: (g: GroupStats) => g.mean,
  observedBadRate: (g: GroupStats) => g.badRate,
  auc: (g: GroupStats) => g.auc,
  tpr: (g: GroupStats) => g.tpr,
  fpr: (g: GroupStats) => g.fpr,
  air: (_: GroupStats, r: Relative) => r.air,
  airNotDeclined: (_: GroupStats, r: Relative) => r.airNotDeclined,
  smd: (_: GroupStats, r: Relative) => r.smd,
  equalOpportunity: (_: GroupStats, r: Relative) => r.equalOpportunity,
} satisfies Record<string, (g: GroupStats, r: Relative) => number>;
type Metric = keyof typeof METRICS;

/** Linear-interpolation quantile (numpy's default) of sorted values. */
function quantileSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return (sorted[lo] as number) + ((sorted[Math.min(lo + 1, sorted.length - 1)] as number) - (sorted[lo] as number)) * (h - lo);
}

/** The 2.5th and 97.5th percentiles of the finite draws (null ends when none is finite). */
export function interval(draws: number[]): { low: number | null; high: number | null } {
  const ok = Float64Array.from(draws.filter(Number.isFinite)).sort();
  return ok.length ? { low: quantileSorted(ok, 0.025), high: quantileSorted(ok, 0.975) } : { low: null, high: null };
}

/**
 * `resamples` seeded bootstrap draws, each of every group's rows with replacement within the group (so
 * every draw keeps the group sizes): `each` gets one draw's rows per group, in the order of `groups`.
 * Shared with regression-fairness.ts, so both draw the same rows for the same seed.
 */
export function withinGroupResamples(groups: Int32Array[], resamples: number, seed: number, each: (rows: Int32Array[]) => void): void {
  const random = seededRandom(seed);
  for (let b = 0; b < resamples; b++) {
    each(groups.map((g) => {
      const rows = new Int32Array(g.length);
      for (let k = 0; k < rows.length; k++) rows[k] = g[Math.floor(random() * g.length)] as number;
      return rows;
    }));
  }
}

/** Groups smaller than this cannot be the reference unless none is larger (the default of `minReferenceCount`). */
export const MIN_REFERENCE_COUNT = 30;

/**
 * The reference: the highest approval rate among groups with enough rows (all groups when none has), then the
 * larger group. A group the project forms itself (`catchAll[i]`: "(missing)", "(other)", "(not a number)") is
 * no group of applicants to hold the others to: it is the reference only when no other group has rows.
 */
export function referenceIndex(stats: Pick<GroupStats, "n" | "approval">[], minCount = MIN_REFERENCE_COUNT, catchAll: readonly boolean[] = []): number {
  const all = stats.map((_, i) => i);
  const real = all.filter((i) => !catchAll[i]);
  const named = real.length ? real : all;
  const eligible = named.filter((i) => (stats[i] as GroupStats).n >= minCount);
  const pool = eligible.length ? eligible : named;
  return pool.reduce((best, i) => {
    const a = stats[i] as Pick<GroupStats, "n" | "approval">, b = stats[best] as Pick<GroupStats, "n" | "approval">;
    return a.approval > b.approval || (a.approval === b.approval && a.n > b.n) ? i : best;
  });
}

/**
 * `groups[i]` is row i's group, an index into `names`. Groups without rows are
 * left out. Resamples draw each group's rows with replacement within the group,
 * so every resample keeps the group sizes and the reference group of the estimate.
 */
export function fairnessByGroup(labels: Vector, scores: Vector, groups: Vector, names: string[], o: FairnessOptions): AttributeFairness {
  if (labels.length !== scores.length || labels.length !== groups.length) {
    throw new Error(`fairnessByGroup: labels, scores and groups differ in length (${labels.length}, ${scores.length}, ${groups.length})`);
  }
  const resamples = o.resamples ?? 200;
  const seed = o.seed ?? 42;
  const members = names.map(() => [] as number[]);
  for (let i = 0; i < groups.length; i++) members[groups[i] as number]?.push(i);
  const present = members.map((rows, g) => ({ rows: Int32Array.from(rows), name: names[g] as string })).filter((m) => m.rows.length > 0);
  if (present.length === 0) throw new Error("fairnessByGroup: no rows");
  const stats = present.map((m) => groupStats(labels, scores, m.rows, o.thresholds));
  const ref = referenceIndex(stats, o.minReferenceCount ?? MIN_REFERENCE_COUNT, present.map((m) => CATCH_ALL_GROUPS.has(m.name)));
  const point = stats.map((g) => ({ g, r: relativeTo(g, stats[ref] as GroupStats) }));

  const draws = present.map(() => Object.fromEntries(Object.keys(METRICS).map((k) => [k, [] as number[]])) as Record<Metric, number[]>);
  withinGroupResamples(present.map((m) => m.rows), resamples, seed, (drawn) => {
    const sampled = drawn.map((rows) => groupStats(labels, scores, rows, o.thresholds));
    sampled.forEach((g, i) => {
      const r = relativeTo(g, sampled[ref] as GroupStats);
      for (const [k, f] of Object.entries(METRICS)) (draws[i] as Record<string, number[]>)[k]?.push(f(g, r));
    });
  });
  const estimate = (i: number, k: Metric): Estimate | null => {
    const { g, r } = point[i] as { g: GroupStats; r: Relative };
    const value = METRICS[k](g, r);
    return Number.isFinite(value) ? { value, ...interval((draws[i] as Record<Metric, number[]>)[k]) } : null;
  };
  const must = (e: Estimate | null) => e as Estimate; // a rate over a group's rows (n > 0) is always defined

  const out: Record<string, GroupFairness> = {};
  present.forEach((m, i) => {
    const air = estimate(i, "air");
    out[m.name] = {
      count: stats[i]!.n, bad: stats[i]!.bad,
      approvalRate: must(estimate(i, "approvalRate")), notDeclinedRate: must(estimate(i, "notDeclinedRate")),
      air, airNotDeclined: estimate(i, "airNotDeclined"), belowFourFifths: air !== null && air.value < FOUR_FIFTHS,
      smd: estimate(i, "smd"), auc: estimate(i, "auc"),
      calibration: { meanPredicted: must(estimate(i, "meanPredicted")), observedBadRate: must(estimate(i, "observedBadRate")) },
      tpr: estimate(i, "tpr"), fpr: estimate(i, "fpr"), equalOpportunityDifference: estimate(i, "equalOpportunity"),
    };
  });
  return {
    reference: present[ref]!.name,
    air: Object.fromEntries(Object.entries(out).map(([name, g]) => [name, g.air?.value ?? null])),
    belowFourFifths: Object.entries(out).filter(([, g]) => g.belowFourFifths).map(([name]) => name),
    thresholds: { ...o.thresholds },
    bootstrap: { resamples, seed, level: 0.95, method: "percentile; rows drawn with replacement within each group" },
    groups: out,
  };
}
