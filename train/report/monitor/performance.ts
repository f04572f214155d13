/** The performance half of the monitoring report: the CBPE estimate and the calibration it relies on, and with labels the real metrics beside the card's. */
import type { MonitorResult } from "../../monitor/run.ts";
import { chart, colors, fmt, grid, html, Plot, section, table, type Html, type Section } from "../kit/index.ts";

interface CalPoint { series: "test split" | "now"; meanPredicted: number; observedRate: number; count: number }

function calibrationChart(r: MonitorResult): Html {
  const e = r.performance.estimated;
  const l = r.performance.labelled;
  const points: CalPoint[] = [
    ...(e?.calibration ?? []).map((b) => ({ series: "test split" as const, ...b })),
    ...(l?.calibration ?? []).map((b) => ({ series: "now" as const, ...b })),
  ];
  const top = Math.min(1, Math.max(0.1, ...points.map((p) => Math.max(p.meanPredicted, p.observedRate))) * 1.08);
  const axis = { tickFormat: "%", domain: [0, top], grid: true } as const;
  const then = points.filter((p) => p.series === "test split");
  const now = points.filter((p) => p.series === "now");
  return chart({
    id: "calibration", title: l ? "Calibration: now vs the test split" : "Calibration on the test split (what the estimate relies on)",
    legend: [{ label: "test split", color: "reference" }, ...(l ? [{ label: "now (labelled rows)", color: "current" as const }] : []), { label: "perfect calibration", color: "neutral", line: true }],
    aid: html`Applicants sorted by score into 10 equal-size groups; each dot is a group's average predicted probability against the share that turned bad. On the diagonal, the probabilities can be taken at face value, and so can the estimate above.${e?.calibrationError == null ? "" : html` Calibration error on the test split: ${fmt.pct(e.calibrationError)} (count-weighted mean distance from the diagonal).`}`,
    plot: {
      height: 340,
      x: { ...axis, label: "Average predicted probability of bad (%) →", labelAnchor: "center" },
      y: { ...axis, label: "↑ Observed bad rate (%)" },
      marks: [
        Plot.line([[0, 0], [top, top]], { stroke: colors.neutral, strokeDasharray: "4,3" }),
        Plot.line(then, { x: "meanPredicted", y: "observedRate", stroke: colors.reference, strokeOpacity: 0.6 }),
        Plot.dot(then, { x: "meanPredicted", y: "observedRate", r: 4, fill: colors.reference, className: "calibration-then" }),
        Plot.line(now, { x: "meanPredicted", y: "observedRate", stroke: colors.current, strokeOpacity: 0.6 }),
        Plot.dot(now, { x: "meanPredicted", y: "observedRate", r: 4, fill: colors.current, className: "calibration-now" }),
      ],
    },
  });
}

interface EstimateRow { where: string; expectedAuc: number | null; auc: number | null; expectedBadRate: number | null; badRate: number | null }

function estimateTable(r: MonitorResult): Html {
  const e = r.performance.estimated!;
  const l = r.performance.labelled;
  const rows: EstimateRow[] = [
    { where: "test split (the card)", expectedAuc: e.reference.expectedAuc, auc: e.reference.auc, expectedBadRate: e.reference.expectedBadRate, badRate: e.reference.badRate },
    { where: `now: all ${fmt.int(e.rows)} applications`, expectedAuc: e.expectedAuc, auc: null, expectedBadRate: e.expectedBadRate, badRate: null },
    ...(l ? [{ where: `now: the ${fmt.int(l.rows)} labelled`, expectedAuc: l.expectedAuc, auc: l.auc, expectedBadRate: l.expectedBadRate, badRate: l.badRate }] : []),
  ];
  const m = (x: number | null) => (x === null ? "–" : fmt.metric(x));
  const p = (x: number | null) => (x === null ? "–" : fmt.pct(x));
  return table({
    id: "estimate",
    caption: html`Expected (CBPE, from the probabilities) beside actual (from the labels). The gap on the test split shows how far the estimate is from the truth for this model when nothing has drifted.${e.sampledRows ? html` The expected AUC now comes from a uniform sample of ${fmt.int(e.sampledRows)} rows; the bad rate from all of them.` : ""}`,
    columns: [
      { label: "rows", value: (x: EstimateRow) => x.where },
      { label: "expected AUC", numeric: true, value: (x) => m(x.expectedAuc) },
      { label: "actual AUC", numeric: true, value: (x) => m(x.auc) },
      { label: "expected bad rate", numeric: true, value: (x) => p(x.expectedBadRate) },
      { label: "actual bad rate", numeric: true, value: (x) => p(x.badRate) },
    ],
    rows,
  });
}

const METRICS = [
  { key: "auc", label: "ROC AUC", higher: true },
  { key: "gini", label: "Gini", higher: true },
  { key: "ks", label: "KS", higher: true },
  { key: "brier", label: "Brier score", higher: false },
  { key: "logLoss", label: "Log loss", higher: false },
  { key: "badRate", label: "Bad rate", higher: null },
] as const;

