/**
 * The monitoring report: one self-contained HTML page per monitor run
 * (`--out DIR` writes DIR/monitor.html), built with the report kit like the
 * model report: status and findings first, then drift, performance and the
 * data that was read.
 */
import type { MonitorResult } from "../../monitor/run.ts";
import { callout, facts, fmt, html, page, section, tiles, type Html, type Section } from "../kit/index.ts";
import { skippedTable } from "../model/card-sections.ts";
import { fairnessSection } from "./fairness.ts";
import { featureDetailSection, featuresSection, scoreSection } from "./drift.ts";
import { outcomesSection } from "./outcomes.ts";
import { performanceSection, regressionPerformanceSection } from "./performance.ts";

const STATUS_TEXT = {
  stable: "Stable: nothing crossed a limit.",
  warn: "Stable, with warnings: worth a look, nothing to retrain for yet.",
  alert: "Alert: drift, a performance drop or a group's adverse impact ratio crossed a limit. The scheduled job exits with 3; retrain (with --max-auc-drop as the gate) and compare.",
} as const;

function lead(r: MonitorResult): Html {
  const e = r.performance.estimated;
  const l = r.performance.labelled;
  const g = r.performance.regression;
  const alerts = r.drift.features.filter((f) => f.psi !== null && f.psi >= r.limits.psiAlert).length;
  if (r.model.task === "regression") {
    return html`${callout(html`<strong>${STATUS_TEXT[r.status]}</strong>${r.findings.length ? html`<ul>${r.findings.map((f) => html`<li>${f.level}: ${f.message}</li>`)}</ul>` : ""}`, r.status === "stable" ? "ok" : "warn")}${tiles([
      { label: "Predicted-value PSI", value: r.drift.score ? fmt.num(r.drift.score.psi, 3) : "–", detail: `warn ≥ ${r.limits.psiWarn}, alert ≥ ${r.limits.psiAlert}` },
      { label: "Features shifted", value: `${alerts} of ${r.drift.features.length}`, detail: `PSI ≥ ${r.limits.psiAlert}` },
      ...(g ? [
        { label: "RMSE (labelled)", value: fmt.num(g.rmse, 1), detail: g.reference ? `test split ${fmt.num(g.reference.rmse, 1)}` : "" },
        { label: "Interval coverage", value: fmt.pct(g.coverage), detail: `nominal ${fmt.pct(g.level, 0)}` },
      ] : []),
      { label: "Rows", value: fmt.int(r.data.scored), detail: r.data.skipped.count ? `${fmt.int(r.data.skipped.count)} skipped` : "none skipped" },
    ])}`;
  }
  return html`${callout(html`<strong>${STATUS_TEXT[r.status]}</strong>${r.findings.length ? html`<ul>${r.findings.map((f) => html`<li>${f.level}: ${f.message}</li>`)}</ul>` : ""}`, r.status === "stable" ? "ok" : "warn")}${tiles([
    { label: "Score PSI", value: r.drift.score ? fmt.num(r.drift.score.psi, 3) : "–", detail: `warn ≥ ${r.limits.psiWarn}, alert ≥ ${r.limits.psiAlert}` },
    { label: "Features shifted", value: `${alerts} of ${r.drift.features.length}`, detail: `PSI ≥ ${r.limits.psiAlert}` },
    { label: "Expected AUC (CBPE)", value: e?.expectedAuc == null ? "–" : fmt.metric(e.expectedAuc), detail: e?.reference.auc == null ? "" : `test split: actual ${fmt.metric(e.reference.auc)}, expected ${e.reference.expectedAuc == null ? "–" : fmt.metric(e.reference.expectedAuc)}` },
    { label: "Expected bad rate", value: e ? fmt.pct(e.expectedBadRate) : "–", detail: e?.reference.badRate == null ? "" : `test split: ${fmt.pct(e.reference.badRate)}` },
    ...(l ? [{ label: "AUC (labelled)", value: l.auc === null ? "–" : fmt.metric(l.auc), detail: `${fmt.int(l.rows)} rows${l.aucChange === null ? "" : `, ${fmt.signed(l.aucChange)} vs test`}` }] : []),
    { label: "Applications", value: fmt.int(r.data.scored), detail: r.data.skipped.count ? `${fmt.int(r.data.skipped.count)} skipped` : "none skipped" },
  ])}`;
}

function dataSection(r: MonitorResult): Section {
  return section("data", "Data and run",
    facts([
      ["model", html`${r.model.name} <span class="mono">${r.model.version}</span>${r.model.current ? " (serving now)" : ""}, created ${fmt.dateTime(r.model.createdAt)}`],
      ["task", r.model.task],
      ["data", r.decisions ? html`<span class="mono">${r.data.source}</span> (champion, de-duplicated)` : html`<span class="mono">${r.data.source}</span>, ${fmt.bytes(r.data.bytes)}`],
      ["rows", `${fmt.int(r.data.records)} read, ${fmt.int(r.data.scored)} scored (${fmt.int(r.data.labelled)} labelled, ${fmt.int(r.data.unlabelled)} not yet), ${fmt.int(r.data.skipped.count)} skipped`],
      ["edge would refuse", `${fmt.int(r.drift.refused.rows)} rows (${fmt.pct(r.drift.refused.share)}): scored here as training's preprocessing would, answered 422 by the edge`],
      ["ignored columns", r.data.extraColumns.length ? r.data.extraColumns.join(", ") : "none"],
      ["limits", `PSI warn ≥ ${r.limits.psiWarn}, alert ≥ ${r.limits.psiAlert}${r.limits.maxAucDrop === undefined ? "" : `; AUC drop > ${r.limits.maxAucDrop}`}${r.limits.maxRmseIncrease === undefined ? "" : `; RMSE increase > ${fmt.pct(r.limits.maxRmseIncrease)}`}${r.limits.minAir === undefined ? "" : `; group AIR < ${r.limits.minAir}`}`],
      ["run", `${fmt.dateTime(r.at)}, ${fmt.seconds(r.seconds)}, tfjs ${r.model.backend}`],
    ]),
    skippedTable(r.data.skipped, "Rows that could not be used, by reason (line numbers in the file)."),
    r.notes.length ? html`<ul>${r.notes.map((n) => html`<li>${n}</li>`)}</ul>` : "",
  );
}

export function renderMonitorReport(r: MonitorResult): string {
  const detail = featureDetailSection(r);
  const byGroup = fairnessSection(r);
  const realised = outcomesSection(r);
  return page({
    title: `Monitoring: ${r.model.name}`,
    subtitle: html`version <span class="mono">${r.model.version}</span> · ${fmt.int(r.data.scored)} applications · ${fmt.dateTime(r.at)}`,
    lead: lead(r),
    sections: [scoreSection(r), featuresSection(r), ...(detail ? [detail] : []), r.model.task === "regression" ? regressionPerformanceSection(r) : performanceSection(r), ...(realised ? [realised] : []), ...(byGroup ? [byGroup] : []), dataSection(r)],
    footer: html`Generated by <code>npm run monitor</code>. Reference distributions come from the version's manifest (written when it was trained). Static HTML: no script, no external resources.`,
  });
}
