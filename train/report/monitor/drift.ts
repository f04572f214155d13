/** The drift half of the monitoring report: score and decisions now vs the reference, PSI per feature, the bins of the features that moved. */
import type { BinShift, FeatureDrift } from "../../monitor/drift.ts";
import type { MonitorResult } from "../../monitor/run.ts";
import { chart, colors, fmt, grid, html, Plot, section, slug, table, type Html, type Section } from "../kit/index.ts";

const levelOf = (psi: number | null, r: MonitorResult) => (psi === null ? "neutral" : psi >= r.limits.psiAlert ? "alert" : psi >= r.limits.psiWarn ? "warn" : "stable");
const levelText = { neutral: "unavailable", stable: "stable", warn: "drifting", alert: "shifted" } as const;
const legendNowThen = [{ label: "reference", color: "reference" as const }, { label: "now", color: "current" as const, line: true }];

/** Bars for the reference share of each bin, a tick for the share now. */
function binChart(id: string, title: string, aid: Html | string, bins: BinShift[], yLabel: string | null = null): Html {
  return chart({
    id, title, aid, legend: legendNowThen,
    plot: {
      height: 56 + bins.length * 24, marginLeft: 110,
      x: { grid: true, tickFormat: "%", label: "Share of applicants (%) →", labelAnchor: "center" },
      y: { domain: bins.map((b) => b.label), label: yLabel },
      marks: [
        Plot.barX(bins, { y: "label", x: "reference", fill: colors.reference, className: "reference-bars" }),
        Plot.tickX(bins, { y: "label", x: "current", stroke: colors.current, strokeWidth: 3, className: "current-marks" }),
        Plot.ruleX([0]),
      ],
    },
  });
}

/** A regression's output drift: its predicted values now vs the test split's deciles of them. */
function valueSection(r: MonitorResult): Section {
  const s = r.drift.score;
  const chartOrNote = s
    ? binChart("score-distribution", "Predicted values: now vs the test split",
      html`Share of rows in each decile of the test split's predicted values. The bars are ${s.referenceMeasured ? "the test split's shares (about 10 % each)" : "10 % each (assumed: this version's card has no counts)"}; the marks are the new rows. PSI ${fmt.num(s.psi, 3)}: ${levelText[levelOf(s.psi, r)]}.`,
      s.bins, "Predicted value")
    : html`<p>Drift of the predicted values is unavailable: this version's card has no deciles of them.</p>`;
  return section("score", "Predicted values", html`<p>Does the model see a different population? The PSI of its predicted values sums up every feature's change weighted by what the model makes of it.</p>`, chartOrNote);
}

export function scoreSection(r: MonitorResult): Section {
  if (!r.model.thresholds) return valueSection(r);
  const thresholds = r.model.thresholds;
  const s = r.drift.score;
  const d = r.drift.decisions;
  const score = s
    ? binChart("score-distribution", "Score distribution: now vs the test split",
      html`Share of applicants in each decile of the test split's scores. The bars are ${s.referenceMeasured ? "the test split's shares (about 10 % each)" : "10 % each (assumed: this version's card has no counts)"}; the marks are the new applications. PSI ${fmt.num(s.psi, 3)}: ${levelText[levelOf(s.psi, r)]}.`,
      s.bins, "Score (probability of bad)")
    : html`<p>Score drift is unavailable: this version's card has no score deciles.</p>`;
  const rows = d.shares.map((x) => ({ label: x.decision, reference: x.reference ?? 0, current: x.current, count: Math.round(x.current * r.drift.rows) }));
  const decisions = d.psi === null
    ? table({ id: "decisions", caption: "Decisions now (this version's card has no reference shares).", columns: [{ label: "decision", value: (x: (typeof rows)[number]) => x.label }, { label: "share now", numeric: true, value: (x) => fmt.pct(x.current) }], rows })
    : binChart("decisions", "Decisions: now vs the test split", `Approve / refer / decline shares under the version's thresholds (refer ≥ ${fmt.pct(thresholds.refer, 0)}, decline ≥ ${fmt.pct(thresholds.decline, 0)}). PSI ${fmt.num(d.psi, 3)}.`, rows);
  const changes = d.psi === null ? "" : table({
    id: "decision-shares",
    columns: [
      { label: "decision", value: (x: MonitorResult["drift"]["decisions"]["shares"][number]) => html`<span class="nowrap"><span class="sw sw-${x.decision}"></span>${x.decision}</span>` },
      { label: "test split", numeric: true, value: (x) => fmt.pct(x.reference ?? NaN) },
      { label: "now", numeric: true, value: (x) => fmt.pct(x.current) },
      { label: "change", numeric: true, value: (x) => (x.change === null ? "–" : fmt.points(x.change)) },
    ],
    rows: d.shares,
  });
  return section("score", "Score and decisions", html`<p>Does the model see a different population? The score's PSI sums up every feature's change weighted by what the model makes of it.</p>`, grid(score, html`<div>${decisions}${changes}</div>`));
}

