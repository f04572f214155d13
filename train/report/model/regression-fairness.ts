/**
 * Fair lending in a regression model's report (`train --protected` on a
 * numeric target, e.g. income estimated for affordability): per protected
 * attribute, each group's mean predicted value beside its mean actual, the
 * model's bias (predicted − actual) and errors, and whether the prediction
 * intervals held as often as for everyone. A classifier's approval rates and
 * adverse impact ratio have no meaning here: there is no threshold to pass.
 */
import { fmt, html, section, slug, table, type Content, type Html, type Section } from "../kit/index.ts";
import type { Estimate } from "../../evaluate/fairness.ts";
import type { RegressionGroupFairness } from "../../evaluate/regression-fairness.ts";
import type { RegressionFairnessCard } from "../../tasks/fairness.ts";
import { proxyTable } from "./proxy-table.ts";

type Row = [string, RegressionGroupFairness];

/** A value with its 95 % interval on a second, smaller line. */
function est(e: Estimate | null | undefined, f: (x: number) => string): Content {
  if (!e) return "–";
  return e.low === null || e.high === null ? f(e.value) : html`${f(e.value)}<br><small>${f(e.low)}${e.low < 0 || e.high < 0 ? " to " : "–"}${f(e.high)}</small>`;
}

const n1 = (x: number) => fmt.num(x, 1);
const signed1 = (x: number) => fmt.signed(x, 1);
const pct = (x: number) => fmt.pct(x);
const m2 = (x: number) => fmt.metric(x, 2);

function attributeTables(name: string, a: RegressionFairnessCard[string], target: string): Html {
  const rows: Row[] = Object.entries(a.groups);
  const group = (r: Row) => (r[0] === a.reference ? html`${r[0]} <small>(reference)</small>` : r[0]);
  const level = fmt.pct(a.intervalLevel, 0);
  const errors = table({
    id: `fair-regression-${slug(name)}`,
    caption: html`<strong>${name}</strong>${typeof a.groupedBy === "object" ? ` in bands at ${a.groupedBy.bands.join(", ")}` : ""}: mean predicted and actual "${target}" by group; bias = mean of predicted − actual (above 0: over-estimated), also as a share of the group's mean actual; RMSE and MAE in ${target}'s units; coverage of the ${level} prediction interval.`,
    columns: [
      { label: "group", value: group },
      { label: "rows", numeric: true, value: (r) => fmt.int(r[1].count) },
      { label: "mean predicted", numeric: true, value: (r) => est(r[1].meanPredicted, n1) },
      { label: "mean actual", numeric: true, value: (r) => est(r[1].meanActual, n1) },
      { label: "bias", numeric: true, value: (r) => est(r[1].bias, signed1) },
      { label: "bias %", numeric: true, value: (r) => est(r[1].relativeBias, pct) },
      { label: "RMSE", numeric: true, value: (r) => est(r[1].rmse, n1) },
      { label: "MAE", numeric: true, value: (r) => est(r[1].mae, n1) },
      { label: "coverage", numeric: true, value: (r) => est(r[1].coverage, pct) },
    ],
    rows,
  });
  const gaps = table({
    id: `fair-regression-gap-${slug(name)}`,
    caption: html`Each group of ${name} against the largest, ${a.reference}: mean predicted over the reference's, beside mean actual over the reference's (a predicted gap wider than the actual one is the model's), and the standardised mean difference of predictions (above 0: predicted higher).`,
    columns: [
      { label: "group", value: group },
      { label: "predicted ratio", numeric: true, value: (r) => est(r[1].predictedRatio, m2) },
      { label: "actual ratio", numeric: true, value: (r) => est(r[1].actualRatio, m2) },
      { label: "SMD of predictions", numeric: true, value: (r) => est(r[1].smd, (x) => fmt.signed(x, 2)) },
    ],
    rows,
  });
  return html`<h3 id="fair-${slug(name)}">${name}</h3>${errors}${gaps}${proxyTable(name, (a as unknown as Record<string, unknown>).proxies)}`;
}

/** The section, or null when the card has no regression `fairness`. */
export function regressionFairnessSection(card: { fairness?: RegressionFairnessCard; target?: { column: string } } & object): Section | null {
  const f = card.fairness;
  if (!f || Object.keys(f).length === 0) return null;
  const first = Object.values(f)[0]!;
  const target = card.target?.column ?? "the target";
  return section("fairness", "Fair lending",
    html`<p>Protected attributes are never features; they are read only to measure the model by group on the test split. Each number has its bootstrap 95 % interval underneath (${fmt.int(first.bootstrap.resamples)} resamples within each group, seed ${first.bootstrap.seed}). The reference is each attribute's largest group.</p>`,
    Object.entries(f).map(([name, a]) => attributeTables(name, a, target)),
  );
}
