/**
 * The proxies table of a protected attribute (card `fairness.<attribute>.proxies`,
 * train/evaluate/proxies.ts): every feature, strongest first, with the group it
 * tells apart best and its flag. A classifier's and a regression's reports show
 * the same table: what a feature says about a group does not depend on the target.
 */
import { fmt, html, slug, table, type Content } from "../kit/index.ts";
import { readProxies, type ProxyRow } from "./fairness-read.ts";

/** The table, or nothing when the card has no proxies for `name`. */
export function proxyTable(name: string, raw: unknown): Content {
  const proxies = readProxies(raw);
  if (proxies.rows.length === 0) return "";
  const judged = [
    proxies.threshold !== null ? `flagged at an AUC of ${fmt.metric(proxies.threshold)} or more` : "",
    proxies.minGroupRows !== null ? `groups with fewer than ${fmt.int(proxies.minGroupRows)} rows in or out are not scored (–)` : "",
  ].filter(Boolean).join("; ");
  const flagged = proxies.rows.filter((p) => p.flagged).map((p) => p.feature);
  return html`${flagged.length ? html`<p><span class="flag">Proxies of ${name}:</span> ${flagged.join(", ")}.</p>` : ""}${table({
    id: `fair-proxies-${slug(name)}`,
    caption: html`Proxies: how well each feature alone tells a group of ${name} from the rest (the AUC of a one-feature model, 0.5 = no information, 1 = complete), for the group it tells apart best${judged ? `; ${judged}` : ""}. A flagged feature carries much of the protected information and can stand in for it.`,
    columns: [
      { label: "feature", value: (p: ProxyRow) => p.feature },
      { label: "group", value: (p) => p.group ?? "–" },
      { label: "measure", value: (p) => p.metric },
      { label: "value", numeric: true, value: (p) => (p.value === null ? "–" : fmt.metric(p.value)) },
      { label: "flag", value: (p) => (p.flagged ? html`<span class="flag">proxy</span>` : "") },
    ],
    rows: proxies.rows,
  })}`;
}
