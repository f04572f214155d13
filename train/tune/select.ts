/**
 * Choosing the winner: the best score, unless a logistic regression is within
 * one standard error of it (the "one-standard-error rule" of CART and glmnet's
 * lambda.1se, applied to the one simplification that matters here). On a
 * thousand rows the folds disagree by more than the gap between a tuned
 * network and a logistic regression; when the data cannot tell them apart, the
 * scorecard model wins: it generalises at least as well, its reason codes are
 * exact and the edge runs it fastest. Between networks the score decides: their
 * sizes differ by microseconds at the edge, and on the bundled data preferring
 * the smaller one cost test AUC. With k folds the standard error is sd / √k.
 *
 * Only trials trained long enough compete: those at the two highest rungs any
 * trial reached (by then early stopping has usually found the best epoch) and
 * those every fold of which stopped early (more epochs would change nothing).
 * Trials cut at the first rungs had a few epochs: their scores are not final.
 */
import { parameterCount } from "../fit/architecture.ts";
import { closest, type TrialFairness } from "./lda.ts";
import { foldScore, higherIsBetter, type Metric, type Trial } from "./schedule.ts";

export interface Choice {
  winner: Trial;
  /** The best-scoring final trial, and the score the winner had to reach. */
  best: Trial;
  threshold: number;
  standardError: number;
  /** Why the winner is not the best-scoring trial (absent when it is). */
  reason?: string;
  /** The trials that competed (trained long enough). */
  final: Trial[];
  /** With a fairness constraint: whether the winner meets it (false: none did; the winner is the closest). */
  met?: boolean;
}

/**
 * `ranking` best first (see Scheduler.ranking); `width` = encoded input columns.
 * `fair` (a fairness constraint, train/tune/lda.ts): the rule above applies to
 * the final trials that meet it; when none does, the closest wins, and `met`
 * says so.
 */
export function chooseWinner(ranking: Trial[], metric: Metric, width: number, fair?: (t: Trial) => TrialFairness | undefined): Choice | undefined {
  const top = ranking[0]?.rung;
  if (top === undefined) return undefined;
  const final = ranking.filter((t) => t.rung >= top - 1 || t.folds.every((f) => f?.stopped));
  const sign = higherIsBetter(metric) ? 1 : -1;
  const score = (t: Trial) => sign * foldScore(t, metric).mean;
  const constrained = fair !== undefined && final.some((t) => fair(t)?.meets !== undefined);
  const meeting = constrained ? final.filter((t) => fair(t)?.meets === true) : final;
  const competing = meeting.length ? meeting : final;
  const best = competing.reduce((a, b) => (score(b) > score(a) ? b : a));
  const { sd } = foldScore(best, metric);
  const standardError = sd / Math.sqrt(best.folds.length);
  const threshold = score(best) - standardError;
  const size = (t: Trial) => parameterCount(width, t.options.hidden);
  const logistic = competing.filter((t) => t.options.hidden.length === 0 && score(t) >= threshold);
  const name = metric === "auc" ? "AUC" : metric === "rmse" ? "RMSE" : "log loss";
  const fmt = (t: Trial) => foldScore(t, metric).mean.toFixed(4);
  if (constrained && !meeting.length) {
    const winner = closest(final, fair, score);
    return { winner, best, threshold: sign * threshold, standardError, final, met: false, reason: `no final trial meets the fairness constraint: trial ${winner.id} (${name} ${fmt(winner)}) comes closest` };
  }
  const winner = logistic.length ? logistic.reduce((a, b) => (score(b) > score(a) ? b : a)) : best;
  return {
    winner, best, threshold: sign * threshold, standardError, final, ...(constrained ? { met: true } : {}),
    ...(winner !== best ? { reason: `trial ${winner.id} (${size(winner)} weights, ${name} ${fmt(winner)}) is within one standard error (${standardError.toFixed(4)}) of the best${constrained ? " meeting the fairness constraint" : ""}, trial ${best.id} (${size(best)} weights, ${name} ${fmt(best)}): the ${metric === "rmse" ? "linear" : "logistic"} regression is chosen` } : {}),
  };
}
