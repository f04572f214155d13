/**
 * The curves behind the report's charts: ROC, the KS (cumulative bad vs good)
 * curve, score histograms by class, decision-band rates and a binomial
 * interval for calibration bins. Pure, O(n log n) at worst, same conventions
 * as the other metric modules (labels 0/1 with 1 = adverse, finite scores).
 */
import { checkPair, requireBothClasses, type Vector } from "./checks.ts";
import { splitByClass } from "./ranking.ts";

/** One point of the ROC / KS curves: predicting "bad" for every score >= threshold. */
export interface CurvePoint {
  /** Score cut; `Infinity` for the first point (nobody predicted bad). */
  threshold: number;
  /** False-positive rate: share of goods at or above the threshold. */
  fpr: number;
  /** True-positive rate: share of bads at or above the threshold. */
  tpr: number;
}

/**
 * The ROC curve at every distinct score, from (0, 0) at threshold +∞ down to
 * (1, 1), one point per threshold: n distinct scores give n + 1 points. Tied
 * scores move together (one point per group), as in {@link rocAuc}. With more
 * than `maxPoints` thresholds, thresholds are kept at evenly spaced ranks
 * (first and last always), so a million-row test set still draws a small path.
 */
export function rocCurve(labels: Vector, scores: Vector, maxPoints = 1000): CurvePoint[] {
  const positives = checkPair("rocCurve", labels, scores);
  requireBothClasses("rocCurve", labels.length, positives);
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new Error(`rocCurve: maxPoints must be a whole number >= 2, got ${maxPoints}`);
  const { pos, neg } = splitByClass(labels, scores, positives);
  const P = pos.length;
  const N = neg.length;
  // Walk both sorted arrays from the top: every distinct score is one threshold.
  const walk = (visit: (score: number, i: number, j: number) => void) => {
    let i = P - 1;
    let j = N - 1;
    while (i >= 0 || j >= 0) {
      const score = j < 0 || (i >= 0 && pos[i]! >= neg[j]!) ? pos[i]! : neg[j]!;
      while (i >= 0 && pos[i] === score) i--;
      while (j >= 0 && neg[j] === score) j--;
      visit(score, i, j);
    }
  };
  // Count the points first, then keep only those `thin` would keep: a million distinct
  // scores never become a million objects.
  let total = 1;
  walk(() => { total++; });
  const keep = total <= maxPoints ? undefined : Array.from({ length: maxPoints }, (_, k) => Math.round((k * (total - 1)) / (maxPoints - 1)));
  const points: CurvePoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  let index = 0;
  let next = 1;
  walk((score, i, j) => {
    index++;
    if (keep && keep[next] !== index) return;
    next++;
    points.push({ threshold: score, fpr: (N - 1 - j) / N, tpr: (P - 1 - i) / P });
  });
  return points;
}

/** Keeps at most `max` points at evenly spaced positions, always the first and the last. */
export function thin<T>(points: T[], max: number): T[] {
  if (!Number.isInteger(max) || max < 2) throw new Error(`thin: max must be a whole number >= 2, got ${max}`);
  if (points.length <= max) return points;
  const out: T[] = [];
  for (let k = 0; k < max; k++) out.push(points[Math.round((k * (points.length - 1)) / (max - 1))]!);
  return out;
}

/** One point of the KS chart: the share of each class scoring below `score`. */
export interface KsPoint {
  score: number;
  /** Cumulative share of bads with a score < `score`. */
  bad: number;
  /** Cumulative share of goods with a score < `score`. */
  good: number;
}

/**
 * Cumulative distributions of the scores of bads and goods, as step points on
 * a common score axis: the KS statistic is the largest vertical gap. Built from
 * the ROC points (shares below a threshold = 1 − shares at or above), so the
 * gap here is exactly the KS of {@link ks}.
 */
export function ksCurve(roc: CurvePoint[]): KsPoint[] {
  return roc
    .filter((p) => Number.isFinite(p.threshold))
    .map((p) => ({ score: p.threshold, bad: 1 - p.tpr, good: 1 - p.fpr }))
    .reverse();
}

/** Counts of each class per equal-width score bin on [0, 1]. */
export interface HistogramBin { x0: number; x1: number; good: number; bad: number }

/** Score histogram by class: `bins` equal-width bins on [0, 1], the last one closed. */
export function scoreHistogram(labels: Vector, scores: Vector, bins = 40): HistogramBin[] {
  checkPair("scoreHistogram", labels, scores);
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`scoreHistogram: bins must be a positive integer, got ${bins}`);
  const out: HistogramBin[] = Array.from({ length: bins }, (_, b) => ({ x0: b / bins, x1: (b + 1) / bins, good: 0, bad: 0 }));
  for (let i = 0; i < labels.length; i++) {
    const s = Math.min(1, Math.max(0, scores[i]!));
    const bin = out[Math.min(bins - 1, Math.floor(s * bins))]!;
    if (labels[i] === 1) bin.bad++;
    else bin.good++;
  }
  return out;
}

export type Band = "approve" | "refer" | "decline";

/** What one decision band does to the applicants who fall in it. */
export interface BandRates {
  band: Band;
  /** Score range [from, to) of the band (decline's `to` is 1, inclusive). */
  from: number;
  to: number;
  count: number;
  /** Share of all applicants in this band (approval / referral / decline rate). */
  share: number;
  bads: number;
  /** Share of the band's applicants who turned out bad. */
  badRate: number;
  /** Share of all bads that land in this band. */
  badsCaptured: number;
}

/**
 * Approval, referral and decline rates and the bad rate of each band, under
 * the edge's rule (shared/predict.ts `decide`): decline at or above
 * `decline`, refer at or above `refer`, approve below.
 */
export function bandRates(labels: Vector, scores: Vector, t: { refer: number; decline: number }): BandRates[] {
  const positives = checkPair("bandRates", labels, scores);
  const bands: Band[] = ["approve", "refer", "decline"];
  const count = [0, 0, 0];
  const bads = [0, 0, 0];
  for (let i = 0; i < labels.length; i++) {
    const s = scores[i]!;
    const b = s >= t.decline ? 2 : s >= t.refer ? 1 : 0;
    count[b]!++;
    bads[b]! += labels[i]!;
  }
  const edges = [0, t.refer, t.decline, 1];
  return bands.map((band, b) => ({
    band, from: edges[b]!, to: edges[b + 1]!, count: count[b]!, share: count[b]! / labels.length,
    bads: bads[b]!, badRate: count[b] ? bads[b]! / count[b]! : 0, badsCaptured: positives ? bads[b]! / positives : 0,
  }));
}

/**
 * Wilson score interval for a binomial share (successes of n) at z (1.96 ≈
 * 95 %): how far an observed bad rate in a calibration bin may stray from the
 * true rate by chance alone. Well-behaved at 0 and n, unlike the normal
 * approximation.
 */
export function wilsonInterval(successes: number, n: number, z = 1.96): { lo: number; hi: number } {
  if (!(n > 0) || successes < 0 || successes > n) throw new Error(`wilsonInterval: need 0 <= successes <= n and n > 0, got ${successes} of ${n}`);
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}
