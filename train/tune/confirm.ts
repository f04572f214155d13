/**
 * Confirming the search's choice on data it did not rank trials on. The best
 * of many noisy cross-validated scores is optimistic (the winner's curse): on
 * a few thousand rows a search can pick a configuration that is worse than the
 * defaults. So the search's best, the default configuration and a linear model
 * (logistic or ridge: no hidden layer, L2) are trained again, under one
 * protocol, on fresh cross-validation splits (new fold assignments and new
 * seeds, repeated on small data), and compared pairwise split by split
 * (train/tune/confirm-rule.ts). With a holdout search (large data) the trials
 * were ranked on the validation split; the confirmation's folds are the
 * training rows, which the ranking never saw.
 */
import { assignFolds } from "./folds.ts";
import type { TrainOptions } from "../fit/options.ts";
import type { TrialPool, UnitReply } from "./pool.ts";
import { foldScores, higherIsBetter, type Metric, type Trial, type Unit } from "./schedule.ts";
import { confirmWinner, type CandidateName, type Verdict } from "./confirm-rule.ts";

/** Up to this many training rows, the confirmation's k-fold is repeated (two fold assignments). */
export const CONFIRM_REPEAT_ROWS = 2000;
/** Trial ids of the candidates in the workers (apart from the search's, which count from 0). */
const CONFIRM_TRIAL = 1_000_000;

export interface ConfirmPlan {
  k: number;
  repeats: number;
  /** `repeats` fold assignments of the training rows, one after another. */
  assignment: Uint8Array;
  /** Unit fold numbers start here (after the search's own folds). */
  offset: number;
}

/** Fresh folds for the confirmation: k as the search's (3 for a holdout search), drawn from another seed. */
export function confirmationPlan(y: Float32Array, searchFolds: number, seed: number, stratified: boolean): ConfirmPlan {
  const k = searchFolds > 1 ? searchFolds : 3;
  const repeats = y.length <= CONFIRM_REPEAT_ROWS ? 2 : 1;
  const assignment = new Uint8Array(y.length * repeats);
  for (let r = 0; r < repeats; r++) assignment.set(assignFolds(y, k, (seed + Math.imul(r + 1, 0x2545f491)) >>> 0, stratified), r * y.length);
  return { k, repeats, assignment, offset: searchFolds };
}

/** The linear candidate: no hidden layer, a light L2 penalty, adam at a rate that converges within the epochs. */
export function linearOptions(base: TrainOptions): TrainOptions {
  return { ...base, hidden: [], optimizer: "adam", momentum: 0, learningRate: 0.01, l2: 1e-4, dropout: 0, classWeight: "none" };
}

export interface Candidate { name: CandidateName; options: TrainOptions }

export interface Confirmation {
  verdict: Verdict;
  /** One pseudo-trial per candidate, its folds the confirmation's splits (for the refit epoch). */
  trials: Record<CandidateName, Trial>;
  /** "2 × 5-fold stratified CV on 998 training rows (fresh folds and seeds)". */
  protocol: string;
  seconds: number;
}

/**
 * Trains every candidate on every confirmation split in the pool's workers
 * (which hold the plan's folds), the metric judged at the refit epoch as in
 * the search. Units still running at `deadline()` stop; an unfinished
 * candidate cannot win (an unfinished default keeps the default).
 */
export async function confirmCandidates(pool: TrialPool, plan: ConfirmPlan, candidates: Candidate[], metric: Metric, o: { rows: number; stratified: boolean; deadline: () => number }): Promise<Confirmation> {
  const started = Date.now();
  const splits = plan.k * plan.repeats;
  const trials = candidates.map((c, i): Trial => ({
    id: CONFIRM_TRIAL + i, options: c.options, bracket: -1, rung: -1, folds: new Array(splits).fill(undefined), worker: [], done: false, seconds: 0, epochs: 0,
  }));
  // Each split gets a seed of its own, the same for every candidate (paired comparison).
  const queue: Unit[] = [];
  for (let j = 0; j < splits; j++) {
    trials.forEach((t) => queue.push({ trial: t.id, fold: plan.offset + j, toEpoch: t.options.epochs, options: { ...t.options, seed: t.options.seed + 1 + j } }));
  }
  pool.setDeadline(o.deadline());
  await Promise.all(Array.from({ length: pool.size }, async (_, w) => {
    for (let unit = queue.shift(); unit; unit = queue.shift()) {
      const reply: UnitReply = await pool.run(w, unit);
      const t = trials[unit.trial - CONFIRM_TRIAL] as Trial;
      if (reply.type === "result") {
        t.folds[unit.fold - plan.offset] = reply.result;
        t.seconds += reply.result.seconds;
        t.epochs = Math.max(t.epochs, reply.result.epochs);
      } else if (reply.type === "failed" && reply.error.startsWith("trial worker failed")) {
        throw new Error(reply.error);
      }
      pool.drop([unit.trial]);
    }
  }));
  // Splits every candidate finished (all of them unless the deadline cut the confirmation short).
  const done = trials[0]!.folds.map((_, j) => trials.every((t) => t.folds[j] !== undefined));
  const splitsDone = done.filter(Boolean).length;
  const complete = trials.map((t): Trial => ({ ...t, folds: t.folds.filter((_, j) => done[j]) }));
  const scored = complete.map((t, i) => ({ name: (candidates[i] as Candidate).name, scores: splitsDone >= 2 ? foldScores(t, metric) : [NaN] }));
  const name = metric === "auc" ? "AUC" : metric === "rmse" ? "RMSE" : "log loss";
  const verdict = confirmWinner(scored, higherIsBetter(metric), name);
  const cut = splitsDone === 0
    ? `; none of its ${splits} splits fit in the time left, which is kept for the final fit on every training row: a longer --time-budget confirms the choice`
    : splitsDone < splits ? `; the time budget left ${splitsDone} of ${splits} splits finished` : "";
  const protocol = `${plan.repeats > 1 ? `${plan.repeats} × ` : ""}${plan.k}-fold ${o.stratified ? "stratified " : ""}CV on ${o.rows} training rows (fresh folds and seeds${cut})`;
  return { verdict, trials: Object.fromEntries(complete.map((t, i) => [(candidates[i] as Candidate).name, t])) as Record<CandidateName, Trial>, protocol, seconds: (Date.now() - started) / 1000 };
}

/** Epochs × splits the confirmation trains at most (every candidate to its full epochs). */
export function confirmationEpochs(plan: ConfirmPlan, candidates: number, epochs: number): number {
  return plan.k * plan.repeats * candidates * epochs;
}
