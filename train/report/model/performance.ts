/** How well the scores rank and how honest they are: ROC, KS, calibration, and what the thresholds do. */
import type { Thresholds } from "../../../shared/artifact.ts";
import { labelsOf, type FeatureSpec } from "../../../shared/spec.ts";
import { chart, colors, fmt, grid, html, Plot, section, table, type Section } from "../kit/index.ts";
import type { BandRates } from "../../evaluate/curves.ts";
import type { Evaluation } from "../../evaluate/metrics.ts";
import type { ModelAnalysis } from "./analysis.ts";

const pctAxis = { tickFormat: "%", domain: [0, 1], grid: true } as const;

export function rankingSection(a: ModelAnalysis, t: Evaluation): Section {
  const roc = chart({
    id: "roc",
    title: "ROC curve",
    aid: html`Each point is one score cut-off: the share of bads caught against the share of goods flagged with them. The further the curve bows to the top left, the better; the dashed diagonal is a coin toss. AUC ${fmt.metric(t.auc)} over ${fmt.int(a.roc.length - 1)} cut-offs; dots mark the refer and decline thresholds.`,
    legend: [{ label: "model", color: "model", line: true }, { label: "refer threshold", color: "refer" }, { label: "decline threshold", color: "decline" }],
    plot: {
      height: 320,
      x: { ...pctAxis, label: "False-positive rate: goods flagged (%) →", labelAnchor: "center" },
      y: { ...pctAxis, label: "↑ True-positive rate: bads caught (%)" },
      marks: [
        Plot.line([[0, 0], [1, 1]], { stroke: colors.neutral, strokeDasharray: "4,3", className: "chance" }),
        Plot.line(a.roc, { x: "fpr", y: "tpr", stroke: colors.model, strokeWidth: 2, className: "roc" }),
        Plot.dot(a.operating, { x: "fpr", y: "tpr", r: 5, fill: (d: { name: "refer" | "decline" }) => colors[d.name], stroke: "white", className: "thresholds" }),
        Plot.text(a.operating, { x: "fpr", y: "tpr", text: (d: { name: string; threshold: number }) => `${d.name} ≥ ${fmt.pct(d.threshold, 0)}`, dx: 8, dy: 8, textAnchor: "start" }),
      ],
    },
  });
  const ks = chart({
    id: "ks",
    title: "KS: cumulative bads and goods by score",
    aid: html`For each score, the share of bads and of goods scoring below it. Goods should pile up at low scores, bads at high ones; the widest vertical gap is the KS statistic: ${fmt.metric(a.ksMax.gap)} at a score of ${fmt.pct(a.ksMax.score)}.`,
    legend: [{ label: "bads", color: "bad", line: true }, { label: "goods", color: "good", line: true }],
    plot: {
      height: 320,
      x: { ...pctAxis, label: "Score: predicted probability of bad (%) →", labelAnchor: "center" },
      y: { ...pctAxis, label: "↑ Share of the class scoring lower (%)" },
      marks: [
        Plot.line(a.ks, { x: "score", y: "good", stroke: colors.good, strokeWidth: 2, className: "ks-goods" }),
        Plot.line(a.ks, { x: "score", y: "bad", stroke: colors.bad, strokeWidth: 2, className: "ks-bads" }),
        Plot.ruleX([a.ksMax], { x: "score", y1: "bad", y2: "good", stroke: "currentColor", strokeWidth: 1.5, className: "ks-gap" }),
        Plot.text([a.ksMax], { x: "score", y: (d: { bad: number; good: number }) => (d.bad + d.good) / 2, text: () => `KS ${fmt.metric(a.ksMax.gap)}`, dx: 6, textAnchor: "start" }),
      ],
    },
  });
  return section("ranking", "Ranking: ROC and KS",
    html`<p>Does the score put bad applicants above good ones? Both charts use the ${fmt.int(t.n)} test applicants.</p>`,
    grid(roc, ks));
}

export function calibrationSection(a: ModelAnalysis): Section {
  const top = Math.min(1, Math.max(0.1, ...a.calibration.map((c) => Math.max(c.hi, c.meanPredicted))) * 1.08);
  const axis = { tickFormat: "%", domain: [0, top], grid: true } as const;
  const cal = chart({
    id: "calibration",
    title: "Calibration (reliability)",
    aid: html`Applicants sorted by score into ${a.calibration.length} equal-size groups; each dot is a group's average predicted probability against the share that actually turned bad, with its 95 % interval; the table gives each group's size. Dots on the dashed diagonal mean the probabilities can be taken at face value.`,
    legend: [{ label: "group of applicants (95 % interval)", color: "model" }, { label: "perfect calibration", color: "neutral", line: true }],
    plot: {
      height: 340,
      x: { ...axis, label: "Average predicted probability of bad (%) →", labelAnchor: "center" },
      y: { ...axis, label: "↑ Observed bad rate (%)" },
      marks: [
        Plot.line([[0, 0], [top, top]], { stroke: colors.neutral, strokeDasharray: "4,3", className: "diagonal" }),
        Plot.ruleX(a.calibration, { x: "meanPredicted", y1: "lo", y2: "hi", stroke: colors.model, strokeOpacity: 0.5, strokeWidth: 2, className: "intervals" }),
        Plot.dot(a.calibration, { x: "meanPredicted", y: "observedRate", r: 4, fill: colors.model, className: "calibration-bins" }),
      ],
    },
  });
  const tbl = table({
    id: "calibration",
    caption: "The groups behind the chart.",
    columns: [
      { label: "group", numeric: true, value: (c: ModelAnalysis["calibration"][number]) => c.bin + 1 },
      { label: "applicants", numeric: true, value: (c) => fmt.int(c.count) },
      { label: "predicted", numeric: true, value: (c) => fmt.pct(c.meanPredicted) },
      { label: "observed", numeric: true, value: (c) => fmt.pct(c.observedRate) },
      { label: "95 % interval", numeric: true, value: (c) => `${fmt.pct(c.lo)}–${fmt.pct(c.hi)}` },
    ],
    rows: a.calibration,
  });
  return section("calibration", "Calibration", grid(cal, html`<div>${tbl}</div>`));
}

