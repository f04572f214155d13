/**
 * The confirmation as the leaderboard, tuned.json and the model card show it:
 * each candidate's score on the fresh splits, its paired difference from the
 * default with the standard error, which one won, and why (the "default kept"
 * sentence when the search's best was not better by more than its noise).
 */
import { describeOptions } from "../fit/options.ts";
import { fmt, table } from "../cli/table.ts";
import type { Confirmation } from "./confirm.ts";
import { refitEpoch, type Metric } from "./schedule.ts";

const LABEL = { search: "search's best", default: "default", linear: "linear (L2)" } as const;

export function confirmationTable(c: Confirmation, metric: Metric, regression: boolean): string {
  const name = metric === "auc" ? "AUC" : metric === "rmse" ? "RMSE" : "log loss";
  const rows = c.verdict.rows.map((r) => {
    const t = c.trials[r.name];
    const d = r.vsDefault;
    return [
      r.name === c.verdict.winner ? "✓" : "", LABEL[r.name], describeOptions(t.options, regression),
      `${fmt(r.mean, 4)} ± ${fmt(r.sd, 4)}`, d ? `${fmt((metric === "auc" ? 1 : -1) * d.mean, 4)} ± ${fmt(d.se, 4)}` : "", d ? (d.beats ? "yes" : "no") : "", t.folds.length > 0 && t.folds.every(Boolean) ? refitEpoch(t) : "–",
    ];
  });
  return `${table(
    `Confirmation (${c.protocol}, ${fmt(c.seconds, 1)} s): a challenger replaces the default only when better than it by more than the standard error of the paired difference`,
    ["won", "candidate", "config", `${name} ± sd`, `Δ vs default ± se`, "beats default", "epochs"],
    rows,
  )}\n${c.verdict.reason}`;
}

/** For tuned.json's `search` and the card's `tuning`. */
export function confirmationCard(c: Confirmation, metric: Metric): Record<string, unknown> {
  const r6 = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(6)) : null);
  return {
    protocol: c.protocol, kept: c.verdict.winner, reason: c.verdict.reason, seconds: Number(c.seconds.toFixed(1)), metric,
    candidates: c.verdict.rows.map((r) => ({
      name: r.name, config: describeOptions(c.trials[r.name].options, metric === "rmse"), mean: r6(r.mean), sd: r6(r.sd),
      ...(r.vsDefault ? { vsDefault: { mean: r6(r.vsDefault.mean), se: r6(r.vsDefault.se), beats: r.vsDefault.beats } } : {}),
    })),
  };
}
