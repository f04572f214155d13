/**
 * What drives the model and what the data looked like, per feature:
 * importance (mean |reason impact|), Information Value with its weight-of-
 * evidence bins, training vs test distributions, partial dependence.
 */
import { chart, colors, fmt, grid, html, labelAxis, Plot, section, slug, table, trusted, type Html, type Section } from "../kit/index.ts";
import type { DependencePoint } from "../../evaluate/importance.ts";
import type { FeatureAnalysis, FeatureBins, ModelAnalysis } from "./analysis.ts";

const pp = (x: number) => `${fmt.num(x * 100, 1)} pp`;

function overview(a: ModelAnalysis): Html {
  const byImportance = [...a.features].sort((x, y) => x.rank - y.rank);
  const byIv = [...a.features].sort((x, y) => y.iv - x.iv);
  const barHeight = (n: number) => 50 + n * 22;
  const names = labelAxis(a.features.map((f) => f.name));
  const importance = chart({
    id: "importance", title: "Global importance",
    aid: html`Mean |reason impact| over ${fmt.int(a.explainedRows)} test applicants: how far, on average, resetting the feature to the typical applicant's value moves the probability (the edge's own reason-code computation).`,
    plot: {
      height: barHeight(a.features.length), marginLeft: names.marginLeft, width: names.width,
      x: { grid: true, label: "Mean |impact| on the probability (percentage points) →", labelAnchor: "center", tickFormat: (d: number) => fmt.num(d * 100, 1) },
      y: { domain: byImportance.map((f) => f.name), label: null, axis: null },
      marks: [names.axis, Plot.barX(byImportance, { y: "name", x: (f: FeatureAnalysis) => f.importance.meanAbsImpact, fill: colors.model, className: "importance-bars" }), Plot.ruleX([0])],
    },
  });
  const iv = chart({
    id: "iv", title: "Information Value",
    aid: "How well each feature alone separates goods from bads on the training rows, from its weight-of-evidence bins. Dashed lines: 0.02 weak, 0.1 medium, 0.3 strong; above 0.5 is suspicious (a possible leak of the outcome).",
    plot: {
      height: barHeight(a.features.length), marginLeft: names.marginLeft, width: names.width,
      x: { grid: true, label: "Information Value →", labelAnchor: "center" },
      y: { domain: byIv.map((f) => f.name), label: null, axis: null },
      marks: [
        names.axis,
        Plot.barX(byIv, { y: "name", x: "iv", fill: colors.reference, className: "iv-bars" }),
        Plot.ruleX([0.02, 0.1, 0.3, 0.5].filter((v) => v <= Math.max(0.12, ...byIv.map((f) => f.iv)) * 1.05), { stroke: colors.neutral, strokeDasharray: "3,3" }),
        Plot.ruleX([0]),
      ],
    },
  });
  const summary = table({
    id: "features",
    caption: "Every feature, most important first. PSI compares the test rows with the training rows on the feature's bins (< 0.1 stable, 0.1–0.25 drifting, > 0.25 shifted).",
    columns: [
      { label: "feature", value: (f: FeatureAnalysis) => html`<a href="#f-${slug(f.name)}">${f.name}</a>` },
      { label: "type", value: (f) => f.kind },
      { label: "importance", numeric: true, value: (f) => pp(f.importance.meanAbsImpact) },
      { label: "raises risk for", numeric: true, value: (f) => fmt.pct(f.importance.raisedShare, 0) },
      { label: "IV", numeric: true, value: (f) => html`${fmt.num(f.iv, 3)} <small>${f.strength}</small>` },
      { label: "PSI", numeric: true, value: (f) => fmt.num(f.psi, 3) },
      { label: "missing (train)", numeric: true, value: (f) => fmt.pct(f.missingShare.train) },
    ],
    rows: byImportance,
  });
  return html`${grid(importance, iv)}${summary}`;
}

/** How partial dependence is worded and drawn: a classifier's average probability (a percentage), or a regression's average value. */
export interface DependenceWording {
  /** "predicted probability", "predicted wage" */
  answer: string;
  /** The axis label of the answer, e.g. "Average probability of bad (%)". */
  axis: string;
  percent: boolean;
  /** "applicants", "rows" */
  who: string;
}

