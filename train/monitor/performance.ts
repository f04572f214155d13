/**
 * Performance on new applications. A classifier's: estimated from its
 * probabilities (CBPE, cbpe.ts) for every row, and measured for the rows whose
 * outcome is known (`--target`). A regression's: measured on the labelled rows
 * only (RMSE, MAE, R², median absolute error, interval coverage), as there is
 * nothing to estimate errors from without them. Both beside the card's test
 * numbers.
 */
import { brier, calibration, evaluate, logLoss, type CalibrationBin } from "../evaluate/metrics.ts";
import { median } from "../evaluate/regression.ts";
import { expectedAuc, expectedBadRate } from "./cbpe.ts";
import type { CalibrationRef, MonitorReference, RegressionReferenceMetrics } from "./reference.ts";

export const CBPE_CAVEAT = "sound only while the model is calibrated: CBPE reads performance from the probabilities, so a change in how features relate to outcomes (concept drift) does not show until labels arrive";

export interface Estimated {
  method: "CBPE";
  /** Expected AUC from the probabilities; null when all are 0 or all 1. */
  expectedAuc: number | null;
  expectedBadRate: number;
  rows: number;
  /** The expected AUC came from a uniform sample of this many rows (the bad rate from all of them). */
  sampledRows?: number;
  /** The same estimate on the test split, beside what the test labels gave (how far CBPE is from the truth for this model). */
  reference: { expectedAuc: number | null; expectedBadRate: number | null; auc: number | null; badRate: number | null };
  /** The test-split calibration the estimate relies on, and its expected calibration error (count-weighted |predicted − observed|). */
  calibration: CalibrationRef[];
  calibrationError: number | null;
  caveat: string;
}

export interface Labelled {
  rows: number;
  positives: number;
  badRate: number;
  /** Ranking metrics need both outcomes among the labelled rows: null otherwise. */
  auc: number | null;
  /** Hanley–McNeil standard error of the AUC: how much of a change is noise. */
  aucStandardError: number | null;
  gini: number | null;
  ks: number | null;
  brier: number;
  logLoss: number;
  calibration: CalibrationBin[];
  /** The CBPE estimate on these same rows, to compare with what their labels say. */
  expectedAuc: number | null;
  expectedBadRate: number;
  sampledRows?: number;
  /** The card's test metrics; `aucChange` = now − then. */
  reference: { auc: number; gini: number; ks: number; brier: number; logLoss: number; badRate: number; calibration: CalibrationRef[] } | null;
  aucChange: number | null;
}

export interface Performance {
  estimated: Estimated | null;
  /** A classifier's labelled metrics. */
  labelled: Labelled | null;
  /** A regression's labelled metrics. */
  regression?: RegressionLabelled | null;
  /** Why labelled performance is missing (no --target, no labelled rows). */
  labelledUnavailable?: string;
}

const safe = (f: () => number): number | null => {
  const x = f();
  return Number.isFinite(x) ? x : null;
};

/** Count-weighted mean |meanPredicted − observedRate| over calibration bins (the expected calibration error). */
export function calibrationError(bins: readonly CalibrationRef[]): number | null {
  const n = bins.reduce((s, b) => s + b.count, 0);
  return n ? bins.reduce((s, b) => s + b.count * Math.abs(b.meanPredicted - b.observedRate), 0) / n : null;
}