function labelledTable(r: MonitorResult): Html {
  const l = r.performance.labelled!;
  const ref = l.reference;
  const fmtOf = (k: string, x: number | null | undefined) => (x === null || x === undefined ? "–" : k === "badRate" ? fmt.pct(x) : fmt.metric(x, 4));
  return table({
    id: "labelled",
    caption: html`Metrics on the ${fmt.int(l.rows)} labelled applications${l.sampledRows ? html` (ranking metrics from a uniform sample of ${fmt.int(l.sampledRows)})` : ""} beside the card's test split. AUC standard error now: ${l.aucStandardError === null ? "–" : `± ${fmt.metric(l.aucStandardError, 4)}`} (Hanley–McNeil).`,
    columns: [
      { label: "metric", value: (x: (typeof METRICS)[number]) => x.label },
      { label: "now", numeric: true, value: (x) => fmtOf(x.key, l[x.key]) },
      { label: "test split", numeric: true, value: (x) => fmtOf(x.key, ref?.[x.key]) },
      { label: "change", numeric: true, value: (x) => {
        const now = l[x.key];
        const then = ref?.[x.key];
        if (now === null || then === undefined) return "–";
        const d = now - then;
        if (x.higher === null || Math.abs(d) < 5e-4) return x.key === "badRate" ? fmt.points(d) : fmt.signed(d, 4);
        const better = x.higher ? d > 0 : d < 0;
        return html`<span class="${better ? "good" : "bad"}">${fmt.signed(d, 4)}</span>`;
      } },
    ],
    rows: METRICS,
  });
}

export function performanceSection(r: MonitorResult): Section {
  const e = r.performance.estimated;
  const l = r.performance.labelled;
  const intro = html`<p><strong>Expected performance (CBPE).</strong> Before outcomes are known, the model's own probabilities predict them: if they are calibrated, the expected bad rate is their mean, and the expected AUC is the area under the ROC curve with each applicant counted as bad with their probability p and as good with 1 − p (confidence-based performance estimation, as NannyML defines it). This is <strong>sound only while the model is calibrated</strong>: drift in how the features relate to outcomes does not show in it until labels arrive. The calibration it relies on is below.</p>`;
  const labelsText = l ? "" : html`<p>Labelled performance: ${r.performance.labelledUnavailable ?? "unavailable"}. Pass <code>--target &lt;column&gt;</code> with a file whose outcomes are known.</p>`;
  return section("performance", "Performance",
    intro,
    e ? estimateTable(r) : html`<p>No estimate: no rows were scored.</p>`,
    grid(calibrationChart(r), l ? html`<div>${labelledTable(r)}</div>` : labelsText),
  );
}

interface ErrorRow { label: string; now: number | null; then: number | null; higher: boolean | null; kind: "value" | "r2" | "pct" }

/** A regression's performance: errors and interval coverage on the labelled rows beside the card's test split. */
export function regressionPerformanceSection(r: MonitorResult): Section {
  const g = r.performance.regression;
  if (!g) {
    return section("performance", "Performance",
      html`<p>A regression model's errors need the actual values: ${r.performance.labelledUnavailable ?? "unavailable"}. Pass <code>--target &lt;column&gt;</code> with a file whose outcomes are known. (There is no estimate without labels: unlike a classifier's probabilities, a predicted value says nothing about its own error beyond the interval.)</p>`);
  }
  const ref = g.reference;
  const rows: ErrorRow[] = [
    { label: "RMSE", now: g.rmse, then: ref?.rmse ?? null, higher: false, kind: "value" },
    { label: "MAE", now: g.mae, then: ref?.mae ?? null, higher: false, kind: "value" },
    { label: "Median absolute error", now: g.medianAe, then: ref?.medianAe ?? null, higher: false, kind: "value" },
    { label: "R²", now: g.r2, then: ref?.r2 ?? null, higher: true, kind: "r2" },
    { label: `${fmt.pct(g.level, 0)} interval coverage`, now: g.coverage, then: ref?.coverage ?? null, higher: null, kind: "pct" },
  ];
  const show = (x: ErrorRow, v: number | null) => (v === null ? "–" : x.kind === "pct" ? fmt.pct(v) : x.kind === "r2" ? fmt.metric(v, 4) : fmt.num(v, 2));
  return section("performance", "Performance",
    html`<p>Errors on the ${fmt.int(g.rows)} labelled rows${g.sampledRows ? html` (median absolute error from a uniform sample of ${fmt.int(g.sampledRows)})` : ""}, in the target's units, beside the card's test split. RMSE ${g.rmseChange === null ? "" : html`is ${fmt.pct(g.rmseChange)} ${g.rmseChange >= 0 ? "above" : "below"} the card's`}; the prediction intervals held for ${fmt.pct(g.coverage)} of the rows (nominal ${fmt.pct(g.level, 0)}).</p>`,
    table({
      id: "labelled",
      caption: "Metrics now beside the card's test split. RMSE, MAE and median AE: lower is better; R²: higher is better; coverage: close to nominal is right.",
      columns: [
        { label: "metric", value: (x: ErrorRow) => x.label },
        { label: "now", numeric: true, value: (x) => show(x, x.now) },
        { label: "test split", numeric: true, value: (x) => show(x, x.then) },
        { label: "change", numeric: true, value: (x) => {
          if (x.now === null || x.then === null) return "–";
          const d = x.now - x.then;
          const text = x.kind === "pct" ? fmt.points(d) : x.kind === "r2" ? fmt.signed(d, 4) : fmt.signed(d, 2);
          if (x.higher === null || Math.abs(d) < 5e-4 * Math.max(1, Math.abs(x.then))) return text;
          return html`<span class="${(x.higher ? d > 0 : d < 0) ? "good" : "bad"}">${text}</span>`;
        } },
      ],
      rows,
    }),
  );
}