/** Partial dependence charts of the features that have it, most important first (any task). */
export function dependenceGrid(features: { name: string; kind: string; rank: number; dependence?: DependencePoint[] }[], explainedRows: number, w: DependenceWording): Html {
  const top = features.filter((f) => f.dependence).sort((x, y) => x.rank - y.rank);
  const ticks = w.percent ? { tickFormat: "%" } : {};
  return grid(top.map((f) => {
    const pts = f.dependence!;
    const numeric = f.kind === "numeric";
    const y = { grid: true, ...ticks, label: numeric ? `↑ ${w.axis}` : null } as const;
    const values = pts.map((p) => p.value);
    // A 0/1 flag or a count with few values: points at the real values only, no line through values that cannot occur.
    // (Whole numbers spanning at most 12 values: every possible value is on the grid, so it is a flag or a small count, not a sampled range.)
    const nums = values.filter((v): v is number => typeof v === "number" && Number.isInteger(v));
    const discrete = numeric && nums.length === values.length && Math.max(...nums) - Math.min(...nums) < 12;
    const cats = labelAxis(values.map(String), { min: 60 });
    const dots = { fill: colors.model, className: "dependence-points" };
    return chart({
      id: `pd-${slug(f.name)}`, title: `Partial dependence: ${f.name}`,
      aid: `The average ${w.answer} of the ${fmt.int(explainedRows)} ${w.who} if everyone had this ${f.name}, everything else as it was: the direction and shape of the feature's effect (importance rank ${f.rank}).`,
      plot: discrete
        ? { x: { type: "point", domain: values, label: `${f.name} →`, labelAnchor: "center", tickFormat: (v: number) => fmt.value(v), padding: 0.5 }, y, marks: [Plot.ruleX(pts, { x: "value", y: "mean", stroke: colors.neutral }), Plot.dot(pts, { x: "value", y: "mean", r: 5, ...dots })] }
        : numeric
          ? { x: { label: `${f.name} →`, labelAnchor: "center", grid: true }, y, marks: [Plot.line(pts, { x: "value", y: "mean", stroke: colors.model, strokeWidth: 2 }), Plot.dot(pts, { x: "value", y: "mean", r: 3, ...dots })] }
          : { height: 60 + pts.length * 24, marginLeft: cats.marginLeft, x: { grid: true, ...ticks, label: `${w.axis} →`, labelAnchor: "center" }, y: { label: null, axis: null, domain: values.map(String) }, marks: [cats.axis, Plot.ruleY(pts, { y: (p: { value: string | number }) => String(p.value), x: "mean", stroke: colors.neutral }), Plot.dot(pts, { y: (p: { value: string | number }) => String(p.value), x: "mean", r: 4, ...dots })] },
    });
  }));
}

/** A feature's share of rows per bin, training vs test, with its PSI (any task). */
export function distributionChart(f: FeatureBins, who: string): Html {
  const bins = labelAxis(f.bins.map((b) => b.label), { min: 60 });
  return chart({
    id: `dist-${slug(f.name)}`, title: "Training vs test distribution",
    legend: [{ label: "training", color: "train" }, { label: "test", color: "test", line: true }],
    aid: `Share of ${who} per bin: bars for the training rows, marks for the test rows. PSI ${fmt.num(f.psi, 3)}${f.psi < 0.1 ? " (stable)" : f.psi < 0.25 ? " (drifting)" : " (shifted)"}.`,
    plot: {
      height: 48 + f.bins.length * 22, marginLeft: bins.marginLeft,
      x: { grid: true, tickFormat: "%", label: `Share of ${who} (%) →`, labelAnchor: "center" },
      y: { domain: f.bins.map((b) => b.label), label: null, axis: null },
      marks: [
        bins.axis,
        Plot.barX(f.bins, { y: "label", x: "trainShare", fill: colors.train, fillOpacity: 0.85, className: "train-bars" }),
        Plot.tickX(f.bins, { y: "label", x: "testShare", stroke: colors.test, strokeWidth: 3, className: "test-marks" }),
        Plot.ruleX([0]),
      ],
    },
  });
}

/** Feature sections open at first: the most important few; the rest stay one click away (a 61-feature page was 34,666 px tall). */
export const OPEN_FEATURES = 3;

