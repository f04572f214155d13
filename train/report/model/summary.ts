/** Headline: the five test metrics beside the base-rate model and the previous version. */
import { fmt, html, section, table, tiles, type Content, type Section } from "../kit/index.ts";
import type { Evaluation } from "../../evaluate/metrics.ts";
import { HEADLINE, type CardBase, type HeadlineMetric, type ModelCard, type PreviousVersion } from "./card.ts";

const META: Record<HeadlineMetric, { label: string; higherIsBetter: boolean; what: string }> = {
  auc: { label: "ROC AUC", higherIsBetter: true, what: "chance a random bad applicant scores above a random good one" },
  gini: { label: "Gini", higherIsBetter: true, what: "2 × AUC − 1, the accuracy ratio" },
  ks: { label: "KS", higherIsBetter: true, what: "largest gap between the score distributions of bads and goods" },
  brier: { label: "Brier score", higherIsBetter: false, what: "mean squared error of the probabilities" },
  logLoss: { label: "Log loss", higherIsBetter: false, what: "mean negative log-likelihood of the outcomes" },
};

function change(m: HeadlineMetric, now: number, before: number | undefined): Content {
  if (before === undefined) return "–";
  const d = now - before;
  const better = META[m].higherIsBetter ? d > 0 : d < 0;
  return Math.abs(d) < 5e-4 ? fmt.signed(d) : html`<span class="${better ? "good" : "bad"}">${fmt.signed(d)} ${better ? "better" : "worse"}</span>`;
}

/** Which version the numbers are compared with, and whether they compare directly (same data and split). Both tasks' summaries say it. */
export function previousNote(card: CardBase, previous: PreviousVersion | undefined): Content {
  const sameData = previous?.dataSha256 === card.data.sha256 && previous?.split === card.data.split;
  return previous
    ? html`<p>Previous version: <span class="mono">${previous.version}</span> (the one serving when this model was trained), with the numbers from its own manifest. ${
      sameData ? "It was trained and tested on the same data and split, so the numbers compare directly." : "It was trained or tested on other data or another split: compare with care."}</p>`
    : html`<p>No previous version was serving when this model was trained.</p>`;
}

/** The bootstrap interval of AUC, Gini or KS (see the Validation section), "–" for the others. */
function interval(iv: ModelCard["intervals"], m: HeadlineMetric): string {
  const e = m === "auc" || m === "gini" || m === "ks" ? iv?.[m] : undefined;
  return e ? `${fmt.metric(e.low)}–${fmt.metric(e.high)}` : "–";
}

export function summarySection(card: ModelCard, previous: PreviousVersion | undefined): Section {
  const t: Evaluation = card.metrics.test;
  const b: Evaluation = card.metrics.baseRate;
  const prevNote = previousNote(card, previous);
  return section("summary", "Summary",
    html`<p>${card.description} Tested on ${fmt.int(t.n)} held-out applicants, ${fmt.pct(t.positives / t.n)} of them bad; the base-rate model gives everyone the training share of bads (${fmt.pct(card.data.baseRate)}).</p>`,
    tiles(HEADLINE.map((m) => ({
      label: META[m].label,
      value: fmt.metric(t[m]),
      detail: html`base rate ${fmt.metric(b[m])}${previous?.metrics[m] !== undefined ? html` · previous ${fmt.metric(previous.metrics[m]!)}` : ""}`,
    }))),
    table({
      id: "headline",
      caption: "Test metrics. AUC, Gini and KS: higher is better; Brier and log loss: lower is better.",
      columns: [
        { label: "metric", value: (m: HeadlineMetric) => html`<strong>${META[m].label}</strong><small class="desc"><br>${META[m].what}</small>` },
        { label: "this version", numeric: true, value: (m) => fmt.metric(t[m], 4) },
        ...(card.intervals ? [{ label: "95 % interval", numeric: true, value: (m: HeadlineMetric) => interval(card.intervals, m) }] : []),
        { label: "base-rate model", numeric: true, value: (m) => fmt.metric(b[m], 4) },
        { label: "previous version", numeric: true, value: (m) => (previous?.metrics[m] !== undefined ? fmt.metric(previous.metrics[m]!, 4) : "–") },
        { label: "change", numeric: true, value: (m) => change(m, t[m], previous?.metrics[m]) },
      ],
      rows: HEADLINE,
    }),
    prevNote,
  );
}
