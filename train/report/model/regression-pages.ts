/**
 * The sections of a regression model's report: the headline errors beside the
 * training-mean baseline and the previous version, predicted against actual
 * values and the residuals, and whether the prediction intervals held as
 * often as promised, overall and by decile of the predicted value.
 */
import { chart, colors, fmt, grid, html, Plot, section, table, tiles, type Content, type Section } from "../kit/index.ts";
import type { CoverageBin } from "../../evaluate/conformal.ts";
import { REGRESSION_HEADLINE, type PreviousVersion, type RegressionCard, type RegressionMetric } from "./card.ts";
import type { Point, RegressionAnalysis } from "./regression-analysis.ts";
import { previousNote } from "./summary.ts";

const META: Record<RegressionMetric, { label: string; higherIsBetter: boolean; what: string }> = {
  r2: { label: "R²", higherIsBetter: true, what: "share of the target's variance the model explains (0 = predicting the mean)" },
  rmse: { label: "RMSE", higherIsBetter: false, what: "root mean squared error, in the target's units" },
  mae: { label: "MAE", higherIsBetter: false, what: "mean absolute error, in the target's units" },
  medianAe: { label: "Median AE", higherIsBetter: false, what: "median absolute error: the typical miss, unmoved by a few huge ones" },
};

/** A metric in its own style: R² with 3 decimals, errors in the target's units. */
const value = (m: RegressionMetric, x: number | undefined) => (x === undefined ? "–" : m === "r2" ? fmt.metric(x) : fmt.num(x, 1));

function change(m: RegressionMetric, now: number, before: number | undefined): Content {
  if (before === undefined) return "–";
  const d = now - before;
  const better = META[m].higherIsBetter ? d > 0 : d < 0;
  const text = m === "r2" ? fmt.signed(d) : fmt.signed(d, 1);
  const negligible = m === "r2" ? Math.abs(d) < 5e-4 : Math.abs(d) < 5e-4 * Math.abs(before);
  return negligible ? text : html`<span class="${better ? "good" : "bad"}">${text} ${better ? "better" : "worse"}</span>`;
}

export function regressionSummary(card: RegressionCard, previous: PreviousVersion | undefined): Section {
  const t = card.metrics.test;
  const b = card.metrics.baseline;
  const i = card.interval;
  const prevNote = previousNote(card, previous);
  return section("summary", "Summary",
    html`<p>${card.description} Tested on ${fmt.int(t.n)} held-out rows (mean "${card.target.column}" ${fmt.num(t.meanActual, 1)}); the baseline predicts the training mean (${fmt.num(card.data.targetMean, 1)}) for everyone. ${
      card.target.transform === "none" ? "" : html`The network was fitted on ${card.target.transform}(${card.target.column}) (${card.target.transformReason}); values are back on the original scale, with Duan's smearing factor ${fmt.num(card.target.smearing, 3)} so that they estimate the mean.`}</p>`,
    tiles([
      ...REGRESSION_HEADLINE.map((m) => ({
        label: META[m].label, value: value(m, t[m]),
        detail: html`baseline ${value(m, b[m])}${previous?.metrics[m] !== undefined ? html` · previous ${value(m, previous.metrics[m])}` : ""}`,
      })),
      { label: `${fmt.pct(i.level, 0)} interval coverage`, value: fmt.pct(i.test.coverage), detail: `test split; median width ${fmt.num(i.test.medianWidth, 1)}` },
    ]),
    table({
      id: "headline",
      caption: "Test metrics on the target's own scale. R²: higher is better; the errors: lower is better.",
      columns: [
        { label: "metric", value: (m: RegressionMetric) => html`<strong>${META[m].label}</strong><small class="desc"><br>${META[m].what}</small>` },
        { label: "this version", numeric: true, value: (m) => value(m, t[m]) },
        { label: "training mean", numeric: true, value: (m) => value(m, b[m]) },
        { label: "previous version", numeric: true, value: (m) => value(m, previous?.metrics[m]) },
        { label: "change", numeric: true, value: (m) => change(m, t[m], previous?.metrics[m]) },
      ],
      rows: REGRESSION_HEADLINE,
    }),
    prevNote,
  );
}

/** The 1st to 99th percentile of the values, a little padded: a heavy tail would squash every other point into a corner. */
function domainOf(xs: number[]): [number, number] {
  const s = [...xs].sort((a, b) => a - b);
  const lo = s[Math.floor(0.005 * (s.length - 1))] ?? 0;
  const hi = s[Math.ceil(0.995 * (s.length - 1))] ?? 1;
  const pad = (hi - lo) * 0.04 || 1;
  return [lo - pad, hi + pad];
}

