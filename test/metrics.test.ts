/**
 * Probability and classification metrics (train/evaluate/probability.ts,
 * classification.ts) by hand, and `evaluate`'s report consistent with each
 * of them and with a million-row synthetic population. Ranking metrics:
 * metrics-ranking.test.ts; distributions: metrics-distribution.test.ts.
 */
import { describe, it, expect } from "vitest";
import {
  baseRate,
  brier,
  calibration,
  confusion,
  evaluate,
  gini,
  ks,
  logLoss,
} from "../train/evaluate/metrics.ts";
import { seededRandom } from "../shared/random.ts";

describe("brier", () => {
  it("is the mean squared difference between score and label", () => {
    // (1−0.9)² + (0−0.8)² + (1−0.7)² + (0−0.1)² = 0.01 + 0.64 + 0.09 + 0.01 = 0.75; / 4 = 0.1875.
    expect(brier([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])).toBeCloseTo(0.1875, 12);
  });

  it("is 0 for certain and correct predictions, 1 for certain and wrong ones", () => {
    expect(brier([1, 0], [1, 0])).toBe(0);
    expect(brier([1, 0], [0, 1])).toBe(1);
  });
});

describe("logLoss", () => {
  it("is the mean negative log-likelihood, natural log", () => {
    // −[ln 0.9 + ln(1−0.8) + ln 0.7 + ln(1−0.1)] / 4
    //   = −[−0.1053605 − 1.6094379 − 0.3566749 − 0.1053605] / 4 = 2.1768339 / 4 = 0.5442085
    expect(logLoss([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])).toBeCloseTo(0.5442085, 6);
  });

  it("clips scores to [eps, 1 − eps] so a confident mistake is large but finite", () => {
    // eps = 0.01: score 0 for a positive → −ln 0.01 = 4.6051702; score 1 for a negative → −ln(1 − 0.99), the same.
    expect(logLoss([1, 0], [0, 1], 0.01)).toBeCloseTo(4.6051702, 6);
    // Default eps = 1e-15: −ln(1e-15) = 34.5387764.
    expect(logLoss([1], [0])).toBeCloseTo(34.5387764, 6);
  });

  it("does not clip scores that are already inside [eps, 1 − eps]", () => {
    // With eps = 0.2 the score 0.9 would be clipped to 0.8; with the default it is not: −ln 0.9 = 0.1053605.
    expect(logLoss([1], [0.9])).toBeCloseTo(0.1053605, 6);
    expect(logLoss([1], [0.9], 0.2)).toBeCloseTo(-Math.log(0.8), 12);
  });
});

describe("confusion", () => {
  // Scores 0.9 0.8 0.7 0.4 0.3 0.2 with labels 1 0 1 0 1 0.
  const labels = [1, 0, 1, 0, 1, 0];
  const scores = [0.9, 0.8, 0.7, 0.4, 0.3, 0.2];

  it("counts predictions at a threshold", () => {
    // t = 0.75 → predicted positive: 0.9 (label 1, tp), 0.8 (label 0, fp).
    // Predicted negative: 0.7 (1, fn), 0.4 (0, tn), 0.3 (1, fn), 0.2 (0, tn).
    expect(confusion(labels, scores, 0.75)).toEqual({
      threshold: 0.75,
      tp: 1,
      fp: 1,
      tn: 2,
      fn: 2,
      accuracy: 3 / 6,
      precision: 1 / 2,
      recall: 1 / 3,
      specificity: 2 / 3,
    });
  });

  it("predicts positive when the score equals the threshold", () => {
    // t = 0.7 → 0.9 tp, 0.8 fp, 0.7 tp; 0.4 tn, 0.3 fn, 0.2 tn.
    const m = confusion(labels, scores, 0.7);
    expect([m.tp, m.fp, m.tn, m.fn]).toEqual([2, 1, 2, 1]);
  });

  it("reports 0, not NaN, for ratios with a zero denominator", () => {
    // t = 1: nothing predicted positive → precision = 0/0 → 0.
    const none = confusion(labels, scores, 1);
    expect([none.tp, none.fp, none.tn, none.fn]).toEqual([0, 0, 3, 3]);
    expect(none.precision).toBe(0);
    expect(none.accuracy).toBe(0.5);
    expect(none.specificity).toBe(1);
    // No positives at all → recall = 0/0 → 0; no negatives → specificity = 0/0 → 0.
    expect(confusion([0, 0], [0.9, 0.1], 0.5).recall).toBe(0);
    expect(confusion([1, 1], [0.9, 0.1], 0.5).specificity).toBe(0);
  });
});

