/** The monitoring report's "By group" section (`monitor --protected`): one compact table per protected attribute. */
import type { MonitorAttribute } from "../../monitor/fairness.ts";
import type { MonitorResult } from "../../monitor/run.ts";
import type { Estimate } from "../../evaluate/fairness.ts";
import { fmt, html, section, table, type Html, type Section } from "../kit/index.ts";

type Row = MonitorAttribute["groups"][string] & { name: string };

const est = (e: Estimate | null, f: (x: number) => string) => (e === null ? "–" : f(e.value));
const withInterval = (e: Estimate | null) => (e === null ? "–" : `${fmt.num(e.value, 2)}${e.low === null || e.high === null ? "" : ` (${fmt.num(e.low, 2)}–${fmt.num(e.high, 2)})`}`);

function attributeTable(a: MonitorAttribute, minAir: number | undefined): Html {
  const rows: Row[] = Object.entries(a.groups).map(([name, g]) => ({ name, ...g }));
  const labels = a.labelled > 0;
  return table({
    id: `fairness-${a.column}`,
    caption: html`<strong>${a.column}</strong> (${a.groupedBy === "values" ? "its values" : `bands at ${a.groupedBy.bands.join(", ")}`}): ${fmt.int(a.rows)} rows${labels ? `, ${fmt.int(a.labelled)} labelled` : ", no labels (approval only)"}; reference ${a.reference}, the most-approved group. ⚠: AIR below ${minAir ?? 0.8}.`,
    columns: [
      { label: "group", value: (x: Row) => x.name },
      { label: "rows", numeric: true, value: (x) => fmt.int(x.count) },
      { label: "approval rate", numeric: true, value: (x) => fmt.pct(x.approvalRate.value) },
      { label: "AIR (95 %)", numeric: true, value: (x) => (x.name === a.reference ? "1.00 (reference)" : `${withInterval(x.air)}${x.air && x.air.value < (minAir ?? 0.8) ? " ⚠" : ""}`) },
      { label: "SMD", numeric: true, value: (x) => est(x.smd, (v) => fmt.num(v, 2)) },
      ...(labels ? [
        { label: "AUC", numeric: true, value: (x: Row) => est(x.auc, (v) => fmt.num(v, 2)) },
        { label: "predicted / observed bad", numeric: true, value: (x: Row) => `${fmt.pct(x.calibration.meanPredicted.value)} / ${est(x.calibration.observedBadRate, (v) => fmt.pct(v))}` },
        { label: "TPR / FPR", numeric: true, value: (x: Row) => `${est(x.tpr, (v) => fmt.num(v, 2))} / ${est(x.fpr, (v) => fmt.num(v, 2))}` },
      ] : []),
    ],
    rows,
  });
}

export function fairnessSection(r: MonitorResult): Section | undefined {
  if (!r.fairness) return undefined;
  const t = r.model.thresholds;
  return section("fairness", "By group (protected attributes)",
    html`<p>Approved: probability below ${t ? fmt.num(t.refer, 2) : "the refer threshold"}. AIR (adverse impact ratio): a group's approval rate over the reference's; under ${r.limits.minAir ?? 0.8} a group of 30 rows or more is an alert. SMD: standardised difference of mean scores from the reference (above 0 = scored riskier). Intervals: 95 % bootstrap. The columns are read for this table only, never as features.</p>`,
    ...Object.values(r.fairness).map((a) => attributeTable(a, r.limits.minAir)),
  );
}
