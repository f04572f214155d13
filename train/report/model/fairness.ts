/**
 * Fair lending in the report (`train --protected`): per protected attribute,
 * how the model treats each group on the test split (approval and adverse
 * impact ratio with the four-fifths rule, score gap, accuracy, calibration,
 * error rates), which features act as proxies for it, and, when the tuner
 * searched for less discriminatory alternatives, the accuracy–fairness front.
 */
import { chart, colors, fmt, html, Plot, section, slug, table, type Content, type Html, type Section } from "../kit/index.ts";
import type { Estimate, GroupFairness } from "../../evaluate/fairness.ts";
import { FOUR_FIFTHS } from "../../evaluate/fairness.ts";
import type { FairnessCard } from "../../tasks/fairness.ts";
import { fairSearchOf, type FairSearch, type FairTrial } from "./fairness-read.ts";
import { proxyTable } from "./proxy-table.ts";
import { regressionFairnessSection } from "./regression-fairness.ts";

type Row = [string, GroupFairness];

/** A value with its 95 % interval on a second, smaller line. */
function est(e: Estimate | null | undefined, f: (x: number) => string): Content {
  if (!e) return "–";
  return e.low === null || e.high === null ? f(e.value) : html`${f(e.value)}<br><small>${f(e.low)}${e.low < 0 || e.high < 0 ? " to " : "–"}${f(e.high)}</small>`;
}

const pct = (x: number) => fmt.pct(x);
const m2 = (x: number) => fmt.metric(x, 2);
const signed = (x: number) => fmt.signed(x, 2);

function attributeTables(name: string, a: FairnessCard[string]): Html {
  const rows: Row[] = Object.entries(a.groups);
  const group = (r: Row) => (r[0] === a.reference ? html`${r[0]} <small>(reference)</small>` : r[0]);
  const approval = table({
    id: `fair-approval-${slug(name)}`,
    caption: html`<strong>${name}</strong>${typeof a.groupedBy === "object" ? ` in bands at ${a.groupedBy.bands.join(", ")}` : ""}: approval (score below the refer threshold, ${fmt.pct(a.thresholds.refer, 0)}) by group, and the adverse impact ratio against the most-approved group, ${a.reference}. Flagged: AIR under ${FOUR_FIFTHS} (the four-fifths rule).`,
    columns: [
      { label: "group", value: group },
      { label: "applicants", numeric: true, value: (r) => fmt.int(r[1].count) },
      { label: "approval rate", numeric: true, value: (r) => est(r[1].approvalRate, pct) },
      { label: "AIR", numeric: true, value: (r) => est(r[1].air, m2) },
      { label: "four-fifths", value: (r) => (r[1].belowFourFifths ? html`<span class="flag">below 0.8</span>` : r[1].air ? "ok" : "–") },
      { label: "SMD of scores", numeric: true, value: (r) => est(r[1].smd, signed) },
    ],
    rows,
  });
  const accuracy = table({
    id: `fair-accuracy-${slug(name)}`,
    caption: html`How well the model works for each group of ${name}: AUC; calibration (average predicted vs observed bad rate); true- and false-positive rates at the decline threshold (${fmt.pct(a.thresholds.decline, 0)}) and the equal-opportunity difference with a good outcome as the favourable one: the share of good applicants not declined, minus the reference's (the reference's FPR minus the group's; below 0: the group's creditworthy applicants are declined more often).`,
    columns: [
      { label: "group", value: group },
      { label: "AUC", numeric: true, value: (r) => est(r[1].auc, m2) },
      { label: "predicted", numeric: true, value: (r) => est(r[1].calibration.meanPredicted, pct) },
      { label: "observed", numeric: true, value: (r) => est(r[1].calibration.observedBadRate, pct) },
      { label: "TPR", numeric: true, value: (r) => est(r[1].tpr, pct) },
      { label: "FPR", numeric: true, value: (r) => est(r[1].fpr, pct) },
      { label: "EOD", numeric: true, value: (r) => est(r[1].equalOpportunityDifference, signed) },
    ],
    rows,
  });
  const proxies = proxyTable(name, (a as unknown as Record<string, unknown>).proxies);
  const flagged = a.belowFourFifths.length ? html`<p><span class="flag">Below four-fifths:</span> ${a.belowFourFifths.join(", ")}.</p>` : html`<p>No group of ${name} is below four-fifths.</p>`;
  return html`<h3 id="fair-${slug(name)}">${name}</h3>${flagged}${approval}${accuracy}${proxies}`;
}

