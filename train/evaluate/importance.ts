/**
 * Model-wide explanations computed with the edge's own scoring code
 * (shared/predict.ts): global importance as the mean |reason impact| over a
 * set of applicants, and partial dependence (the average answer when one
 * feature is set to each value of a grid, everything else as observed). The
 * answer is a classifier's probability or a regression's value, in its units.
 */
import type { Row } from "../../shared/preprocess.ts";
import { scoreRows, scoreWithImpacts } from "../../shared/predict.ts";
import type { Scorer } from "../../shared/scorer.ts";

export interface Importance {
  feature: string;
  /** Mean over applicants of |p(applicant) − p(applicant with this feature at the baseline)|. */
  meanAbsImpact: number;
  /** The same without the absolute value: > 0 when the feature mostly raises the risk above the baseline. */
  meanImpact: number;
  /** Share of applicants for whom this feature raised the risk (a reason code could name it). */
  raisedShare: number;
}

/** Importance of every feature, in spec order, from the impacts the edge computes for reason codes. */
export function globalImportance(scorer: Scorer, rows: Row[]): Importance[] {
  if (rows.length === 0) throw new Error("globalImportance: no rows");
  const { impacts } = scoreWithImpacts(scorer, rows, true);
  if (!impacts) throw new Error("globalImportance: the scorer returned no impacts");
  const features = scorer.manifest.spec.features;
  const k = features.length;
  return features.map((f, j) => {
    let abs = 0;
    let sum = 0;
    let raised = 0;
    for (let i = 0; i < rows.length; i++) {
      const v = impacts[i * k + j]!;
      abs += Math.abs(v);
      sum += v;
      if (v > 1e-6) raised++;
    }
    return { feature: f.name, meanAbsImpact: abs / rows.length, meanImpact: sum / rows.length, raisedShare: raised / rows.length };
  });
}

export interface DependencePoint {
  value: number | string;
  /** Mean answer (a classifier's probability, a regression's value) over the rows with the feature set to `value`. */
  mean: number;
}

/** Partial dependence of the answer (probability or value) on `feature` at each grid value, over `rows`. */
export function partialDependence(scorer: Scorer, rows: Row[], feature: string, grid: (number | string)[]): DependencePoint[] {
  if (rows.length === 0) throw new Error("partialDependence: no rows");
  if (!scorer.manifest.spec.features.some((f) => f.name === feature)) throw new Error(`partialDependence: the model has no feature "${feature}"`);
  return grid.map((value) => {
    const p = scoreRows(scorer, rows.map((r) => ({ ...r, [feature]: value })));
    let sum = 0;
    for (const x of p) sum += x;
    return { value, mean: sum / p.length };
  });
}

/**
 * Grid for a numeric feature: up to `points` distinct values at evenly spaced
 * quantiles from the 5th to the 95th percentile of the observed values (the
 * tails are where the data is too thin to say anything).
 */
export function numericGrid(values: number[], points = 15): number[] {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const out: number[] = [];
  for (let k = 0; k < points; k++) {
    const q = 0.05 + (0.9 * k) / Math.max(1, points - 1);
    const v = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    if (v !== out[out.length - 1]) out.push(v);
  }
  return out;
}
