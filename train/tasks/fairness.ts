/**
 * The card's `fairness` object: for each protected attribute, the group
 * metrics of train/evaluate/fairness.ts on the test split, with how the groups
 * were formed, and the features that act as its proxies
 * (train/evaluate/proxies.ts); and log lines per attribute naming the groups
 * under the four-fifths rule and the features that carry it.
 */
import type { Thresholds } from "../../shared/artifact.ts";
import type { TestGroups } from "../data/groups.ts";
import { fairnessByGroup, type AttributeFairness } from "../evaluate/fairness.ts";
import { PROXY_AUC_THRESHOLD, PROXY_MIN_GROUP_ROWS, proxySummary, rankProxies, type Proxy } from "../evaluate/proxies.ts";

/** How proxies were measured, beside the list (the card says what its numbers are). */
export interface ProxyList {
  method: string;
  threshold: number;
  minGroupRows: number;
  /** Every feature, strongest first; `flagged` at or above the threshold. */
  features: Proxy[];
}

export type FairnessCard = Record<string, { column: string; groupedBy: { bands: number[] } | "values"; proxies?: ProxyList } & AttributeFairness>;

export const PROXY_METHOD = "AUC of a one-feature model (each bin of the feature scored by the group's share in it) for each group vs the rest, on every usable row; the largest over groups with enough rows";

/** Bootstrap resamples per attribute: enough for stable 95 % ends on a few thousand test rows, in well under a second. */
export const FAIRNESS_RESAMPLES = 200;

/** `proxyTables`: per attribute column, each feature's bins × groups counts (train/data/proxy-tally.ts). */
export function fairnessCard(testGroups: TestGroups[], labels: ArrayLike<number>, scores: ArrayLike<number>, thresholds: Thresholds, seed: number, log: (line: string) => void,
  proxyTables?: Map<string, Map<string, number[][]>>): FairnessCard {
  const card: FairnessCard = {};
  for (const { attribute: a, codes } of testGroups) {
    const f = fairnessByGroup(labels, scores, codes, a.groups, { thresholds, resamples: FAIRNESS_RESAMPLES, seed });
    card[a.column] = { column: a.column, groupedBy: a.groupedBy, ...f };
    const airs = Object.entries(f.air).map(([g, x]) => `${g} ${x === null ? "n/a" : x.toFixed(2)}`).join(", ");
    const flagged = f.belowFourFifths.length ? `; below four-fifths (0.8): ${f.belowFourFifths.join(", ")}` : "; no group below four-fifths (0.8)";
    log(`fairness "${a.column}" on the test split (reference ${f.reference}): adverse impact ratio ${airs}${flagged}`);
    const tables = proxyTables?.get(a.column);
    if (tables) {
      const features = rankProxies(tables, a.groups);
      (card[a.column] as FairnessCard[string]).proxies = { method: PROXY_METHOD, threshold: PROXY_AUC_THRESHOLD, minGroupRows: PROXY_MIN_GROUP_ROWS, features };
      log(proxySummary(a.column, features));
    }
  }
  return card;
}