describe("calibration", () => {
  it("puts equal counts of rows, sorted by score, into each bin", () => {
    // Sorted:  0.05(0) 0.15(0) | 0.25(1) 0.35(0) | 0.45(0) 0.55(1) | 0.65(1) 0.75(0) | 0.85(1) 0.95(1)
    const scores = [0.05, 0.95, 0.15, 0.85, 0.25, 0.75, 0.35, 0.65, 0.45, 0.55];
    const labels = [0, 1, 0, 1, 1, 0, 0, 1, 0, 1];
    const table = calibration(labels, scores, 5);
    expect(table.map((b) => b.bin)).toEqual([0, 1, 2, 3, 4]);
    expect(table.map((b) => b.count)).toEqual([2, 2, 2, 2, 2]);
    expect(table.map((b) => b.observedRate)).toEqual([0, 0.5, 0.5, 0.5, 1]);
    expect(table.map((b) => b.minScore)).toEqual([0.05, 0.25, 0.45, 0.65, 0.85]);
    expect(table.map((b) => b.maxScore)).toEqual([0.15, 0.35, 0.55, 0.75, 0.95]);
    const expectedMeans = [0.1, 0.3, 0.5, 0.7, 0.9];
    table.forEach((b, i) => expect(b.meanPredicted).toBeCloseTo(expectedMeans[i]!, 12));
  });

  it("gives bin b the sorted positions floor(b·n/bins) .. floor((b+1)·n/bins) − 1", () => {
    // n = 25, 10 bins: edges 0 2 5 7 10 12 15 17 20 22 25 → counts 2 3 2 3 2 3 2 3 2 3.
    const scores = Array.from({ length: 25 }, (_, i) => i / 25);
    const labels = scores.map((_, i) => i % 2);
    expect(calibration(labels, scores).map((b) => b.count)).toEqual([2, 3, 2, 3, 2, 3, 2, 3, 2, 3]);
    // n = 7, 3 bins: edges 0 2 4 7 → 2 2 3.
    expect(calibration([0, 1, 0, 1, 0, 1, 0], [1, 2, 3, 4, 5, 6, 7], 3).map((b) => b.count)).toEqual([2, 2, 3]);
  });

  it("skips empty bins when there are fewer rows than bins", () => {
    // n = 3, 10 bins: edges floor(0.3·b) = 0 0 0 0 1 1 1 2 2 2 3 → only bins 3, 6 and 9 get a row.
    const table = calibration([0, 1, 1], [0.7, 0.2, 0.5], 10);
    expect(table.map((b) => [b.bin, b.count, b.minScore])).toEqual([
      [3, 1, 0.2],
      [6, 1, 0.5],
      [9, 1, 0.7],
    ]);
  });

  it("splits tied scores at a bin edge by row order, so the table is deterministic", () => {
    const table = calibration([1, 1, 0, 0], [0.5, 0.5, 0.5, 0.5], 2);
    expect(table.map((b) => b.observedRate)).toEqual([1, 0]);
  });
});

describe("baseRate", () => {
  it("is the share of positive labels", () => {
    expect(baseRate([1, 0, 0, 0])).toBe(0.25);
    expect(() => baseRate([])).toThrow(/no rows/);
  });
});

describe("evaluate", () => {
  it("reports every metric at full precision, consistent with the individual functions", () => {
    // One positive at 0.5, negatives 0.9 0.1 0.2 → AUC = 2/3 exactly (not 0.667).
    const labels = [1, 0, 0, 0];
    const scores = [0.5, 0.9, 0.1, 0.2];
    const e = evaluate(labels, scores, 0.5);
    expect(e.n).toBe(4);
    expect(e.positives).toBe(1);
    expect(e.auc).toBe(2 / 3);
    expect(e.gini).toBe(gini(2 / 3));
    expect(e.ks).toBe(ks(labels, scores).statistic);
    expect(e.ksThreshold).toBe(ks(labels, scores).threshold);
    expect(e.brier).toBe(brier(labels, scores));
    expect(e.logLoss).toBe(logLoss(labels, scores));
    expect(e.confusion).toEqual(confusion(labels, scores, 0.5));
    expect(e.accuracy).toBe(e.confusion.accuracy);
    expect(e.calibration).toEqual(calibration(labels, scores, 10));
  });

  it("throws when a class is absent", () => {
    expect(() => evaluate([1, 1], [0.2, 0.9], 0.5)).toThrow(/both classes/);
  });

  it(
    "handles 1,000,000 rows and recovers the known values of a synthetic population",
    () => {
      // Score s ~ Uniform(0, 1), label ~ Bernoulli(s), scores rounded to 3 decimals (many ties).
      // Then positives have density 2s and negatives 2(1 − s):
      //   AUC   = ∫∫_{a>b} 2a · 2(1 − b) = 4 ∫ a(a − a²/2) da = 4(1/3 − 1/8) = 5/6
      //   KS    = max_t |F_neg(t) − F_pos(t)| = max_t (2t − t²) − t² = 0.5 at t = 0.5
      //   Brier = E[s(1 − s)] = 1/2 − 1/3 = 1/6
      // and the model is calibrated, so each decile's observed rate ≈ its mean score.
      const n = 1_000_000;
      const random = seededRandom(9);
      const scores = new Float64Array(n);
      const labels = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        scores[i] = Math.round(random() * 1000) / 1000;
        labels[i] = random() < scores[i]! ? 1 : 0;
      }
      const e = evaluate(labels, scores, 0.5);
      expect(e.n).toBe(n);
      expect(e.auc).toBeCloseTo(5 / 6, 2);
      expect(e.ks).toBeCloseTo(0.5, 2);
      expect(e.ksThreshold).toBeCloseTo(0.5, 1);
      expect(e.brier).toBeCloseTo(1 / 6, 2);
      expect(e.calibration).toHaveLength(10);
      for (const bin of e.calibration) {
        expect(bin.count).toBe(100_000);
        expect(Math.abs(bin.observedRate - bin.meanPredicted)).toBeLessThan(0.01);
      }
    },
    20_000,
  );
});
