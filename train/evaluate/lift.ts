/**
 * Lift and cumulative gains by decile, and the precision–recall curve: the
 * views a credit validator reads beside ROC, because they speak in bads caught
 * per share of applicants reviewed and in how many flagged applicants are bad.
 * Pure functions, checked by hand in test/report-validation.test.ts.
 */
import { checkPair, type Vector } from "./checks.ts";
import { thin } from "./curves.ts";

export interface DecileRow {
  /** 1 = the tenth of applicants with the highest scores. */
  decile: number;
  count: number;
  bads: number;
  badRate: number;
  /** The decile's bad rate over the overall bad rate. */
  lift: number;
  /** Share of all applicants in deciles 1..this one. */
  cumShare: number;
  /** Share of all bads in deciles 1..this one (the gains curve). */
  gains: number;
  /** Bad rate of deciles 1..this one over the overall bad rate. */
  cumLift: number;
}

/**
 * Rows sorted by score, highest first (ties by row order, so the cut is
 * reproducible), cut into ten groups as equal as whole rows allow
 * (row at rank r goes to decile floor(10 r / n) + 1).
 */
export function liftTable(labels: Vector, scores: Vector, groups = 10): DecileRow[] {
  const positives = checkPair("liftTable", labels, scores);
  const n = labels.length;
  if (n < groups) throw new Error(`liftTable: ${n} rows cannot be cut into ${groups} groups`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const count = new Array<number>(groups).fill(0);
  const bads = new Array<number>(groups).fill(0);
  order.forEach((row, rank) => {
    const d = Math.floor((rank * groups) / n);
    count[d]!++;
    if (labels[row] === 1) bads[d]!++;
  });
  const overall = positives / n;
  let cumCount = 0;
  let cumBads = 0;
  return count.map((c, d) => {
    cumCount += c;
    cumBads += bads[d]!;
    const badRate = c ? bads[d]! / c : 0;
    return {
      decile: d + 1, count: c, bads: bads[d]!, badRate,
      lift: overall ? badRate / overall : 0,
      cumShare: cumCount / n, gains: positives ? cumBads / positives : 0,
      cumLift: overall ? cumBads / cumCount / overall : 0,
    };
  });
}

export interface PrPoint { threshold: number; recall: number; precision: number }

export interface PrCurve {
  points: PrPoint[];
  /** Σ (recallₖ − recallₖ₋₁) · precisionₖ over the distinct scores (scikit-learn's average precision). */
  averagePrecision: number;
  /** Precision of flagging everyone: the share of bads, the curve's floor. */
  baseline: number;
}

/** Precision and recall at every distinct score (flagging scores at or above it), highest first; tied rows move together. */
export function prCurve(labels: Vector, scores: Vector, maxPoints = 500): PrCurve {
  const positives = checkPair("prCurve", labels, scores);
  if (positives === 0) throw new Error("prCurve: no positive rows; precision and recall need both classes");
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const points: PrPoint[] = [];
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let lastRecall = 0;
  for (let k = 0; k < order.length; k++) {
    const row = order[k]!;
    if (labels[row] === 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next !== undefined && scores[next] === scores[row]) continue;
    const recall = tp / positives;
    const precision = tp / (tp + fp);
    ap += (recall - lastRecall) * precision;
    lastRecall = recall;
    points.push({ threshold: scores[row]!, recall, precision });
  }
  return { points: thin(points, maxPoints), averagePrecision: ap, baseline: positives / labels.length };
}