function featureDetail(f: FeatureAnalysis, open: boolean): Html {
  const height = 48 + f.bins.length * 22;
  const labels = f.bins.map((b) => b.label);
  const woeBins = f.woe.bins.filter((b) => b.woe !== null);
  const clipped = f.clipped.train.low + f.clipped.train.high + f.clipped.test.low + f.clipped.test.high;
  const dist = distributionChart(f, "applicants");
  const binAxis = labelAxis(labels, { min: 60 });
  const woe = chart({
    id: `woe-${slug(f.name)}`, title: "Weight of evidence and bad rate",
    legend: [{ label: "lower risk than average", color: "lower" }, { label: "higher risk", color: "higher" }],
    aid: `WoE = ln(share of goods / share of bads) per bin on the training rows; labels give each bin's bad rate. IV ${fmt.num(f.iv, 3)} (${f.strength}).`,
    plot: {
      height, marginLeft: binAxis.marginLeft, marginRight: 36,
      // Room beyond the longest bars for their bad-rate labels, so none runs into the axis labels.
      x: { grid: true, label: "Weight of evidence →", labelAnchor: "center", domain: [Math.min(0, ...woeBins.map((b) => b.woe!)) * 1.3, Math.max(0, ...woeBins.map((b) => b.woe!)) * 1.3] },
      y: { domain: labels, label: null, axis: null },
      marks: [
        binAxis.axis,
        Plot.barX(woeBins, { y: "label", x: "woe", fill: (b: { woe: number }) => (b.woe >= 0 ? colors.lower : colors.higher), className: "woe-bars" }),
        Plot.ruleX([0]),
        // Bad-rate labels just past the end of each bar, on the bar's side of zero.
        Plot.text(woeBins.filter((b) => b.woe! >= 0), { y: "label", x: "woe", text: (b: { badRate: number }) => fmt.pct(b.badRate, 0), dx: 4, textAnchor: "start", fontSize: 10, fill: "#444" }),
        Plot.text(woeBins.filter((b) => b.woe! < 0), { y: "label", x: "woe", text: (b: { badRate: number }) => fmt.pct(b.badRate, 0), dx: -4, textAnchor: "end", fontSize: 10, fill: "#444" }),
      ],
    },
  });
  const binTable = table({
    caption: "Binning table (training rows; test share for comparison).",
    columns: [
      { label: "bin", value: (b: FeatureAnalysis["woe"]["bins"][number]) => b.label },
      { label: "goods", numeric: true, value: (b) => fmt.int(b.good) },
      { label: "bads", numeric: true, value: (b) => fmt.int(b.bad) },
      { label: "bad rate", numeric: true, value: (b) => (b.badRate === null ? "–" : fmt.pct(b.badRate)) },
      { label: "WoE", numeric: true, value: (b) => (b.woe === null ? "–" : fmt.signed(b.woe, 3)) },
      { label: "IV part", numeric: true, value: (b) => fmt.num(b.iv, 4) },
      { label: "test share", numeric: true, value: (b) => fmt.pct(f.bins.find((x) => x.label === b.label)?.testShare ?? 0) },
    ],
    rows: f.woe.bins,
  });
  const line = [
    `importance rank ${f.rank} (${pp(f.importance.meanAbsImpact)})`,
    `IV ${fmt.num(f.iv, 3)} ${f.strength}`,
    `missing ${fmt.pct(f.missingShare.train)} train / ${fmt.pct(f.missingShare.test)} test`,
    ...(f.kind === "numeric" ? [`${fmt.int(clipped)} value${clipped === 1 ? "" : "s"} outside the clip range ${fmt.value(f.clipped.lo)} to ${fmt.value(f.clipped.hi)}`] : []),
  ].join(" · ");
  return html`<details class="feature" id="f-${slug(f.name)}"${open ? trusted(" open") : ""}><summary><h3>${f.name} <small>(${f.kind}, importance rank ${f.rank})</small></h3></summary>${f.description ? html`<p>${f.description}</p>` : ""}<p class="sub">${line}</p>${grid(dist, woe)}<details><summary>Binning table</summary>${binTable}</details></details>`;
}

export function featuresSection(a: ModelAnalysis): Section {
  return section("features", "Features",
    html`<p>Which inputs drive the score and how each one relates to the outcome. Importance and partial dependence come from the network; Information Value and weight of evidence from the data alone.</p>`,
    overview(a));
}

export function dependenceSection(a: ModelAnalysis): Section {
  return section("dependence", "Effects of the top features", dependenceGrid(a.features, a.explainedRows, { answer: "predicted probability", axis: "Average probability of bad (%)", percent: true, who: "applicants" }));
}

export function featureDetailSection(a: ModelAnalysis): Section {
  return section("feature-detail", "Feature by feature",
    html`<p>Most important first; the top ${Math.min(OPEN_FEATURES, a.features.length)} are open, click a name to open the others.</p>`,
    [...a.features].sort((x, y) => x.rank - y.rank).map((f, i) => featureDetail(f, i < OPEN_FEATURES)));
}