function paretoChart(s: FairSearch): Html {
  const kind = (t: FairTrial) => (t.id === s.chosen ? "chosen" : s.pareto.has(t.id) ? "Pareto front" : "other trial");
  const front = s.trials.filter((t) => s.pareto.has(t.id)).sort((a, b) => a.minAir - b.minAir);
  const air = s.metric === "air";
  const bound = s.bound ?? (air ? FOUR_FIFTHS : null);
  // The chosen trial and, when the constraint changed the choice, the one chosen without it, named beside their dots.
  const unconstrained = s.trials.filter((t) => t.id === s.unconstrained && t.id !== s.chosen);
  const chosen = s.trials.filter((t) => t.id === s.chosen);
  return chart({
    id: "fair-pareto", title: "Accuracy against fairness: the tuner's trials",
    aid: html`Each trial's validation AUC against its ${air ? "lowest adverse impact ratio" : "lowest equal-opportunity difference"}. Trials on the front cannot be made fairer without losing accuracy${bound === null ? "" : `; right of the dashed line ${air && bound === FOUR_FIFTHS ? "the four-fifths rule holds" : `${s.metric} ≥ ${bound}`}`}.${s.constraint ? ` Constraint: ${s.constraint}.` : ""} ${s.met === false ? "No trial met the constraint: the closest was chosen." : ""}`,
    legend: [{ label: "trial", color: "neutral" }, { label: "Pareto front", color: "model" }, { label: "chosen", color: "decline" }],
    plot: {
      marginRight: 40, // room for the chosen trial's name when it is the right-most dot near the top
      x: { grid: true, label: air ? "Lowest adverse impact ratio →" : "Lowest equal-opportunity difference →", labelAnchor: "center" },
      y: { grid: true, label: "↑ Validation AUC" },
      marks: [
        bound === null ? null : Plot.ruleX([bound], { stroke: colors.neutral, strokeDasharray: "4,3" }),
        Plot.line(front, { x: "minAir", y: "auc", stroke: colors.model, strokeOpacity: 0.6 }),
        Plot.dot(s.trials, {
          x: "minAir", y: "auc", r: (t: FairTrial) => (kind(t) === "chosen" ? 6 : 4), className: "fair-trials",
          fill: (t: FairTrial) => (kind(t) === "chosen" ? colors.decline : kind(t) === "Pareto front" ? colors.model : colors.neutral),
        }),
        Plot.text(unconstrained, { x: "minAir", y: "auc", text: (t: FairTrial) => `unconstrained: trial ${t.id}`, textAnchor: "end", dx: -9, className: "fair-named" }),
        Plot.text(chosen, { x: "minAir", y: "auc", text: (t: FairTrial) => `chosen: trial ${t.id}`, textAnchor: "start", dx: 10, className: "fair-named" }),
      ],
    },
  });
}

/** The section, or null when the card has no `fairness` (nothing was protected). */
export function fairnessSection(card: { fairness?: FairnessCard } & object): Section | null {
  const f = card.fairness;
  if (!f || Object.keys(f).length === 0) return null;
  // A regression card's groups have no approval rates: its own tables (a card is read as written, whatever its type says).
  if (Object.values(f).some((a) => (a as { task?: string }).task === "regression")) return regressionFairnessSection(card as Parameters<typeof regressionFairnessSection>[0]);
  const search = fairSearchOf(card as Record<string, unknown>);
  const first = Object.values(f)[0]!;
  return section("fairness", "Fair lending",
    html`<p>Protected attributes are never features; they are read only to measure the model by group on the test split. Each number has its bootstrap 95 % interval underneath (${fmt.int(first.bootstrap.resamples)} resamples within each group, seed ${first.bootstrap.seed}). AIR: adverse impact ratio; SMD: standardised mean difference of scores against the reference group (positive: scored riskier); EOD: equal-opportunity difference.</p>`,
    Object.entries(f).map(([name, a]) => attributeTables(name, a)),
    search ? paretoChart(search) : "",
  );
}
