/**
 * Performance by segment (`train --segments`): a model can rank well overall
 * and poorly inside a product, region or channel, which is what a validator
 * asks about next. Per group of the test split: count, bad rate, approval
 * rate (score below the refer threshold) and AUC (null with one class).
 */
import type { Vector } from "./checks.ts";
import { rocAuc } from "./ranking.ts";

export interface SegmentRow { group: string; count: number; bads: number; badRate: number; approvalRate: number; auc: number | null }

/** `codes[i]` is row i's group, an index into `names`; groups without rows are left out. */
export function segmentPerformance(labels: Vector, scores: Vector, codes: Vector, names: readonly string[], refer: number): SegmentRow[] {
  if (labels.length !== scores.length || labels.length !== codes.length) throw new Error("segmentPerformance: labels, scores and codes differ in length");
  const rows = names.map(() => [] as number[]);
  for (let i = 0; i < codes.length; i++) rows[codes[i]!]?.push(i);
  return rows.flatMap((r, g) => {
    if (r.length === 0) return [];
    const y = r.map((i) => labels[i]!);
    const s = r.map((i) => scores[i]!);
    const bads = y.reduce((a, b) => a + b, 0);
    return [{
      group: names[g]!, count: r.length, bads, badRate: bads / r.length,
      approvalRate: s.filter((x) => x < refer).length / r.length,
      auc: bads > 0 && bads < r.length ? rocAuc(y, s) : null,
    }];
  });
}
