/**
 * Less discriminatory alternatives: every trial of the search is measured on
 * the fairness metric as well as on AUC, the search prefers trials that meet
 * the constraint, and the card records the accuracy–fairness trade-off (each
 * trial, the Pareto front, the choice). Regulators expect a lender to look for
 * a fairer model of similar accuracy; the tuner already trains many, so the
 * search costs nothing extra.
 */
import type { Thresholds } from "../evaluate/group-stats.ts";
import type { SearchGroups } from "../data/groups.ts";
import { addCounts, METRIC_NAMES, minOverGroups, type FairnessMeasure, type FairnessMetric, type GroupCount } from "./constraint.ts";
import { foldScore, refitEpoch, type Trial } from "./schedule.ts";

/** Trials at or below this validation AUC never meet a constraint. */
export const CHANCE_AUC = 0.5;

/** A trial's fairness: the metric's minimum over groups (and attributes), and whether it meets the bound (absent without one). */
export interface TrialFairness { value: number; meets?: boolean; /** Validation AUC at or below chance: never an alternative, nor the closest. */ chance?: true }

/**
 * At the epoch the trial's score is read (as foldScore: the refit epoch under
 * cross-validation, the best epoch on a validation split), the folds' counts
 * pooled, so every training row counts once, scored out of fold.
 */
export function trialFairness(t: Trial, m: FairnessMeasure): TrialFairness | undefined {
  const e = refitEpoch(t);
  let pooled: GroupCount[][] | undefined;
  for (const f of t.folds) {
    const series = f?.groupCounts;
    if (!f || !series?.length) return undefined;
    const at = series[(t.folds.length === 1 ? f.bestEpoch : Math.min(e, series.length)) - 1];
    if (!at) return undefined;
    pooled = pooled ? pooled.map((c, a) => addCounts(c, at[a] as GroupCount[])) : at;
  }
  if (!pooled) return undefined;
  const value = Math.min(...pooled.map((c) => minOverGroups(c, m.metric)));
  // A trial no better than chance approves regardless of risk: "fair", but no credit model, so never an alternative.
  const chance = !(foldScore(t, "auc").mean > CHANCE_AUC);
  return { value, ...(m.bound !== undefined ? { meets: value >= m.bound && !chance } : {}), ...(chance ? { chance: true as const } : {}) };
}

/** How close a trial comes to the bound: higher is closer; undefined values (NaN) come last. */
const closeness = (f: TrialFairness | undefined) => (f && !f.chance && Number.isFinite(f.value) ? f.value : -Infinity);

/**
 * The order of the constraint, before the score: trials that meet it first;
 * among those that do not, the closest first (so that, when none meets it,
 * the search keeps the ones nearest to it). 0: the score decides.
 */
export function fairFirst(a: TrialFairness | undefined, b: TrialFairness | undefined): number {
  if (a?.meets === undefined || b?.meets === undefined) return 0;
  if (a.meets !== b.meets) return a.meets ? -1 : 1;
  return a.meets ? 0 : closeness(b) - closeness(a);
}

/** The trial closest to meeting the constraint; ties go to the better score. */
export function closest(trials: Trial[], fair: (t: Trial) => TrialFairness | undefined, score: (t: Trial) => number): Trial {
  return trials.reduce((a, b) => {
    const d = closeness(fair(b)) - closeness(fair(a));
    return d > 0 || (d === 0 && score(b) > score(a)) ? b : a;
  });
}

export interface FrontPoint { trial: number; auc: number; value: number }

/**
 * The trials no other trial beats on both AUC and the fairness metric (at
 * least as good on both, better on one), most accurate first. Points without
 * a finite value are left out: they cannot be placed on the chart.
 */
export function paretoFront(points: FrontPoint[]): number[] {
  const ok = points.filter((p) => Number.isFinite(p.auc) && Number.isFinite(p.value));
  ok.sort((a, b) => b.auc - a.auc || b.value - a.value || a.trial - b.trial);
  const front: number[] = [];
  let bestValue = -Infinity;
  for (const p of ok) {
    if (p.value > bestValue) { front.push(p.trial); bestValue = p.value; }
  }
  return front;
}