/** A share axis from 0 to the first round tick above `max` (at most 5 steps), and those ticks. */
export function shareTicks(max: number): { domain: [number, number]; ticks: number[] } {
  const step = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25].find((s) => max / s <= 5) ?? 0.5;
  const n = Math.ceil((max * 1.02) / step);
  const at = (i: number) => Math.round(i * step * 1e6) / 1e6;
  return { domain: [0, at(n)], ticks: Array.from({ length: n + 1 }, (_, i) => at(i)) };
}

export function decisionsSection(a: ModelAnalysis, thresholds: Thresholds, spec: FeatureSpec): Section {
  const name = (label: string, role: string) => (label === role ? label : `${label} (${role})`);
  const labels = labelsOf(spec);
  const classes = [name(labels.negative, "good"), name(labels.positive, "bad")];
  const rows = a.histogram.flatMap((b) => {
    const good = a.histogram.reduce((s, x) => s + x.good, 0);
    const bad = a.histogram.reduce((s, x) => s + x.bad, 0);
    return [
      { x0: b.x0, x1: b.x1, cls: classes[0]!, share: good ? b.good / good : 0 },
      { x0: b.x0, x1: b.x1, cls: classes[1]!, share: bad ? b.bad / bad : 0 },
    ];
  });
  const rules = [{ name: "refer", at: thresholds.refer }, { name: "decline", at: thresholds.decline }] as const;
  const dist = chart({
    id: "distribution",
    title: "Score distribution by outcome",
    aid: html`Scores of the test applicants who turned out good (top) and bad (bottom), each as a share of its own class. Applicants at or above the orange line are referred to a person, at or above the red line declined. The less the two shapes overlap, the better the thresholds can separate them.`,
    legend: [{ label: "good", color: "good" }, { label: "bad", color: "bad" }, { label: `refer ≥ ${fmt.pct(thresholds.refer, 0)}`, color: "refer", line: true }, { label: `decline ≥ ${fmt.pct(thresholds.decline, 0)}`, color: "decline", line: true }],
    plot: {
      height: 340, marginRight: 64,
      x: { domain: [0, 1], tickFormat: "%", label: "Score: predicted probability of bad (%) →", labelAnchor: "center" },
      // The tallest bar sets the domain, rounded up to the next tick, so no bar rises past the axis's top tick.
      y: { tickFormat: "%", grid: true, label: "↑ Share of the class (%)", ...shareTicks(Math.max(0.01, ...rows.map((r) => r.share))) },
      fy: { label: null, domain: classes },
      color: { domain: classes, range: [colors.good, colors.bad] },
      marks: [
        Plot.rectY(rows, { x1: "x0", x2: "x1", y: "share", fy: "cls", fill: "cls", insetLeft: 0.5, insetRight: 0.5, className: "histogram" }),
        Plot.ruleY([0]),
        Plot.ruleX(rules, { x: "at", stroke: (d: { name: "refer" | "decline" }) => colors[d.name], strokeWidth: 2, className: "threshold-rules" }),
      ],
    },
  });
  const bandTable = table({
    id: "bands",
    caption: html`What the thresholds do on the ${fmt.int(a.testRows)} test applicants (the edge's rule: decline at or above ${fmt.pct(thresholds.decline, 0)}, refer at or above ${fmt.pct(thresholds.refer, 0)}).`,
    columns: [
      { label: "decision", value: (b: BandRates) => html`<span class="nowrap"><span class="sw sw-${b.band}"></span>${b.band}</span>` },
      { label: "scores", numeric: true, value: (b) => (b.band === "decline" ? `≥ ${fmt.pct(b.from, 0)}` : `${fmt.pct(b.from, 0)}–${fmt.pct(b.to, 0)}`) },
      { label: "applicants", numeric: true, value: (b) => fmt.int(b.count) },
      { label: "rate", numeric: true, value: (b) => fmt.pct(b.share) },
      { label: "bad rate", numeric: true, value: (b) => (b.count ? fmt.pct(b.badRate) : "–") },
      { label: "share of all bads", numeric: true, value: (b) => fmt.pct(b.badsCaptured) },
    ],
    rows: a.bands,
  });
  return section("decisions", "Scores and decisions", grid(dist, html`<div>${bandTable}</div>`));
}
