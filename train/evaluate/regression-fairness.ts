/**
 * How a regression model (e.g. income estimated for affordability) treats
 * each group of a protected attribute, on the test split: whether it over- or
 * under-estimates a group (mean residual, also as a share of the group's mean
 * actual), how large its errors are (RMSE, MAE), whether its conformal
 * intervals hold as often for the group, and how the group's mean prediction
 * compares with the reference group's beside how its mean actual compares —
 * a gap in predictions that the actual values do not show is the model's, not
 * the data's. Each number with a seeded percentile-bootstrap 95 % interval,
 * resampled within each group as in fairness.ts. Pure, so tests check it by hand.
 */
import type { Vector } from "./checks.ts";
import { interval, withinGroupResamples, type Estimate } from "./fairness.ts";
import { CATCH_ALL_GROUPS } from "../data/protected.ts";

/** One group's raw numbers: recomputed on every bootstrap resample. */
interface Stats {
  n: number;
  meanPredicted: number;
  /** Population variance (÷ n) of the predictions, for the SMD. */
  varPredicted: number;
  meanActual: number;
  bias: number;
  rmse: number;
  mae: number;
  coverage: number;
}

/** The group made of `rows` (indices; repeats allowed, as a bootstrap draws them). */
function stats(actual: Vector, predicted: Vector, lo: Vector, hi: Vector, rows: ArrayLike<number>): Stats {
  const n = rows.length;
  let sp = 0, sa = 0, se = 0, ae = 0, inside = 0;
  for (let k = 0; k < n; k++) {
    const i = rows[k] as number;
    const y = actual[i] as number, p = predicted[i] as number;
    sp += p; sa += y; se += (p - y) ** 2; ae += Math.abs(p - y);
    if (y >= (lo[i] as number) && y <= (hi[i] as number)) inside++;
  }
  const meanPredicted = sp / n;
  let ss = 0;
  for (let k = 0; k < n; k++) ss += ((predicted[rows[k] as number] as number) - meanPredicted) ** 2;
  return { n, meanPredicted, varPredicted: ss / n, meanActual: sa / n, bias: (sp - sa) / n, rmse: Math.sqrt(se / n), mae: ae / n, coverage: inside / n };
}

/** What the bootstrap recomputes per group: its own numbers and those against the reference (NaN where undefined). */
const METRICS = {
  meanPredicted: (g: Stats) => g.meanPredicted,
  meanActual: (g: Stats) => g.meanActual,
  bias: (g: Stats) => g.bias,
  relativeBias: (g: Stats) => (g.meanActual !== 0 ? g.bias / g.meanActual : NaN),
  rmse: (g: Stats) => g.rmse,
  mae: (g: Stats) => g.mae,
  coverage: (g: Stats) => g.coverage,
  predictedRatio: (g: Stats, r: Stats) => (r.meanPredicted !== 0 ? g.meanPredicted / r.meanPredicted : NaN),
  actualRatio: (g: Stats, r: Stats) => (r.meanActual !== 0 ? g.meanActual / r.meanActual : NaN),
  smd: (g: Stats, r: Stats) => {
    const diff = g.meanPredicted - r.meanPredicted;
    const pooled = Math.sqrt((g.varPredicted + r.varPredicted) / 2);
    return diff === 0 ? 0 : pooled > 0 ? diff / pooled : NaN;
  },
} satisfies Record<string, (g: Stats, r: Stats) => number>;
type Metric = keyof typeof METRICS;

export interface RegressionGroupFairness {
  count: number;
  meanPredicted: Estimate;
  meanActual: Estimate;
  /** Mean residual, predicted − actual: above 0 = the group's values over-estimated. */
  bias: Estimate;
  /** `bias` over the group's mean actual (null when that is 0). */
  relativeBias: Estimate | null;
  rmse: Estimate;
  mae: Estimate;
  /** Share of the group's actual values inside the model's prediction interval. */
  coverage: Estimate;
  /** Mean predicted over the reference's; the reference's is 1. */
  predictedRatio: Estimate | null;
  /** Mean actual over the reference's: the gap the data shows, to set `predictedRatio` against. */
  actualRatio: Estimate | null;
  /** Standardised mean difference of predictions against the reference (above 0: predicted higher). */
  smd: Estimate | null;
}

