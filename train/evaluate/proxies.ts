/**
 * Proxies: how well one feature on its own predicts a protected attribute.
 * A model that never sees `Age` can still treat age groups apart through a
 * feature that carries it (Seniority, say), so a validator needs the list.
 *
 * The measure, per feature and group: the AUC of the best one-feature model
 * for "in this group vs the rest", the model that scores each of the
 * feature's bins (a category, a decile of a number, missing) by the group's
 * share in that bin. It is computed from the bins × groups counts alone, so
 * the tally streams and never keeps rows. It is at least 0.5 (no information)
 * and 1 when the bins separate the group completely; being fitted and scored
 * on the same rows it is slightly optimistic, which is why groups under
 * `minGroupRows` are not scored. A feature's strength is the largest AUC
 * over the scored groups; it is flagged at or above `threshold` (0.7, the
 * usual floor of "acceptable discrimination" for a scorecard).
 */

/** Flag at or above this AUC. */
export const PROXY_AUC_THRESHOLD = 0.7;
/** Groups with fewer rows are not scored: with a few rows and ten bins the in-sample AUC is mostly chance. */
export const PROXY_MIN_GROUP_ROWS = 30;

export interface Proxy {
  feature: string;
  /** The largest group-vs-rest AUC over the scored groups (null: no group has enough rows, or a single one). */
  auc: number | null;
  /** The group that AUC is for. */
  group: string | null;
  /** The scored groups' AUCs averaged with their row counts as weights. */
  weightedAuc: number | null;
  flagged: boolean;
}

export interface ProxyOptions { threshold?: number; minGroupRows?: number }

/**
 * AUC of "row is in group g" scored by the g-share of the row's bin.
 * `table[b][g]`: rows in bin b and group g. NaN when g or the rest is empty.
 */
export function groupVsRestAuc(table: readonly (readonly number[])[], g: number): number {
  const bins = table.map((row) => {
    const total = row.reduce((s, x) => s + x, 0);
    const pos = row[g] ?? 0;
    return { pos, neg: total - pos, share: total > 0 ? pos / total : 0 };
  }).filter((b) => b.pos + b.neg > 0).sort((a, b) => a.share - b.share);
  const P = bins.reduce((s, b) => s + b.pos, 0);
  const N = bins.reduce((s, b) => s + b.neg, 0);
  if (P === 0 || N === 0) return NaN;
  let below = 0; // negatives in bins with a lower share
  let wins = 0;
  for (let i = 0; i < bins.length;) {
    // Bins with the same share are one score: their pairs are ties.
    let j = i, pos = 0, neg = 0;
    while (j < bins.length && bins[j]!.share === bins[i]!.share) { pos += bins[j]!.pos; neg += bins[j]!.neg; j++; }
    wins += pos * (below + neg / 2);
    below += neg;
    i = j;
  }
  return wins / (P * N);
}

/** One feature's proxy strength for an attribute whose groups are `groups` (the columns of `table`). */
export function proxyOf(feature: string, table: readonly (readonly number[])[], groups: readonly string[], o: ProxyOptions = {}): Proxy {
  const threshold = o.threshold ?? PROXY_AUC_THRESHOLD;
  const minRows = o.minGroupRows ?? PROXY_MIN_GROUP_ROWS;
  const sizes = groups.map((_, g) => table.reduce((s, row) => s + (row[g] ?? 0), 0));
  const all = sizes.reduce((s, x) => s + x, 0);
  const scored = groups.map((name, g) => ({ name, n: sizes[g]!, auc: sizes[g]! >= minRows && all - sizes[g]! >= minRows ? groupVsRestAuc(table, g) : NaN }))
    .filter((x) => Number.isFinite(x.auc));
  if (scored.length === 0) return { feature, auc: null, group: null, weightedAuc: null, flagged: false };
  const best = scored.reduce((a, b) => (b.auc > a.auc ? b : a));
  const weight = scored.reduce((s, x) => s + x.n, 0);
  return { feature, auc: best.auc, group: best.name, weightedAuc: scored.reduce((s, x) => s + x.auc * x.n, 0) / weight, flagged: best.auc >= threshold };
}

/** Every feature's proxy strength, strongest first (features no group could be scored on last). */
export function rankProxies(tables: ReadonlyMap<string, readonly (readonly number[])[]>, groups: readonly string[], o: ProxyOptions = {}): Proxy[] {
  return [...tables].map(([feature, table]) => proxyOf(feature, table, groups, o))
    .sort((a, b) => (b.auc ?? -1) - (a.auc ?? -1) || a.feature.localeCompare(b.feature));
}

/** The stderr line: the flagged features, or the strongest one when none is. */
export function proxySummary(column: string, proxies: readonly Proxy[], threshold = PROXY_AUC_THRESHOLD): string {
  const flagged = proxies.filter((p) => p.flagged);
  const fmt = (p: Proxy) => `${p.feature} (AUC ${p.auc!.toFixed(2)}${p.group === null ? "" : `, ${p.group}`})`;
  if (flagged.length) return `features that carry ${column} (one-feature AUC >= ${threshold}): ${flagged.map(fmt).join(", ")}`;
  const top = proxies.find((p) => p.auc !== null);
  return `no feature carries ${column} (one-feature AUC >= ${threshold})${top ? `; the strongest: ${fmt(top)}` : ""}`;
}
