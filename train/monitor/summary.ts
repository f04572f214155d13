/** The monitor's result as lines for a person reading a scheduler's log (stderr). */
import type { MonitorResult } from "./run.ts";

const f3 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(3));
const f4 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(4));
const pct = (x: number | null | undefined) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(1)}%`);
/** A share small enough to round to 0.0 % gets more digits. */
const share = (x: number) => `${(x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 1)}%`;
const signed = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(4)}`;

export function summaryLines(r: MonitorResult): string[] {
  const out: string[] = [];
  const d = r.drift;
  out.push(`monitor: ${r.model.name} ${r.model.version}${r.model.current ? " (current)" : ""}, ${r.data.scored} rows scored from ${r.data.source}${r.data.skipped.count ? `, ${r.data.skipped.count} skipped` : ""} in ${r.seconds.toFixed(1)} s (${r.model.backend})`);
  if (d.score) out.push(`${r.model.task === "regression" ? "predicted values" : "score"}: PSI ${f3(d.score.psi)} against the test split's deciles${d.score.referenceMeasured ? "" : " (10 % per decile assumed: the card has no counts)"}`);
  const dec = d.decisions.shares.map((s) => `${s.decision} ${pct(s.current)}${s.reference === null ? "" : ` (was ${pct(s.reference)})`}`).join(", ");
  if (dec) out.push(`decisions: ${dec}${d.decisions.psi === null ? "" : `; PSI ${f3(d.decisions.psi)}`}`);
  const e = r.performance.estimated;
  if (e) {
    const ref = e.reference;
    out.push(`estimated (CBPE): AUC ${f3(e.expectedAuc)}, bad rate ${pct(e.expectedBadRate)}; on the test split the estimate was AUC ${f3(ref.expectedAuc)}, bad rate ${pct(ref.expectedBadRate)}, and the labels gave AUC ${f3(ref.auc)}, bad rate ${pct(ref.badRate)}`);
    out.push(`  (${e.caveat}; test-split calibration error ${pct(e.calibrationError)})`);
  }
  const lab = r.performance.labelled;
  if (lab) {
    out.push(`labelled: ${lab.rows} rows, bad rate ${pct(lab.badRate)}, AUC ${f4(lab.auc)}${lab.aucStandardError === null ? "" : ` ± ${f4(lab.aucStandardError)}`}${lab.aucChange === null ? "" : ` (card ${f4(lab.reference?.auc)}, ${signed(lab.aucChange)})`}, Gini ${f4(lab.gini)}, KS ${f4(lab.ks)}, Brier ${f4(lab.brier)}, log loss ${f4(lab.logLoss)}`);
  }
  const g = r.performance.regression;
  if (g) {
    const ref = g.reference;
    out.push(`labelled: ${g.rows} rows, RMSE ${g.rmse.toPrecision(5)}${ref ? ` (card ${ref.rmse.toPrecision(5)}${g.rmseChange === null ? "" : `, ${g.rmseChange >= 0 ? "+" : "−"}${Math.abs(g.rmseChange * 100).toFixed(1)}%`})` : ""}, MAE ${g.mae.toPrecision(5)}, median AE ${g.medianAe.toPrecision(5)}, R² ${f4(g.r2)}${ref ? ` (card ${f4(ref.r2)})` : ""}, interval coverage ${pct(g.coverage)} (nominal ${pct(g.level)}${ref?.coverage != null ? `, card ${pct(ref.coverage)}` : ""})`);
  }
  if (!lab && !g && r.performance.labelledUnavailable) out.push(`labelled: unavailable (${r.performance.labelledUnavailable})`);
  const withPsi = d.features.filter((f) => f.psi !== null);
  if (withPsi.length) out.push(`features by PSI: ${withPsi.map((f) => `${f.name} ${f3(f.psi)}`).join(", ")}`);
  const unavailable = d.features.filter((f) => f.psi === null);
  if (unavailable.length) out.push(`feature PSI unavailable for ${unavailable.map((f) => f.name).join(", ")}: ${unavailable[0]!.unavailable}`);
  for (const f of d.features) {
    const o = f.outOfRange;
    const n = o ? o.below + o.above : 0;
    if (o && n > 0) out.push(`  ${f.name}: ${n} value${n === 1 ? "" : "s"} (${share(o.share)}) outside the training range ${o.min}..${o.max}: ${o.below} below, ${o.above} above`);
    if (f.unseen && f.unseen.rows > 0) out.push(`  ${f.name}: ${f.unseen.rows} rows with categories the model never saw: ${f.unseen.values.map((v) => `"${v.value}" (${v.count})`).join(", ")}`);
    if (f.missing.change !== null && Math.abs(f.missing.change) >= 0.01) out.push(`  ${f.name}: missing ${pct(f.missing.current)} (was ${pct(f.missing.reference)})`);
  }
  for (const a of Object.values(r.fairness ?? {})) {
    const airs = Object.entries(a.groups).map(([g, x]) => `${g} ${x.count} rows AIR ${x.air ? x.air.value.toFixed(2) : "–"}`).join(", ");
    out.push(`by ${a.column} (reference ${a.reference}${a.labelled ? `; ${a.labelled} labelled rows` : "; approval only, no labels"}): ${airs}`);
  }
  const dr = r.decisions;
  if (dr) out.push(`records: ${dr.read.records} champion decision records (${dr.read.duplicates} duplicates dropped) in ${dr.read.objects} object${dr.read.objects === 1 ? "" : "s"} over ${dr.read.days.length} day${dr.read.days.length === 1 ? "" : "s"}; answered by ${Object.entries(dr.versions).map(([v, n]) => `${v} (${n})`).join(", ")}${dr.withoutFeatures ? `; ${dr.withoutFeatures} without features` : ""}`);
  const oc = r.outcomes;
  if (oc) {
    out.push(`outcomes: ${oc.rows} rows in ${oc.source}, ${oc.labelled} labelled (${oc.pending} pending), joined on ${oc.joinOn} = the record's ${oc.matchBy === "request_id" ? "request id" : "pass-through value"}: ${oc.matched} matched, ${oc.unmatched} unmatched${oc.duplicates ? `, ${oc.duplicates} repeated ids (the later label stands)` : ""}${oc.earlierDecisions ? `, ${oc.earlierDecisions} earlier decision${oc.earlierDecisions === 1 ? "" : "s"} of an applicant decided again left out of the labelled metrics (each outcome pairs with the latest)` : ""}${oc.unusable ? `, ${oc.unusable} unusable rows (e.g. line ${oc.unusableExamples![0]!.line}: ${oc.unusableExamples![0]!.reason})` : ""}`);
    for (const w of oc.weekly) out.push(`  ${w.week}: ${w.decisions} decisions, ${w.labelled} labelled, bad rate ${pct(w.badRate)}, AUC ${f4(w.auc)}, KS ${f4(w.ks)}, calibration error ${pct(w.calibrationError)}`);
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push(`status: ${r.status.toUpperCase()} (exit ${r.exitCode})${r.findings.length ? "" : ": nothing crossed a limit"}`);
  for (const f of r.findings) out.push(`  ${f.level}: ${f.message}`);
  return out;
}