export interface RegressionAttributeFairness {
  task: "regression";
  /** The largest group (ties: the first in the order of its values): every ratio and the SMD are against it. */
  reference: string;
  /** The prediction interval's promised coverage, to read each group's `coverage` against. */
  intervalLevel: number;
  bootstrap: { resamples: number; seed: number; level: 0.95; method: string };
  groups: Record<string, RegressionGroupFairness>;
}

export interface RegressionFairnessOptions { intervalLevel: number; resamples?: number; seed?: number }

/**
 * `groups[i]` is row i's group, an index into `names`; `lo`/`hi` the row's
 * prediction interval. Groups without rows are left out. The reference is the
 * largest group (of applicants: not "(missing)" or "(other)") rather than a "most favoured" one: a predicted value has no
 * favourable direction in general (a higher income estimate helps an applicant
 * for affordability, a higher loss estimate does not), while the largest group
 * gives the steadiest yardstick.
 */
export function regressionFairnessByGroup(actual: Vector, predicted: Vector, lo: Vector, hi: Vector, groups: Vector, names: string[], o: RegressionFairnessOptions): RegressionAttributeFairness {
  const n = actual.length;
  if (predicted.length !== n || lo.length !== n || hi.length !== n || groups.length !== n) {
    throw new Error(`regressionFairnessByGroup: actual, predicted, lo, hi and groups differ in length (${n}, ${predicted.length}, ${lo.length}, ${hi.length}, ${groups.length})`);
  }
  const resamples = o.resamples ?? 200;
  const seed = o.seed ?? 42;
  const members = names.map(() => [] as number[]);
  for (let i = 0; i < n; i++) members[groups[i] as number]?.push(i);
  const present = members.map((rows, g) => ({ rows: Int32Array.from(rows), name: names[g] as string })).filter((m) => m.rows.length > 0);
  if (present.length === 0) throw new Error("regressionFairnessByGroup: no rows");
  const point = present.map((m) => stats(actual, predicted, lo, hi, m.rows));
  // The largest group of applicants; a group the project forms ("(missing)", "(other)") only when there is no other.
  const candidates = present.some((m) => !CATCH_ALL_GROUPS.has(m.name)) ? present.map((m, i) => (CATCH_ALL_GROUPS.has(m.name) ? -1 : i)).filter((i) => i >= 0) : present.map((_, i) => i);
  const ref = candidates.reduce((best, i) => ((point[i] as Stats).n > (point[best] as Stats).n ? i : best), candidates[0] as number);

  const draws = present.map(() => Object.fromEntries(Object.keys(METRICS).map((k) => [k, [] as number[]])) as Record<Metric, number[]>);
  withinGroupResamples(present.map((m) => m.rows), resamples, seed, (drawn) => {
    const sampled = drawn.map((rows) => stats(actual, predicted, lo, hi, rows));
    sampled.forEach((g, i) => {
      for (const [k, f] of Object.entries(METRICS)) (draws[i] as Record<string, number[]>)[k]?.push(f(g, sampled[ref] as Stats));
    });
  });
  const estimate = (i: number, k: Metric): Estimate | null => {
    const value = METRICS[k](point[i] as Stats, point[ref] as Stats);
    return Number.isFinite(value) ? { value, ...interval((draws[i] as Record<Metric, number[]>)[k]) } : null;
  };
  const must = (e: Estimate | null) => e as Estimate; // a mean over a group's rows (n > 0) of finite values is always defined

  const out: Record<string, RegressionGroupFairness> = {};
  present.forEach((m, i) => {
    out[m.name] = {
      count: (point[i] as Stats).n,
      meanPredicted: must(estimate(i, "meanPredicted")), meanActual: must(estimate(i, "meanActual")),
      bias: must(estimate(i, "bias")), relativeBias: estimate(i, "relativeBias"),
      rmse: must(estimate(i, "rmse")), mae: must(estimate(i, "mae")), coverage: must(estimate(i, "coverage")),
      predictedRatio: estimate(i, "predictedRatio"), actualRatio: estimate(i, "actualRatio"), smd: estimate(i, "smd"),
    };
  });
  return {
    task: "regression",
    reference: (present[ref] as { name: string }).name,
    intervalLevel: o.intervalLevel,
    bootstrap: { resamples, seed, level: 0.95, method: "percentile; rows drawn with replacement within each group" },
    groups: out,
  };
}
