/**
 * The tuner's leaderboard: the best trials with their cross-validated score,
 * how long they trained, how big they are and how long the edge's forward pass
 * takes per applicant, so the accuracy / latency trade-off is visible. Edge
 * time is the tfjs forward pass (256-row batches) on the training backend in
 * Node; `npm run bench` measures the served models inside workerd.
 */
import * as tf from "@tensorflow/tfjs-core";
import { forwardPass } from "../../shared/network.ts";
import { fmt, table } from "../cli/table.ts";
import { buildModel, parameterCount } from "../fit/architecture.ts";
import { describeOptions, type TrainOptions } from "../fit/options.ts";
import { METRIC_NAMES, type FairnessMeasure } from "./constraint.ts";
import type { TrialFairness } from "./lda.ts";
import { foldScore, type Metric, type Trial } from "./schedule.ts";

export interface LeaderRow {
  rank: number;
  trial: number;
  config: string;
  options: TrainOptions;
  /** Cross-validated (or validation) AUC and loss (a classifier's log loss, a regression's MSE on the standardized target): mean and sd over folds. */
  auc: { mean: number; sd: number };
  logLoss: { mean: number; sd: number };
  /** A regression's RMSE on the target's scale (NaN for a classifier). */
  rmse: { mean: number; sd: number };
  /** Epochs trained (the largest fold) and the mean best epoch. */
  epochs: number;
  bestEpoch: number;
  parameters: number;
  /** float32 weights.bin bytes. */
  bytes: number;
  edgeMicrosPerRow?: number;
  /** With protected attributes: the fairness metric's minimum over groups, and whether it meets the constraint. */
  fairness?: TrialFairness;
}

const round = (x: number, d = 6) => Number(x.toFixed(d));

/** `regression`: a network without hidden layers is a linear regression, not a logistic one. */
export function leaderRows(ranking: Trial[], width: number, top: number, regression = false, fair?: (t: Trial) => TrialFairness | undefined): LeaderRow[] {
  return ranking.slice(0, top).map((t, i) => {
    const parameters = parameterCount(width, t.options.hidden);
    const best = t.folds.map((f) => f?.bestEpoch ?? 0);
    const auc = foldScore(t, "auc");
    const logLoss = foldScore(t, "logloss");
    const rmse = foldScore(t, "rmse");
    return {
      rank: i + 1, trial: t.id, config: describeOptions(t.options, regression), options: t.options,
      auc: { mean: round(auc.mean), sd: round(auc.sd) }, logLoss: { mean: round(logLoss.mean), sd: round(logLoss.sd) }, rmse: { mean: round(rmse.mean), sd: round(rmse.sd) },
      epochs: t.epochs, bestEpoch: round(best.reduce((s, x) => s + x, 0) / best.length, 1), parameters, bytes: parameters * 4,
      ...(fair?.(t) ? { fairness: fair(t) as TrialFairness } : {}),
    };
  });
}

/** Median µs per row of `model.predict` on 256-row batches, for each row's architecture. */
export function measureEdgeTime(rows: LeaderRow[], width: number, budgetMs = 80): void {
  const xt = tf.randomNormal([256, width], 0, 1, "float32", 1);
  const x = xt.dataSync() as Float32Array;
  try {
    // The first model measured pays for warming the backend up: measure it twice.
    for (const row of [rows[0], ...rows].filter((r): r is LeaderRow => r !== undefined)) {
      const model = buildModel(width, row.options);
      const times: number[] = [];
      const predict = () => forwardPass(model, x, 256, width);
      for (let i = 0; i < 10; i++) predict();
      const until = performance.now() + budgetMs;
      while (times.length < 20 || (performance.now() < until && times.length < 200)) {
        const t0 = performance.now();
        predict();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      row.edgeMicrosPerRow = round(((times[times.length >> 1] as number) * 1000) / 256, 3);
      model.dispose();
    }
  } finally {
    xt.dispose();
  }
}

/**
 * `fairness`: the measure of --protected (and the bound of --fairness): two more columns, and the rule in the title.
 * `splits`: how many folds judged each trial; one (a validation split) has no spread to show.
 */
export function leaderboardTable(rows: LeaderRow[], metric: Metric, selection: string, backend: string, fairness?: FairnessMeasure, splits = 2): string {
  const score = (r: LeaderRow) => (metric === "auc" ? r.auc : metric === "rmse" ? r.rmse : r.logLoss);
  const name = metric === "auc" ? "AUC" : metric === "rmse" ? "RMSE" : "log loss";
  const other = metric === "auc" ? "log loss" : metric === "rmse" ? "MSE (std.)" : "AUC";
  const otherOf = (r: LeaderRow) => (metric === "logloss" ? r.auc.mean : r.logLoss.mean);
  const rule = `the best final score, or a ${metric === "rmse" ? "linear" : "logistic"} regression within one standard error of it`;
  const constrained = fairness?.bound !== undefined;
  const fairName = fairness ? METRIC_NAMES[fairness.metric] : "";
  const meets = (r: LeaderRow) => (r.fairness?.meets === undefined ? "" : r.fairness.meets ? "✓" : "✗");
  return table(
    constrained
      ? `Leaderboard (${selection}): #1 is the winner: among final trials meeting ${fairness.text}, ${rule} (none meeting it: the closest); then meeting it first, by ${name} at the highest rung reached. Edge µs/row: tfjs ${backend}, 256-row batches`
      : `Leaderboard (${selection}): #1 is the search's choice (the confirmation below decides between it, the default and a linear model): ${rule}; then by ${name} at the highest rung reached. Edge µs/row: tfjs ${backend}, 256-row batches`,
    ["#", "trial", "config", splits > 1 ? `${name} ± sd` : name, other, ...(fairness ? [fairName, ...(constrained ? ["meets"] : [])] : []), "epochs (best)", "params", "KiB", "edge µs/row"],
    rows.map((r) => [
      r.rank, r.trial, r.config, splits > 1 ? `${fmt(score(r).mean, 4)} ± ${fmt(score(r).sd, 4)}` : fmt(score(r).mean, 4), fmt(otherOf(r), 4),
      ...(fairness ? [r.fairness && Number.isFinite(r.fairness.value) ? fmt(r.fairness.value, 3) : "n/a", ...(constrained ? [meets(r)] : [])] : []),
      `${r.epochs} (${fmt(r.bestEpoch, 1)})`, r.parameters, fmt(r.bytes / 1024, 1), fmt(r.edgeMicrosPerRow, 2),
    ]),
  );
}
