/**
 * The card's `fairness` object: for each protected attribute, the group
 * metrics of train/evaluate/fairness.ts on the test split, with how the groups
 * were formed, and the features that act as its proxies
 * (train/evaluate/proxies.ts); and log lines per attribute naming the groups
 * under the four-fifths rule and the features that carry it. A regression
 * model's is `regressionFairnessCard` (task "regression": no thresholds, so no
 * approval rates; bias, errors and coverage by group instead).
 */
import type { Thresholds } from "../../shared/artifact.ts";
import type { TestGroups } from "../data/groups.ts";
import { OTHER_GROUP, type ProtectedAttribute } from "../data/protected.ts";
import { fairnessByGroup, type AttributeFairness } from "../evaluate/fairness.ts";
import { regressionFairnessByGroup, type RegressionAttributeFairness } from "../evaluate/regression-fairness.ts";
import { PROXY_AUC_THRESHOLD, PROXY_MIN_GROUP_ROWS, proxySummary, rankProxies, type Proxy } from "../evaluate/proxies.ts";

/** How proxies were measured, beside the list (the card says what its numbers are). */
export interface ProxyList {
  method: string;
  threshold: number;
  minGroupRows: number;
  /** Every feature, strongest first; `flagged` at or above the threshold. */
  features: Proxy[];
}

interface AttributeHead {
  column: string;
  groupedBy: { bands: number[] } | "values";
  proxies?: ProxyList;
  /** Values the groups were not formed from (a separate --test file's), by rows: together they are the group "(other)". */
  unseen?: Record<string, number>;
}

export type FairnessCard = Record<string, AttributeHead & AttributeFairness>;

/** A regression model's `fairness`: the same head per attribute, the numbers of train/evaluate/regression-fairness.ts. */
export type RegressionFairnessCard = Record<string, AttributeHead & RegressionAttributeFairness>;

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
    addUnseen(card[a.column] as AttributeHead, a, log);
    warnSingleGroup(a, f.groups, log);
    addProxies(card[a.column] as AttributeHead, a.groups, proxyTables, log);
  }
  return card;
}

/**
 * Values the groups were formed without (a --test file's own) are counted together as "(other)": distinct
 * groups of applicants would be compared as one. Named on the card and in a warning, most rows first.
 */
/** One group with rows (bands wider than the data, a column with one value) compares nothing: "no group below four-fifths" would mislead. */
function warnSingleGroup(a: ProtectedAttribute, groups: Record<string, unknown>, log: (line: string) => void): void {
  const present = Object.keys(groups);
  if (present.length !== 1) return;
  const how = a.groupedBy === "values" ? "" : ` (bands at ${a.groupedBy.bands.join(", ")}: choose edges inside the data's range)`;
  log(`warning: --protected ${a.column}: every test row is in one group, ${present[0]}${how}: there is nothing to compare, and no figure here says the model treats groups alike`);
}

function addUnseen(entry: AttributeHead, a: ProtectedAttribute, log: (line: string) => void): void {
  if (!a.unseen?.size) return;
  const named = [...a.unseen].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
  entry.unseen = Object.fromEntries(named);
  const rows = named.reduce((t, [, n]) => t + n, 0);
  log(`warning: --protected ${a.column}: ${rows} row(s) hold value(s) the training data does not have (${named.map(([v, n]) => `${JSON.stringify(v)} ${n}`).join(", ")}), counted together as "${OTHER_GROUP}", which is never the reference; to compare them as groups, include such rows in the training data`);
}

/** The attribute's proxies (when tallied) on its card entry, and their log line. */
function addProxies(entry: AttributeHead, groups: string[], proxyTables: Map<string, Map<string, number[][]>> | undefined, log: (line: string) => void): void {
  const tables = proxyTables?.get(entry.column);
  if (!tables) return;
  const features = rankProxies(tables, groups);
  entry.proxies = { method: PROXY_METHOD, threshold: PROXY_AUC_THRESHOLD, minGroupRows: PROXY_MIN_GROUP_ROWS, features };
  log(proxySummary(entry.column, features));
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(3));

/**
 * A regression model's card `fairness`: per attribute, its numbers by group on the test split (`lo`/`hi`:
 * each test row's prediction interval at `intervalLevel`), and a log line per attribute setting each group's
 * predicted ratio beside its actual ratio, so a gap the model adds to the data's stands out.
 */
export function regressionFairnessCard(testGroups: TestGroups[], actual: ArrayLike<number>, values: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>,
  intervalLevel: number, seed: number, log: (line: string) => void, proxyTables?: Map<string, Map<string, number[][]>>): RegressionFairnessCard {
  const card: RegressionFairnessCard = {};
  for (const { attribute: a, codes } of testGroups) {
    const f = regressionFairnessByGroup(actual, values, lo, hi, codes, a.groups, { intervalLevel, resamples: FAIRNESS_RESAMPLES, seed });
    card[a.column] = { column: a.column, groupedBy: a.groupedBy, ...f };
    const groups = Object.entries(f.groups).map(([g, s]) => {
      const ratio = (e: { value: number } | null) => (e === null ? "n/a" : e.value.toFixed(2));
      return `${g} (${s.count}): predicted ${fmt(s.meanPredicted.value)} vs actual ${fmt(s.meanActual.value)}, bias ${fmt(s.bias.value)}${s.relativeBias ? ` (${(s.relativeBias.value * 100).toFixed(1)} %)` : ""}, ratio predicted ${ratio(s.predictedRatio)} / actual ${ratio(s.actualRatio)}, coverage ${(s.coverage.value * 100).toFixed(1)} %`;
    }).join("; ");
    log(`fairness "${a.column}" on the test split (reference ${f.reference}, the largest group): ${groups}`);
    addUnseen(card[a.column] as AttributeHead, a, log);
    warnSingleGroup(a, f.groups, log);
    addProxies(card[a.column] as AttributeHead, a.groups, proxyTables, log);
  }
  return card;
}
