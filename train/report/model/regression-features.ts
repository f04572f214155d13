/**
 * A regression model's features: importance in the target's units (mean
 * |reason impact|, the edge's own computation), partial dependence of the
 * predicted value, and per feature its training vs test distribution beside
 * the mean target of each bin.
 */
import { chart, colors, fmt, grid, html, Plot, section, slug, table, type Html, type Section } from "../kit/index.ts";
import { dependenceGrid, distributionChart } from "./features.ts";
import type { RegressionAnalysis, RegressionFeature } from "./regression-analysis.ts";

function overview(a: RegressionAnalysis, target: string): Html {
  const byImportance = [...a.features].sort((x, y) => x.rank - y.rank);
  const importance = chart({
    id: "importance", title: "Global importance",
    aid: html`Mean |reason impact| over ${fmt.int(a.explainedRows)} test rows: how far, on average, resetting the feature to the typical row's value moves the predicted ${target} (the edge's own reason-code computation), in its units.`,
    plot: {
      height: 50 + a.features.length * 22, marginLeft: 110,
      x: { grid: true, label: `Mean |impact| on the predicted ${target} →`, labelAnchor: "center" },
      y: { domain: byImportance.map((f) => f.name), label: null },
      marks: [Plot.barX(byImportance, { y: "name", x: (f: RegressionFeature) => f.importance.meanAbsImpact, fill: colors.model, className: "importance-bars" }), Plot.ruleX([0])],
    },
  });
  const summary = table({
    id: "features",
    caption: "Every feature, most important first. PSI compares the test rows with the training rows on the feature's bins (< 0.1 stable, 0.1–0.25 drifting, > 0.25 shifted).",
    columns: [
      { label: "feature", value: (f: RegressionFeature) => html`<a href="#f-${slug(f.name)}">${f.name}</a>` },
      { label: "type", value: (f) => f.kind },
      { label: "importance", numeric: true, value: (f) => fmt.num(f.importance.meanAbsImpact, 1) },
      { label: "raises the value for", numeric: true, value: (f) => fmt.pct(f.importance.raisedShare, 0) },
      { label: "PSI", numeric: true, value: (f) => fmt.num(f.psi, 3) },
      { label: "missing (train)", numeric: true, value: (f) => fmt.pct(f.missingShare.train) },
    ],
    rows: byImportance,
  });
  return html`${grid(importance, html`<div>${summary}</div>`)}`;
}

function featureDetail(f: RegressionFeature, target: string): Html {
  const height = 48 + f.bins.length * 22;
  const labels = f.bins.map((b) => b.label);
  const means = f.bins.map((b, k) => ({ label: b.label, mean: f.meanTarget[k] })).filter((m): m is { label: string; mean: number } => m.mean !== null);
  const dist = distributionChart(f, "rows");
  const mean = chart({
    id: `mean-${slug(f.name)}`, title: `Mean ${target} per bin`,
    aid: `The average actual ${target} of the training rows in each bin: how the feature alone relates to the target, before the model weighs it against the others.`,
    plot: {
      height, marginLeft: 100,
      x: { grid: true, label: `Mean ${target} (training rows) →`, labelAnchor: "center" },
      y: { domain: labels, label: null },
      marks: [Plot.barX(means, { y: "label", x: "mean", fill: colors.reference, className: "mean-bars" }), Plot.ruleX([0])],
    },
  });
  const clipped = f.clipped.train.low + f.clipped.train.high + f.clipped.test.low + f.clipped.test.high;
  const line = [
    `importance rank ${f.rank} (${fmt.num(f.importance.meanAbsImpact, 1)})`,
    `missing ${fmt.pct(f.missingShare.train)} train / ${fmt.pct(f.missingShare.test)} test`,
    ...(f.kind === "numeric" ? [`${fmt.int(clipped)} value${clipped === 1 ? "" : "s"} outside the clip range ${fmt.value(f.clipped.lo)} to ${fmt.value(f.clipped.hi)}`] : []),
  ].join(" · ");
  return html`<div class="feature" id="f-${slug(f.name)}"><h3>${f.name} <small>(${f.kind})</small></h3>${f.description ? html`<p>${f.description}</p>` : ""}<p class="sub">${line}</p>${grid(dist, mean)}</div>`;
}

export function regressionFeaturesSection(a: RegressionAnalysis, target: string): Section {
  return section("features", "Features",
    html`<p>Which inputs drive the predicted ${target}, and by how much in its units. Importance and partial dependence come from the network; the mean ${target} per bin from the data alone.</p>`,
    overview(a, target));
}

export function regressionDependenceSection(a: RegressionAnalysis, target: string): Section {
  return section("dependence", "Effects of the top features", dependenceGrid(a.features, a.explainedRows, { answer: `predicted ${target}`, axis: `Average predicted ${target}`, percent: false, who: "rows" }));
}

export function regressionDetailSection(a: RegressionAnalysis, target: string): Section {
  return section("feature-detail", "Feature by feature", [...a.features].sort((x, y) => x.rank - y.rank).map((f) => featureDetail(f, target)));
}