export function accuracySection(card: RegressionCard, a: RegressionAnalysis): Section {
  const y = card.target.column;
  const domain = domainOf(a.points.flatMap((p) => [p.actual, p.predicted]));
  const scatter = chart({
    id: "predicted-actual",
    title: "Predicted against actual",
    aid: html`${fmt.int(a.points.length)} test rows drawn at random: each dot is one row's predicted value (across) and what it turned out to be (up). On the dashed diagonal the prediction was exact; a regression to the mean flattens the cloud. Axes show the middle 99 % of values.`,
    legend: [{ label: "test row", color: "model" }, { label: "perfect prediction", color: "neutral", line: true }],
    plot: {
      height: 340,
      x: { domain, grid: true, label: `Predicted ${y} →`, labelAnchor: "center" },
      y: { domain, grid: true, label: `↑ Actual ${y}` },
      marks: [
        Plot.line([[domain[0], domain[0]], [domain[1], domain[1]]], { stroke: colors.neutral, strokeDasharray: "4,3", className: "diagonal" }),
        Plot.dot(a.points, { x: "predicted", y: "actual", r: 1.6, fill: colors.model, fillOpacity: 0.35, clip: true, className: "points" }),
      ],
    },
  });
  const residualDomain = domainOf(a.points.map((p) => p.actual - p.predicted));
  const residuals = chart({
    id: "residuals",
    title: "Residuals against predicted",
    aid: "Actual minus predicted for the same rows. A cloud even around zero at every predicted value is what a good fit leaves; a funnel means the errors grow with the value (the intervals then widen with it only if the target was log-transformed).",
    plot: {
      height: 340,
      x: { domain, grid: true, label: `Predicted ${y} →`, labelAnchor: "center" },
      y: { domain: residualDomain, grid: true, label: "↑ Actual − predicted" },
      marks: [Plot.ruleY([0], { stroke: colors.neutral }), Plot.dot(a.points, { x: "predicted", y: (p: Point) => p.actual - p.predicted, r: 1.6, fill: colors.model, fillOpacity: 0.35, clip: true, className: "residual-points" })],
    },
  });
  const histogram = chart({
    id: "residual-histogram",
    title: "Distribution of the residuals",
    aid: html`Actual minus predicted for all ${fmt.int(a.testRows)} test rows, between their 1st and 99th percentiles (the rest in the end bars). Centred on zero means no bias on average (mean residual ${fmt.num(-card.metrics.test.bias, 1)}); a long right tail is the rows the model under-estimates most.`,
    plot: {
      x: { label: "Actual − predicted →", labelAnchor: "center" },
      y: { grid: true, label: "↑ Rows" },
      marks: [Plot.rectY(a.residuals, { x1: "x0", x2: "x1", y: "count", fill: colors.model, insetLeft: 0.5, insetRight: 0.5, className: "residual-bins" }), Plot.ruleY([0]), Plot.ruleX([0], { stroke: colors.neutral, strokeDasharray: "4,3" })],
    },
  });
  return section("accuracy", "Predicted and actual", grid(scatter, residuals, histogram));
}

export function intervalSection(card: RegressionCard, a: RegressionAnalysis): Section {
  const i = card.interval;
  const cov = chart({
    id: "coverage",
    title: "Interval coverage by decile of the predicted value",
    aid: html`Test rows sorted by predicted value into ${a.coverage.length} equal groups; each dot is the share of a group whose actual value fell inside its ${fmt.pct(i.level, 0)} interval. The dashed line is the promise. Split conformal intervals keep it on average (${fmt.pct(i.test.coverage)} overall here); the groups show where they are too wide or too narrow.`,
    legend: [{ label: "group of test rows", color: "model" }, { label: `nominal ${fmt.pct(i.level, 0)}`, color: "neutral", line: true }],
    plot: {
      height: 300,
      x: { label: "Decile of the predicted value →", labelAnchor: "center", domain: a.coverage.map((c) => c.bin + 1) },
      y: { domain: [Math.min(i.level - 0.2, ...a.coverage.map((c) => c.coverage)) - 0.02, 1], tickFormat: "%", grid: true, label: "↑ Coverage (%)" },
      marks: [
        Plot.ruleY([i.level], { stroke: colors.neutral, strokeDasharray: "4,3", className: "nominal" }),
        Plot.dot(a.coverage, { x: (c: CoverageBin) => c.bin + 1, y: "coverage", r: 5, fill: colors.model, className: "coverage-bins" }),
      ],
    },
  });
  const tbl = table({
    id: "coverage",
    caption: html`${fmt.pct(i.level, 0)} prediction intervals by split conformal prediction: half-width ${fmt.num(i.halfWidth, 4)} on the ${i.scale} scale, from the absolute residuals of the ${fmt.int(i.calibrationRows)} validation rows.`,
    columns: [
      { label: "decile", numeric: true, value: (c: CoverageBin) => c.bin + 1 },
      { label: "predicted", numeric: true, value: (c) => `${fmt.num(c.from, 1)}–${fmt.num(c.to, 1)}` },
      { label: "rows", numeric: true, value: (c) => fmt.int(c.count) },
      { label: "coverage", numeric: true, value: (c) => fmt.pct(c.coverage) },
      { label: "mean width", numeric: true, value: (c) => fmt.num(c.meanWidth, 1) },
    ],
    rows: a.coverage,
  });
  return section("intervals", "Prediction intervals", grid(cov, html`<div>${tbl}</div>`));
}