function psiChart(r: MonitorResult, features: FeatureDrift[]): Html {
  const rows = features.filter((f) => f.psi !== null);
  const top = Math.max(r.limits.psiAlert * 1.2, ...rows.map((f) => f.psi!)) * 1.05;
  return chart({
    id: "feature-psi", title: "PSI per feature",
    legend: [{ label: "stable", color: "stable" }, { label: `≥ ${r.limits.psiWarn} drifting`, color: "warn" }, { label: `≥ ${r.limits.psiAlert} shifted (alert)`, color: "alert" }],
    aid: `Population stability index of each feature on its training bins (the characteristic stability index), highest first; dashed lines at the warning and alert limits.`,
    plot: {
      height: 50 + rows.length * 22, marginLeft: 110,
      // A square-root axis keeps a 0.05 bar visible beside a 4.0 one.
      x: { grid: true, label: top > 1 ? "PSI (square-root axis) →" : "PSI →", labelAnchor: "center", domain: [0, top], ...(top > 1 ? { type: "sqrt" as const } : {}) },
      y: { domain: rows.map((f) => f.name), label: null },
      marks: [
        Plot.barX(rows, { y: "name", x: "psi", fill: (f: FeatureDrift) => colors[levelOf(f.psi, r)], className: "psi-bars" }),
        Plot.ruleX([r.limits.psiWarn, r.limits.psiAlert], { stroke: colors.neutral, strokeDasharray: "3,3" }),
        Plot.ruleX([0]),
      ],
    },
  });
}

export function featuresSection(r: MonitorResult): Section {
  const fs = r.drift.features;
  const any = fs.some((f) => f.psi !== null);
  const linked = new Set(detailed(r).map((f) => f.name));
  const tbl = table({
    id: "feature-drift",
    caption: "Every feature, most shifted first. Out of range: values below the smallest or above the largest value of the training rows. Unseen: categories the spec does not list (the edge refuses those applicants).",
    columns: [
      { label: "feature", value: (f: FeatureDrift) => (linked.has(f.name) ? html`<a href="#d-${slug(f.name)}">${f.name}</a>` : f.name) },
      { label: "PSI", numeric: true, value: (f) => (f.psi === null ? "–" : html`<span class="nowrap"><span class="sw sw-${levelOf(f.psi, r)}"></span>${fmt.num(f.psi, 3)}</span>`) },
      { label: "missing then → now", numeric: true, value: (f) => (f.missing.reference === null ? fmt.pct(f.missing.current) : `${fmt.pct(f.missing.reference)} → ${fmt.pct(f.missing.current)}`) },
      { label: "out of range", numeric: true, value: (f) => (f.outOfRange ? html`<span title="${fmt.value(f.outOfRange.min)} to ${fmt.value(f.outOfRange.max)} (${f.outOfRange.basis})">${fmt.pct(f.outOfRange.share)}</span>` : "–") },
      { label: "unseen categories", value: (f) => (f.unseen ? (f.unseen.rows ? `${fmt.int(f.unseen.rows)}: ${f.unseen.values.map((v) => `${v.value} (${v.count})`).join(", ")}` : "none") : "–") },
    ],
    rows: fs,
  });
  const unavailable = fs.find((f) => f.unavailable);
  return section("features", "Features",
    html`<p>Which inputs moved. PSI below ${r.limits.psiWarn} is usually read as stable, ${r.limits.psiWarn}–${r.limits.psiAlert} as drifting, ${r.limits.psiAlert} or more as shifted.</p>`,
    any ? psiChart(r, fs) : html`<p>Feature PSI is unavailable: ${unavailable?.unavailable ?? "no reference bins"}.</p>`,
    tbl);
}

/** The features whose bins the report shows: those at or above the warning limit, at least the 3 most shifted. */
function detailed(r: MonitorResult): FeatureDrift[] {
  return r.drift.features.filter((f) => f.psi !== null).filter((f, i) => f.psi! >= r.limits.psiWarn || i < 3);
}

export function featureDetailSection(r: MonitorResult): Section | undefined {
  const shown = detailed(r);
  if (!shown.length) return undefined;
  return section("feature-detail", "The features that moved most", grid(shown.map((f) => html`<div id="d-${slug(f.name)}">${binChart(
    `bins-${slug(f.name)}`, `${f.name}: now vs training`,
    `Share of applicants per bin of the training rows (bars) and now (marks). PSI ${fmt.num(f.psi!, 3)}: ${levelText[levelOf(f.psi, r)]}.`,
    f.bins,
  )}</div>`)));
}
