/**
 * The search: sample configurations from the space, judge them by k-fold
 * cross-validation on the training rows (small data) or on the validation
 * split (large data), stop bad ones early by successive halving, run trials on
 * every core, and stop in time for the final fit when a budget is set. The
 * test split is never seen here: the job evaluates the winner on it once.
 */
import { seededRandom } from "../../shared/random.ts";
import type { Dataset } from "../data/dataset.ts";
import type { HeadSpec } from "../fit/architecture.ts";
import type { TrainBackend } from "../fit/backend.ts";
import type { TrainOptions } from "../fit/options.ts";
import type { SearchGroups } from "../data/groups.ts";
import type { Thresholds } from "../evaluate/group-stats.ts";
import type { FairnessConstraint, FairnessMeasure } from "./constraint.ts";
import { assignFolds } from "./folds.ts";
import { fairFirst, fairnessSummary, trialFairness, tuningFairness, type TuningFairness } from "./lda.ts";
import { leaderboardTable, leaderRows, measureEdgeTime, type LeaderRow } from "./leaderboard.ts";
import { TrialPool, type UnitReply } from "./pool.ts";
import { confirmationCard, confirmationTable } from "./confirm-table.ts";
import { refitEpoch, Scheduler, type Metric, type Trial, type Unit } from "./schedule.ts";
import { chooseWinner } from "./select.ts";
import { confirmationPlan, confirmCandidates, linearOptions, type Candidate, type Confirmation } from "./confirm.ts";
import type { CandidateName } from "./confirm-rule.ts";
import { sampleOptions, type SearchSpace } from "./space.ts";
import { classifierSpace, regressionSpace, searchHead } from "./task-space.ts";
import { SearchError } from "./search-error.ts";
import { calibrate, finalEpochs, FIXED_RESERVE_MS, SearchBudget } from "./budget.ts";

/** Up to this many training rows, trials are judged by k-fold cross-validation: 5 folds up to 2000 rows, 3 above. */
export const CV_MAX_ROWS = 5000;
const foldsFor = (rows: number) => (rows <= 2000 ? 5 : rows <= CV_MAX_ROWS ? 3 : 1);

export interface TuneOptions {
  /** Stop after this many configurations. */
  trials?: number;
  /** Everything, from `startedAt` to the winner's artifact, within this (ms). */
  timeBudgetMs?: number;
  /** Date.now() when the command started. */
  startedAt: number;
  /** Default: auc for a classifier, rmse for a regression. */
  metric?: Metric;
  space: SearchSpace;
  /** k for cross-validation; 1 = the validation split; undefined = 5 up to 2000 training rows, 3 up to CV_MAX_ROWS, else 1. */
  folds?: number;
  workers: number;
  /** false: every trial trains its full epochs (plain random search, for comparison). */
  halving?: boolean;
  eta?: number;
  backend?: TrainBackend;
  /** The network's head (default: binary classification). */
  head?: HeadSpec;
  /** false: skip the confirmation (the search's choice is the model, as before it existed; for comparisons). */
  confirm?: boolean;
  /** --fairness: the constraint every trial is measured on and the choice prefers (needs `groups`). */
  fairness?: FairnessConstraint;
  /** --protected (set by the job): each training and validation row's groups; every trial's fairness is measured at `thresholds`. */
  groups?: SearchGroups;
  thresholds?: Thresholds;
}

export interface TuneProgress {
  start(o: { trials?: number; endsAt?: number }): void;
  update(s: { evaluated: number; best?: number; metric: Metric; leftMs?: number }): void;
  stop(): void;
}

export interface TuneIO {
  log: (line: string) => void;
  tuneProgress?: TuneProgress;
}

export { SearchError };

export interface SearchResult {
  /** Options for the final fit (with the epochs the search chose). */
  winner: TrainOptions;
  /** Rows are best first; row 0 is the winner. */
  leaderboard: LeaderRow[];
  table: string;
  selection: string;
  /** Configurations judged at least once (their first rung) / sampled. */
  evaluated: number;
  sampled: number;
  /** Epochs trained over all trials and folds, and how many full-length trials (every fold to max epochs) that compute buys. */
  epochsTrained: number;
  fullLengthTrials: number;
  deadlineHit: boolean;
  seconds: number;
  /** Which candidate became the model after the confirmation (absent when it was skipped: --protected, or `confirm: false`). */
  kept?: CandidateName;
  /** The confirmation: candidates, splits, verdict (train/tune/confirm.ts). */
  confirmation?: Confirmation;
  /** With --protected: every trial's fairness, the Pareto front and the choice (also `card.fairness`). */
  fairness?: TuningFairness;
  card: Record<string, unknown>;
}

