/**
 * What a validator checks beyond ROC: the ranking metrics with bootstrap
 * intervals, the confusion matrix at each threshold, lift and cumulative gains
 * by decile, and precision against recall.
 */
import { chart, colors, fmt, grid, html, Plot, section, table, type Html, type Section } from "../kit/index.ts";
import type { RankingIntervals } from "../../evaluate/bootstrap.ts";
import type { DecileRow } from "../../evaluate/lift.ts";
import type { ModelAnalysis } from "./analysis.ts";

const pctAxis = { tickFormat: "%", domain: [0, 1], grid: true } as const;

function intervalsTable(iv: RankingIntervals): Html {
  const rows = [["ROC AUC", iv.auc], ["KS", iv.ks], ["Gini", iv.gini]] as const;
  return table({
    id: "intervals",
    caption: html`Bootstrap 95 % intervals on the test split: ${fmt.int(iv.resamples)} resamples of the test rows with replacement (seed ${iv.seed}${iv.used < iv.resamples ? `, ${fmt.int(iv.used)} with both classes` : ""}), percentile method; Gini is 2 × AUC − 1 of the AUC interval's ends.`,
    columns: [
      { label: "metric", value: (r: (typeof rows)[number]) => r[0] },
      { label: "test", numeric: true, value: (r) => fmt.metric(r[1].value) },
      { label: "95 % interval", numeric: true, value: (r) => `${fmt.metric(r[1].low)} – ${fmt.metric(r[1].high)}` },
    ],
    rows,
  });
}

function confusionTable(c: ModelAnalysis["confusion"][number]): Html {
  const m = c.matrix;
  const rows = [
    { actual: "bad", flagged: m.tp, passed: m.fn },
    { actual: "good", flagged: m.fp, passed: m.tn },
  ];
  const fpr = m.fp + m.tn ? m.fp / (m.fp + m.tn) : 0;
  return table({
    id: `confusion-${c.name}`,
    caption: html`<strong>At the ${c.name} threshold</strong> (score ≥ ${fmt.pct(m.threshold, 0)} flagged): precision ${fmt.pct(m.precision)}, recall ${fmt.pct(m.recall)}, false-positive rate ${fmt.pct(fpr)}, accuracy ${fmt.pct(m.accuracy)}.`,
    columns: [
      { label: "actual", value: (r: (typeof rows)[number]) => r.actual },
      { label: `flagged (≥ ${fmt.pct(m.threshold, 0)})`, numeric: true, value: (r) => fmt.int(r.flagged) },
      { label: `passed (< ${fmt.pct(m.threshold, 0)})`, numeric: true, value: (r) => fmt.int(r.passed) },
    ],
    rows,
  });
}

function gainsChart(lift: DecileRow[]): Html {
  const pts = [{ cumShare: 0, gains: 0 }, ...lift];
  return chart({
    id: "gains", title: "Cumulative gains by decile",
    aid: html`Applicants sorted by score, riskiest first: the share of all bads found in the top 10 %, 20 %, …. The dashed diagonal is a random order; the top decile holds ${fmt.pct(lift[0]?.gains ?? 0)} of the bads.`,
    legend: [{ label: "model", color: "model", line: true }, { label: "random order", color: "neutral", line: true }],
    plot: {
      x: { ...pctAxis, label: "Share of applicants, riskiest first (%) →", labelAnchor: "center" },
      y: { ...pctAxis, label: "↑ Share of all bads found (%)" },
      marks: [
        Plot.line([[0, 0], [1, 1]], { stroke: colors.neutral, strokeDasharray: "4,3" }),
        Plot.line(pts, { x: "cumShare", y: "gains", stroke: colors.model, strokeWidth: 2 }),
        Plot.dot(lift, { x: "cumShare", y: "gains", fill: colors.model, r: 3, className: "gains-points" }),
      ],
    },
  });
}

function liftChart(lift: DecileRow[]): Html {
  return chart({
    id: "lift", title: "Lift by decile",
    aid: "Each decile's bad rate over the overall bad rate: above 1 the decile is riskier than average. A good score falls from left to right.",
    plot: {
      x: { type: "band", domain: lift.map((d) => d.decile), label: "Decile of the score (1 = riskiest tenth) →", labelAnchor: "center" },
      y: { grid: true, label: "↑ Lift (bad rate / overall bad rate)", domain: [0, Math.max(1, ...lift.map((d) => d.lift))], nice: true },
      marks: [Plot.barY(lift, { x: "decile", y: "lift", fill: colors.bad, className: "lift-bars" }), Plot.ruleY([1], { stroke: colors.neutral, strokeDasharray: "4,3" }), Plot.ruleY([0])],
    },
  });
}

function prChart(a: ModelAnalysis): Html {
  return chart({
    id: "pr", title: "Precision and recall",
    aid: html`For each cut-off, the share of flagged applicants who are bad (precision) against the share of bads flagged (recall). The dashed line is the bad rate, what flagging at random gives. Average precision ${fmt.metric(a.pr.averagePrecision)}.`,
    legend: [{ label: "model", color: "model", line: true }, { label: "bad rate", color: "neutral", line: true }],
    plot: {
      x: { ...pctAxis, label: "Recall: bads flagged (%) →", labelAnchor: "center" },
      y: { ...pctAxis, label: "↑ Precision: flagged who are bad (%)" },
      marks: [
        Plot.ruleY([a.pr.baseline], { stroke: colors.neutral, strokeDasharray: "4,3" }),
        Plot.line(a.pr.points, { x: "recall", y: "precision", stroke: colors.model, strokeWidth: 2, className: "pr" }),
      ],
    },
  });
}

export function validationSection(a: ModelAnalysis, intervals: RankingIntervals | undefined): Section {
  const deciles = table({
    id: "lift",
    caption: "Deciles of the score, riskiest first.",
    columns: [
      { label: "decile", numeric: true, value: (d: DecileRow) => d.decile },
      { label: "applicants", numeric: true, value: (d) => fmt.int(d.count) },
      { label: "bads", numeric: true, value: (d) => fmt.int(d.bads) },
      { label: "bad rate", numeric: true, value: (d) => fmt.pct(d.badRate) },
      { label: "lift", numeric: true, value: (d) => fmt.num(d.lift, 2) },
      { label: "cumulative gains", numeric: true, value: (d) => fmt.pct(d.gains) },
      { label: "cumulative lift", numeric: true, value: (d) => fmt.num(d.cumLift, 2) },
    ],
    rows: a.lift,
  });
  return section("validation", "Validation",
    html`<p>The numbers a validator signs off on, on the ${fmt.int(a.testRows)} test applicants.</p>`,
    intervals ? intervalsTable(intervals) : "",
    grid(...a.confusion.map((c) => html`<div>${confusionTable(c)}</div>`)),
    grid(gainsChart(a.lift), liftChart(a.lift), prChart(a)),
    deciles,
  );
}
