/** The model card's narrative (`train --card`), at the top of the report: what the model is for and who signed it off. */
import { facts, html, type Html } from "../kit/index.ts";
import type { CardNarrative } from "../../data/card-file.ts";

export function narrativeBlock(n: CardNarrative | undefined): Html | "" {
  if (!n) return "";
  const a = n.approval;
  const approval = [a.status, a.by ? `by ${a.by}` : "", a.date ? `on ${a.date}` : ""].filter(Boolean).join(" ");
  return html`<section class="narrative" id="intended-use"><h2>Intended use and approval</h2>${facts([
    ["intended use", n.intendedUse],
    ...(n.outOfScope?.length ? [["not for", html`<ul>${n.outOfScope.map((x) => html`<li>${x}</li>`)}</ul>`] as [string, Html]] : []),
    ["limitations", html`<ul>${n.limitations.map((x) => html`<li>${x}</li>`)}</ul>`],
    ["owner", [n.owner.name, n.owner.team, n.owner.contact].filter(Boolean).join(" · ")],
    ["approval", html`<strong class="${a.status === "approved" ? "good" : "bad"}">${approval}</strong>${a.notes ? html`<br>${a.notes}` : ""}`],
  ])}</section>`;
}