/** The card's `tuning.fairness` (and tuned.json's `search.fairness`): what the report draws. */
export interface TuningFairness {
  /** "air>=0.8"; null with --protected alone (measured, not a constraint). */
  constraint: string | null;
  metric: FairnessMetric;
  bound: number | null;
  /** Protected columns; the value is the minimum over all their groups. */
  attributes: string[];
  /** The rows the trials were judged on (as the leaderboard's selection). */
  judgedOn: string;
  thresholds: Thresholds;
  /** Every trial judged: validation AUC, the metric's value (null: undefined), whether it meets the bound (null: no bound), and `final`: trained long enough to compete for the win. */
  trials: { trial: number; config: string; auc: number; value: number | null; meets: boolean | null; final: boolean }[];
  /** Trial ids on the AUC–fairness Pareto front among the final trials, most accurate first. */
  pareto: number[];
  chosen: number;
  /** The winner meets the constraint (null: no constraint). */
  met: boolean | null;
  /** What the search would have chosen without the constraint, among the same trials. */
  unconstrained: { trial: number; auc: number; value: number | null };
  rule: string;
}

export function tuningFairness(o: {
  measure: FairnessMeasure; groups: SearchGroups; judgedOn: string; thresholds: Thresholds;
  trials: Trial[]; final: Trial[]; describe: (t: Trial) => string; fair: (t: Trial) => TrialFairness | undefined;
  chosen: Trial; unconstrained: Trial;
}): TuningFairness {
  const auc = (t: Trial) => Number(foldScore(t, "auc").mean.toFixed(6));
  const value = (t: Trial) => { const v = o.fair(t)?.value; return v !== undefined && Number.isFinite(v) ? Number(v.toFixed(6)) : null; };
  const finalIds = new Set(o.final.map((t) => t.id));
  const name = METRIC_NAMES[o.measure.metric];
  return {
    constraint: o.measure.text ?? null, metric: o.measure.metric, bound: o.measure.bound ?? null,
    attributes: o.groups.attributes.map((a) => a.column), judgedOn: o.judgedOn, thresholds: { ...o.thresholds },
    trials: o.trials.map((t) => ({ trial: t.id, config: o.describe(t), auc: auc(t), value: value(t), meets: o.fair(t)?.meets ?? null, final: finalIds.has(t.id) })),
    pareto: paretoFront(o.final.map((t) => ({ trial: t.id, auc: auc(t), value: value(t) ?? NaN }))),
    chosen: o.chosen.id,
    met: o.measure.bound === undefined ? null : o.fair(o.chosen)?.meets ?? false,
    unconstrained: { trial: o.unconstrained.id, auc: auc(o.unconstrained), value: value(o.unconstrained) },
    rule: o.measure.bound === undefined
      ? `${name} measured on every trial; the choice ignores it (no --fairness)`
      : `the most accurate final trial with ${name} >= ${o.measure.bound} and a validation AUC above 0.5 (a logistic regression within one standard error of it preferred, as without a constraint); if none meets it, the one closest to it, flagged; successive halving ranks trials meeting it first (by the score), then the rest by ${name}, closest first`,
  };
}

/** One line for the log: the winner against the unconstrained choice, and the front. */
export function fairnessSummary(f: TuningFairness): string {
  const name = METRIC_NAMES[f.metric];
  const of = (id: number) => f.trials.find((t) => t.trial === id);
  const show = (id: number) => `trial ${id}: AUC ${of(id)?.auc.toFixed(4)}, ${name} ${of(id)?.value?.toFixed(3) ?? "n/a"}`;
  const verdict = f.met === null ? "" : f.met ? ` (meets ${f.constraint})` : ` (does NOT meet ${f.constraint}: the closest)`;
  const other = f.unconstrained.trial === f.chosen ? "the same trial as without the constraint" : `without the constraint: ${show(f.unconstrained.trial)}`;
  return `fairness: winner ${show(f.chosen)}${verdict}; ${other}; Pareto front (AUC vs ${name}): trials ${f.pareto.join(", ") || "none"}`;
}