/** How trials are judged for `trainingRows` rows outside the test split (validationShare 0: all of them go into folds). */
export function selectionPlan(trainingRows: number, folds?: number): { folds: number; validationShare?: number } {
  const k = folds ?? foldsFor(trainingRows);
  return k > 1 ? { folds: k, validationShare: 0 } : { folds: 1 };
}

const secondsText = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function runSearch(data: Dataset, base: TrainOptions, options: TuneOptions, io: TuneIO): Promise<SearchResult> {
  const started = Date.now();
  const head: HeadSpec = options.head ?? { kind: "binary" };
  const regression = head.kind === "regression";
  const metric: Metric = options.metric ?? (regression ? "rmse" : "auc");
  if (regression !== (metric === "rmse")) throw new SearchError(`--metric ${metric} judges ${metric === "rmse" ? "a regression" : "a classifier"}; this target is ${regression ? "a regression's: use --metric rmse" : "a classifier's: use --metric auc or logloss"}`);
  if (regression && (options.fairness || options.groups)) throw new SearchError("--protected and --fairness measure a classifier's decisions by group; this target is a regression's");
  if (options.fairness && !options.groups?.attributes.length) throw new SearchError(`--fairness ${options.fairness.text} constrains the groups of a protected attribute: add --protected <column>`);
  if (regression && base.classWeight !== "none") throw new SearchError("class weights apply to classification; a regression target has none");
  if (!regression && base.loss === "huber") throw new SearchError("--loss huber applies to a regression target; a classifier trains on cross-entropy");
  const o = { ...options, metric, space: regression ? regressionSpace(options.space, data.train.y) : classifierSpace(options.space) };
  // A regression keeps its validation split aside (it calibrates the intervals); its folds are the training rows.
  const k = regression ? selectionPlan(data.train.n, o.folds).folds : selectionPlan(data.train.n + data.validation.n, o.folds).folds;
  if (k > 1 && data.validation.n > 0 && !regression) throw new SearchError("cross-validation uses every training row: prepare the data with validation share 0");
  if (k === 1 && data.validation.n === 0) throw new SearchError("there is no validation split to judge trials on: use --folds 5 or a --validation share above 0");
  const selection = k > 1 ? `${k}-fold ${regression ? "" : "stratified "}CV on ${data.train.n} training rows` : `validation split of ${data.validation.n} rows`;
  const end = o.timeBudgetMs === undefined ? Infinity : o.startedAt + o.timeBudgetMs;
  if (started + FIXED_RESERVE_MS >= end) {
    throw new SearchError(`the time budget ${secondsText(o.timeBudgetMs ?? 0)} is too small for one trial: start-up, reading and encoding the data already took ${secondsText(started - o.startedAt)}; allow a few minutes (--time-budget 2m)`);
  }
  const foldRows = k > 1 ? (data.train.n * (k - 1)) / k : data.train.n;
  const halving = o.halving ?? true;
  const measure: FairnessMeasure | undefined = o.groups?.attributes.length ? (o.fairness ?? { metric: "air" }) : undefined;
  const fair = measure ? (t: Trial) => trialFairness(t, measure) : undefined;
  const constrained = measure?.bound !== undefined ? fair : undefined;
  const thresholds = o.thresholds ?? { refer: 0.25, decline: 0.5 };
  const scheduler = new Scheduler(
    { maxEpochs: base.epochs, eta: o.eta ?? 3, folds: k, metric: o.metric, ...(o.trials ? { maxTrials: o.trials } : {}), rungCount: halving ? 4 : 1 },
    (id) => sampleOptions(o.space, base, seededRandom((base.seed ^ Math.imul(id + 1, 0x9e3779b1)) >>> 0)),
    constrained ? (a, b) => fairFirst(constrained(a), constrained(b)) : undefined,
  );
  io.log(`tuning: ${selection}; successive halving over ${scheduler.rungs.join("/")} epochs; ${o.workers} worker thread${o.workers > 1 ? "s" : ""}${o.trials ? `; up to ${o.trials} trials` : ""}${Number.isFinite(end) ? `; ${secondsText(end - started)} left of the budget` : ""}`);
  const fold = k > 1 ? assignFolds(data.train.y, k, base.seed, !regression) : undefined;
  const calibrated = Number.isFinite(end) ? calibrate(data, base, fold, head) : undefined;
  const groups = o.groups && measure ? { codes: k > 1 ? o.groups.train : o.groups.validation, sizes: o.groups.attributes.map((a) => a.groups.length), thresholds } : undefined;
  if (measure) io.log(`fairness: ${measure.text ? `constraint ${measure.text}` : "adverse impact ratio measured"} on ${o.groups?.attributes.map((a) => a.column).join(", ")} for every trial, on the rows that judge it, at the ${measure.metric === "air" ? `refer threshold ${thresholds.refer}` : `decline threshold ${thresholds.decline}`}`);
  // The confirmation runs unless protected groups are measured: then the fairness record (every trial's, the
  // Pareto front and the choice among trials, train/tune/lda.ts) decides, and the default has no such record.
  const confirming = o.confirm !== false && !measure;
  const plan = confirming ? confirmationPlan(data.train.y, k, base.seed, !regression) : undefined;
  const pool = await TrialPool.start(o.workers, {
    backend: o.backend ?? "wasm", head: searchHead(head, data.train.y), rows: data.train, ...(fold ? { fold } : { validation: data.validation }), ...(groups ? { groups } : {}),
    ...(plan ? { confirm: { assignment: plan.assignment, k: plan.k, repeats: plan.repeats, offset: k } } : {}),
  });

  let epochsTrained = 0;
  let confirmation: Confirmation | undefined;
  let deadlineHit = false;
  const failures: string[] = [];
  const budget = new SearchBudget(
    { startedAt: o.startedAt, end, workers: o.workers, halving, eta: o.eta ?? 3, folds: k, epochs: base.epochs, trainRows: data.train.n, foldRows, ...(plan ? { confirm: plan } : {}) },
    scheduler, calibrated,
  );
  const busy = new Array<boolean>(pool.size).fill(false);
  const evaluated = () => scheduler.trials.filter((t) => t.rung >= 0).length;
  const score = () => {
    const leader = scheduler.ranking()[0];
    return leader ? leaderRows([leader], data.train.width, 1, regression)[0] : undefined;
  };
  io.tuneProgress?.start({ ...(o.trials ? { trials: o.trials } : {}), ...(Number.isFinite(end) ? { endsAt: end } : {}) });

  const handle = (unit: Unit, reply: UnitReply) => {
    const trial = scheduler.trials[unit.trial] as Trial;
    if (reply.type === "result") {
      const delta = reply.result.epochs - (trial.folds[unit.fold]?.epochs ?? 0);
      epochsTrained += delta;
      budget.record(reply.result.seconds, delta);
      pool.drop(scheduler.report(unit, reply.result).map((t) => t.id));
    } else {
      epochsTrained += reply.type === "cancelled" ? reply.epochs : 0;
      if (reply.type === "cancelled") budget.record(reply.seconds, reply.epochs);
      if (reply.type === "cancelled") deadlineHit = true;
      else failures.push(`trial ${unit.trial} (${unit.options.optimizer}, lr ${unit.options.learningRate}): ${reply.error}`);
      scheduler.cancel(unit);
      pool.drop([unit.trial]);
    }
    pool.setDeadline(budget.searchDeadline());
    const best = score();
    io.tuneProgress?.update({
      evaluated: evaluated(), metric: o.metric, ...(best ? { best: o.metric === "auc" ? best.auc.mean : o.metric === "rmse" ? best.rmse.mean : best.logLoss.mean } : {}),
      ...(Number.isFinite(end) ? { leftMs: end - Date.now() } : {}),
    });
  };

  try {
    pool.setDeadline(budget.searchDeadline());
    await new Promise<void>((resolve, reject) => {
      let inflight = 0;
      const pump = () => {
        for (let w = 0; w < pool.size; w++) {
          if (busy[w]) continue;
          if (Date.now() >= budget.searchDeadline()) { deadlineHit ||= Number.isFinite(end) && scheduler.pending(); continue; }
          const unit = scheduler.next(w, (remaining) => budget.bracketSize(remaining));
          if (!unit) continue;
          busy[w] = true;
          inflight++;
          pool.run(w, unit).then((reply) => {
            busy[w] = false;
            inflight--;
            if (reply.type === "failed" && reply.error.startsWith("trial worker failed")) throw new SearchError(reply.error);
            handle(unit, reply);
            pump();
          }).catch(reject);
        }
        if (inflight === 0) resolve();
      };
      pump();
    });
    io.tuneProgress?.stop();
    const choice = chooseWinner(scheduler.ranking(), o.metric, data.train.width, constrained);
    if (choice && plan) {
      const candidates: Candidate[] = [
        { name: "search", options: choice.winner.options },
        { name: "default", options: base },
        { name: "linear", options: linearOptions(base) },
      ];
      io.log(`confirming: the search's best (trial ${choice.winner.id}), the default configuration and a ${regression ? "linear (ridge)" : "logistic"} model on fresh folds`);
      confirmation = await confirmCandidates(pool, plan, candidates, o.metric, { rows: data.train.n, stratified: !regression, deadline: () => budget.confirmDeadline() });
    }
  } finally {
    io.tuneProgress?.stop();
    await pool.close();
  }

  const ranking = scheduler.ranking();
  const choice = chooseWinner(ranking, o.metric, data.train.width, constrained);
  if (!choice) {
    if (failures.length) throw new SearchError(`every trial failed; the first: ${failures[0]}`);
    const spe = budget.meanPerEpoch();
    const need = spe === undefined ? "" : `; one trial's first rung (${scheduler.rungs[0]} epochs × ${k} folds) needs about ${secondsText((spe * 1000 * (scheduler.rungs[0] as number) * k) / o.workers)} on ${o.workers} workers`;
    throw new SearchError(`the time budget ${secondsText(o.timeBudgetMs ?? 0)} is too small for one trial: data and workers took ${secondsText(Date.now() - o.startedAt)} before the deadline${need}; allow more (e.g. --time-budget 2m)`);
  }
  for (const f of failures.slice(0, 3)) io.log(`warning: ${f}`);
  const winner = choice.winner;
  if (choice.reason) io.log(`choosing: ${choice.reason}`);
  if (choice.met === false) io.log(`warning: no trial meets --fairness ${measure?.text}; the winner, trial ${winner.id}, is the closest (${fair?.(winner)?.value.toFixed(3)}): not a less discriminatory alternative. Widen the search (--trials, --space) or review the features that carry the protected information`);
  // The winner leads the board; the others follow in ranking order.
  const rows = leaderRows([winner, ...ranking.filter((t) => t !== winner)], data.train.width, 10, regression, fair);
  measureEdgeTime(rows, data.train.width);
  const text = leaderboardTable(rows, o.metric, selection, pool.backend, measure, k);
  const fairness = measure && fair && o.groups ? tuningFairness({
    measure, groups: o.groups, judgedOn: selection, thresholds, trials: ranking, final: choice.final,
    describe: (t) => leaderRows([t], data.train.width, 1)[0]?.config ?? "", fair, chosen: winner,
    unconstrained: (chooseWinner(ranking, o.metric, data.train.width) as typeof choice).winner,
  }) : undefined;
  if (fairness) io.log(fairnessSummary(fairness));
  const fullLengthTrials = epochsTrained / (base.epochs * k);
  const kept = confirmation?.verdict.winner;
  const searched: TrainOptions = k > 1
    ? { ...winner.options, epochs: finalEpochs(winner, k), patience: 0 }
    : { ...winner.options, epochs: winner.epochs };
  // The default is trained as `npm run train` would (the job's split, early stopping); the linear model is refit like a trial.
  const linear = confirmation?.trials.linear;
  const winnerOptions: TrainOptions = kept === "default" ? base
    : kept === "linear" && linear ? (k > 1 ? { ...linear.options, epochs: refitEpoch(linear), patience: 0 } : linear.options)
    : searched;
  const confirmationText = confirmation ? confirmationTable(confirmation, o.metric, regression) : "";
  const seconds = (Date.now() - started) / 1000;
  const first = rows[0] as LeaderRow;
  return {
    winner: winnerOptions, leaderboard: rows, table: confirmationText ? `${text}\n\n${confirmationText}` : text, selection, ...(kept ? { kept } : {}), ...(confirmation ? { confirmation } : {}), evaluated: evaluated(), sampled: scheduler.trials.length,
    epochsTrained, fullLengthTrials, deadlineHit, seconds, ...(fairness ? { fairness } : {}),
    card: {
      method: `successive halving (eta ${o.eta ?? 3}, rungs ${scheduler.rungs.join("/")} epochs), ${selection}`,
      metric: o.metric, evaluated: evaluated(), sampled: scheduler.trials.length, seconds: Number(seconds.toFixed(1)),
      winner: {
        trial: first.trial, ...(regression ? { rmse: first.rmse, loss: first.logLoss } : { auc: first.auc, logLoss: first.logLoss }), epochs: winnerOptions.epochs,
        ...(first.fairness ? { fairness: first.fairness } : {}),
        rule: `${constrained ? `among final trials meeting ${measure?.text} (none: the closest), ` : ""}best final score, or a ${regression ? "linear" : "logistic"} regression within one standard error (${choice.standardError.toFixed(4)}) of it; best: trial ${choice.best.id}`,
        refit: k > 1 ? "every training row, fixed epochs (mean best epoch over the folds)" : "same split as the trial",
      },
      leaderboard: rows.slice(0, 5).map((r) => ({ config: r.config, ...(regression ? { rmse: r.rmse, loss: r.logLoss } : { auc: r.auc, logLoss: r.logLoss }), ...(r.fairness ? { fairness: r.fairness } : {}), epochs: r.epochs, parameters: r.parameters, edgeMicrosPerRow: r.edgeMicrosPerRow })),
      ...(confirmation ? { confirmation: confirmationCard(confirmation, o.metric) } : {}),
      ...(fairness ? { fairness } : {}),
    },
  };
}
