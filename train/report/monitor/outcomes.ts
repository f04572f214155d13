/**
 * The monitoring report's section for `monitor --decisions --outcomes`: how
 * the outcomes were joined to the captured decisions, and the realised AUC,
 * KS and calibration error per ISO week of the decision, as a chart and a
 * table. Weeks whose loans have not matured show few labels: read them so.
 */
import type { MonitorResult } from "../../monitor/run.ts";
import type { WeekMetrics } from "../../monitor/outcomes.ts";
import { chart, colors, facts, fmt, html, Plot, section, table, type Section } from "../kit/index.ts";

/**
 * What the join set aside, as the summary says it: a reader of the page alone
 * must see that labels were overridden, rows dropped or decisions left out.
 */
function joinCaveats(o: NonNullable<MonitorResult["outcomes"]>): string {
  const parts: string[] = [];
  if (o.duplicates) parts.push(`${fmt.int(o.duplicates)} repeated ${o.duplicates === 1 ? "id" : "ids"} (the later label stands)`);
  if (o.unusable) {
    const e = o.unusableExamples?.[0];
    parts.push(`${fmt.int(o.unusable)} unusable ${o.unusable === 1 ? "row" : "rows"}${e ? ` (e.g. line ${e.line}: ${e.reason})` : ""}`);
  }
  if (o.earlierDecisions) parts.push(`${fmt.int(o.earlierDecisions)} earlier ${o.earlierDecisions === 1 ? "decision" : "decisions"} of an applicant decided again left out of the labelled metrics (each outcome pairs with the latest)`);
  return parts.map((p) => `; ${p}`).join("");
}

export function outcomesSection(r: MonitorResult): Section | undefined {
  const o = r.outcomes;
  if (!o) return undefined;
  const d = r.decisions;
  const m = (x: number | null) => (x === null ? "–" : fmt.metric(x));
  const p = (x: number | null) => (x === null ? "–" : fmt.pct(x));
  const points = o.weekly.flatMap((w) => [
    ...(w.auc === null ? [] : [{ week: w.week, metric: "AUC", value: w.auc }]),
    ...(w.ks === null ? [] : [{ week: w.week, metric: "KS", value: w.ks }]),
  ]);
  const ref = r.performance.estimated?.reference.auc ?? null;
  return section("outcomes", "Realised performance by week",
    facts([
      ["decisions", d ? `${fmt.int(d.read.records)} champion decisions captured from ${fmt.dateTime(d.since)} to ${fmt.dateTime(d.until)} (${fmt.int(d.read.duplicates)} duplicate deliveries dropped)` : "–"],
      ["outcomes", html`<span class="mono">${o.source}</span>: ${fmt.int(o.rows)} rows, ${fmt.int(o.labelled)} with a label in "${o.target}", ${fmt.int(o.pending)} not yet`],
      ["join", html`column <span class="mono">${o.joinOn}</span> = the record's ${o.matchBy === "request_id" ? "request id" : "pass-through value"}: ${fmt.int(o.matched)} matched, ${fmt.int(o.unmatched)} matched no decision in the range${joinCaveats(o)}`],
    ]),
    points.length ? chart({
      id: "weekly-auc", title: "Realised AUC and KS per week of the decision",
      legend: [{ label: "AUC", color: "current" }, { label: "KS", color: "reference" }, ...(ref === null ? [] : [{ label: "test AUC (the card)", color: "neutral" as const, line: true }])],
      aid: html`Each point is one ISO week's decisions that have an outcome now, scored by the judged version. Recent weeks have few matured outcomes and move more.`,
      plot: {
        height: 260,
        x: { label: "ISO week →", type: "point" },
        y: { domain: [0, 1], grid: true, label: "↑ AUC, KS" },
        marks: [
          ...(ref === null ? [] : [Plot.ruleY([ref], { stroke: colors.neutral, strokeDasharray: "4,3" })]),
          Plot.line(points, { x: "week", y: "value", z: "metric", stroke: (q: { metric: string }) => (q.metric === "AUC" ? colors.current : colors.reference) }),
          Plot.dot(points, { x: "week", y: "value", fill: (q: { metric: string }) => (q.metric === "AUC" ? colors.current : colors.reference), r: 4 }),
        ],
      },
    }) : html`<p>No week has both outcomes among its labelled decisions yet: AUC and KS need good and bad loans.</p>`,
    table({
      id: "weekly",
      caption: html`Per ISO week of the decision. Calibration error: count-weighted mean |predicted − observed bad rate| over ten equal-count score groups.`,
      columns: [
        { label: "week", value: (w: WeekMetrics) => w.week },
        { label: "decisions", numeric: true, value: (w) => fmt.int(w.decisions) },
        { label: "labelled", numeric: true, value: (w) => fmt.int(w.labelled) },
        { label: "bad rate", numeric: true, value: (w) => p(w.badRate) },
        { label: "AUC", numeric: true, value: (w) => m(w.auc) },
        { label: "KS", numeric: true, value: (w) => m(w.ks) },
        { label: "calibration error", numeric: true, value: (w) => p(w.calibrationError) },
      ],
      rows: o.weekly,
    }),
  );
}