/** Standard error of an AUC from its value and class sizes (Hanley & McNeil, 1982). */
export function aucStandardError(auc: number, positives: number, negatives: number): number {
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  return Math.sqrt((auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / (positives * negatives));
}

/** CBPE on all scored rows (`scores` may be a sample of them; `meanScore` is over all). */
export function estimate(ref: MonitorReference, scores: Float32Array, meanScore: number, rows: number): Estimated | null {
  if (rows === 0) return null;
  const m = ref.metrics;
  return {
    method: "CBPE",
    expectedAuc: safe(() => expectedAuc(scores)),
    expectedBadRate: meanScore,
    rows,
    ...(scores.length < rows ? { sampledRows: scores.length } : {}),
    reference: {
      expectedAuc: ref.estimate?.expectedAuc ?? null, expectedBadRate: ref.estimate?.expectedBadRate ?? null,
      auc: m?.auc ?? null, badRate: m ? m.positives / m.n : null,
    },
    calibration: m?.calibration ?? [],
    calibrationError: m ? calibrationError(m.calibration) : null,
    caveat: CBPE_CAVEAT,
  };
}

/**
 * Metrics on the labelled rows: `labels` (0/1) beside `scores` are every
 * labelled row, or a uniform sample of them when `all.rows` is larger; the
 * row and bad counts are exact either way. `threshold` (the decline cut-off)
 * sets the confusion matrix inside `evaluate`.
 */
export function labelled(ref: MonitorReference, labels: Float32Array, scores: Float32Array, all: { rows: number; positives: number }, threshold: number): Labelled {
  let positives = 0;
  for (const y of labels) positives += y;
  const both = positives > 0 && positives < labels.length;
  const e = both ? evaluate(labels, scores, threshold) : undefined;
  const m = ref.metrics;
  return {
    rows: all.rows,
    positives: all.positives,
    badRate: all.positives / all.rows,
    auc: e?.auc ?? null,
    aucStandardError: e ? aucStandardError(e.auc, positives, labels.length - positives) : null,
    gini: e?.gini ?? null,
    ks: e?.ks ?? null,
    brier: e?.brier ?? brier(labels, scores),
    logLoss: e?.logLoss ?? logLoss(labels, scores),
    calibration: e?.calibration ?? calibration(labels, scores),
    expectedAuc: safe(() => expectedAuc(scores)),
    expectedBadRate: expectedBadRate(scores),
    ...(labels.length < all.rows ? { sampledRows: labels.length } : {}),
    reference: m ? { auc: m.auc, gini: m.gini, ks: m.ks, brier: m.brier, logLoss: m.logLoss, badRate: m.positives / m.n, calibration: m.calibration } : null,
    aucChange: e && m ? e.auc - m.auc : null,
  };
}

/** A regression's errors on the labelled rows, tallied as they stream past (exact for any number of rows). */
export class RegressionTally {
  rows = 0;
  private sse = 0;
  private sae = 0;
  private se = 0;
  private mean = 0;
  private m2 = 0;
  private covered = 0;

  /** One labelled row: its actual value, the predicted value and the interval. */
  add(actual: number, predicted: number, lo: number, hi: number): void {
    const e = predicted - actual;
    this.rows++;
    this.sse += e * e;
    this.sae += Math.abs(e);
    this.se += e;
    // Welford: the actual values' variance without the cancellation of Σy² − (Σy)²/n.
    const d = actual - this.mean;
    this.mean += d / this.rows;
    this.m2 += d * (actual - this.mean);
    if (actual >= lo && actual <= hi) this.covered++;
  }

  summary(): { rows: number; rmse: number; mae: number; r2: number | null; bias: number; meanActual: number; coverage: number } {
    const n = this.rows;
    return {
      rows: n, rmse: Math.sqrt(this.sse / n), mae: this.sae / n, r2: n > 1 && this.m2 > 0 ? 1 - this.sse / this.m2 : null,
      bias: this.se / n, meanActual: this.mean, coverage: this.covered / n,
    };
  }
}

export interface RegressionLabelled {
  rows: number;
  rmse: number;
  mae: number;
  /** Null for fewer than two rows or a constant actual value. */
  r2: number | null;
  /** From a uniform sample of the absolute errors when there are more rows than it keeps. */
  medianAe: number;
  bias: number;
  meanActual: number;
  /** Share of rows whose actual value fell in the prediction interval, and the interval's nominal level. */
  coverage: number;
  level: number;
  sampledRows?: number;
  /** The card's test metrics and coverage. */
  reference: RegressionReferenceMetrics | null;
  /** RMSE now relative to the card's: now / then − 1 (0.1 = 10 % worse). */
  rmseChange: number | null;
}

/** A regression's labelled performance from the tally and the kept absolute errors, beside the card's. */
export function regressionLabelled(ref: MonitorReference, t: RegressionTally, absErrors: Float32Array, level: number): RegressionLabelled {
  const s = t.summary();
  const r = ref.regression ?? null;
  return {
    ...s, medianAe: median(absErrors), level,
    ...(absErrors.length < s.rows ? { sampledRows: absErrors.length } : {}),
    reference: r,
    rmseChange: r && r.rmse > 0 ? s.rmse / r.rmse - 1 : null,
  };
}
