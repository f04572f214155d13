import { describe, it, expect } from "vitest";
import {
  baseRate,
  binShares,
  brier,
  calibration,
  confusion,
  evaluate,
  gini,
  ks,
  logLoss,
  psi,
  quantiles,
  rocAuc,
  scoreDeciles,
} from "../train/evaluate/metrics.ts";
import { seededRandom } from "../shared/random.ts";

// ---------------------------------------------------------------------------
// Slow but obviously-correct references, used to cross-check on random data.

/** AUC straight from its definition: over all (positive, negative) pairs, win = 1, tie = 1/2. */
function pairwiseAuc(labels: number[], scores: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      if (scores[i]! > scores[j]!) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

/** KS from its definition: try every observed score as a ">= threshold" cut. */
function bruteKs(labels: number[], scores: number[]): number {
  const P = labels.filter((y) => y === 1).length;
  const N = labels.length - P;
  let best = 0;
  for (const t of scores) {
    let tp = 0;
    let fp = 0;
    labels.forEach((y, i) => {
      if (scores[i]! >= t) {
        if (y === 1) tp++;
        else fp++;
      }
    });
    best = Math.max(best, Math.abs(tp / P - fp / N));
  }
  return best;
}

/** The WRONG way: sort rows by score, then update the CDFs after every single row. */
function naivePerRowKs(labels: number[], scores: number[]): number {
  const P = labels.filter((y) => y === 1).length;
  const N = labels.length - P;
  const order = labels.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let cumPos = 0;
  let cumNeg = 0;
  let best = 0;
  for (const i of order) {
    if (labels[i] === 1) cumPos++;
    else cumNeg++;
    best = Math.max(best, Math.abs(cumNeg / N - cumPos / P));
  }
  return best;
}

/** Random labelled rows; scores rounded to `decimals` so that ties (within and across classes) are common. */
function randomRows(seed: number, n: number, decimals: number): { labels: number[]; scores: number[] } {
  const random = seededRandom(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  const scale = 10 ** decimals;
  for (let i = 0; i < n; i++) {
    const s = Math.round(random() * scale) / scale;
    scores.push(s);
    labels.push(random() < s ? 1 : 0);
  }
  return { labels, scores };
}

// ---------------------------------------------------------------------------

describe("rocAuc", () => {
  it("counts the share of correctly ordered (positive, negative) pairs", () => {
    // Positives score 0.9 and 0.7, negatives 0.8 and 0.1. Pairs:
    //   0.9 > 0.8 ✓   0.9 > 0.1 ✓   0.7 < 0.8 ✗   0.7 > 0.1 ✓   → 3 of 4 = 0.75.
    // As ranks: ascending 0.1(1) 0.7(2) 0.8(3) 0.9(4); positive rank sum 6, U = 6 − 2·3/2 = 3, 3/(2·2).
    expect(rocAuc([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])).toBe(0.75);
  });

  it("is 1 for perfect separation and 0 for perfectly inverted scores", () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])).toBe(0);
  });

  it("is 0.5 when every score is tied (no ranking information)", () => {
    // All 4 pairs are ties, each worth 1/2 → 2/4.
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
  });

  it("counts a tie between a positive and a negative as 1/2, not 0 and not 1", () => {
    // Positive 0.6; negatives 0.6 (tie → 1/2) and 0.2 (win → 1) → 1.5 / 2 = 0.75.
    // Counting ties as losses would give 0.5, as wins 1.0.
    expect(rocAuc([1, 0, 0], [0.6, 0.6, 0.2])).toBe(0.75);
  });

  it("averages ranks over a tied group that mixes both classes", () => {
    // Scores 0.1(neg) | 0.5(pos) 0.5(pos) 0.5(neg) | 0.9(pos). The three 0.5s share ranks 2,3,4 → 3 each.
    // Positive rank sum = 3 + 3 + 5 = 11; U = 11 − 3·4/2 = 5; AUC = 5 / (3·2) = 5/6.
    // Pairwise: 0.9 beats both (2); each 0.5 beats 0.1 (1) and ties 0.5 (1/2) → 2 + 2·1.5 = 5 of 6.
    expect(rocAuc([0, 1, 1, 0, 1], [0.1, 0.5, 0.5, 0.5, 0.9])).toBe(5 / 6);
  });

  it("does not depend on row order", () => {
    expect(rocAuc([0, 1, 0, 1], [0.1, 0.7, 0.8, 0.9])).toBe(0.75);
  });

  it("matches the pairwise definition on random data full of ties", () => {
    for (const seed of [1, 2, 3]) {
      const { labels, scores } = randomRows(seed, 400, 1); // only 11 distinct scores
      expect(rocAuc(labels, scores)).toBeCloseTo(pairwiseAuc(labels, scores), 12);
    }
  });

  it("throws when a class is absent, since AUC is undefined", () => {
    expect(() => rocAuc([1, 1, 1], [0.2, 0.5, 0.9])).toThrow(/both classes/);
    expect(() => rocAuc([0, 0], [0.2, 0.5])).toThrow(/both classes/);
  });

  it("rejects malformed input instead of returning a plausible number", () => {
    expect(() => rocAuc([1, 0], [0.5])).toThrow(/rows/);
    expect(() => rocAuc([1, 2], [0.5, 0.4])).toThrow(/0 or 1/);
    expect(() => rocAuc([1, 0], [0.5, Number.NaN])).toThrow(/finite/);
    expect(() => rocAuc([], [])).toThrow(/no rows/);
  });
});

describe("gini", () => {
  it("is 2·AUC − 1", () => {
    expect(gini(0.75)).toBe(0.5);
    expect(gini(0.5)).toBe(0);
    expect(gini(1)).toBe(1);
    expect(gini(0)).toBe(-1);
  });
});

describe("ks", () => {
  it("finds the widest gap between TPR and FPR, reporting the lowest threshold on equal gaps", () => {
    // Positives 0.9, 0.7; negatives 0.8, 0.1. With "predict positive when score >= t":
    //   t=0.1: TPR 1,   FPR 1   → 0
    //   t=0.7: TPR 1,   FPR 1/2 → 0.5   ← first maximum
    //   t=0.8: TPR 1/2, FPR 1/2 → 0
    //   t=0.9: TPR 1/2, FPR 0   → 0.5
    expect(ks([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])).toEqual({ statistic: 0.5, threshold: 0.7 });
  });

  it("moves tied rows together, where a per-row scan over-states the statistic", () => {
    // Negatives 0.2, 0.5; positives 0.5, 0.8 (the 0.5 tie spans both classes).
    // Only thresholds between distinct scores are real:
    //   t=0.2: TPR 1,   FPR 1   → 0
    //   t=0.5: TPR 1,   FPR 1/2 → 0.5
    //   t=0.8: TPR 1/2, FPR 0   → 0.5
    // A per-row scan that happens to see the negative 0.5 first stops "between" the two 0.5 rows,
    // where F_neg = 2/2 and F_pos = 0/2, and reports 1.0 — a cut no threshold can make.
    const labels = [0, 0, 1, 1];
    const scores = [0.2, 0.5, 0.5, 0.8];
    expect(naivePerRowKs(labels, scores)).toBe(1); // the trap is real for this input
    expect(ks(labels, scores)).toEqual({ statistic: 0.5, threshold: 0.5 });
    // Same rows in another order: the answer must not change.
    expect(ks([1, 0, 1, 0], [0.8, 0.5, 0.5, 0.2])).toEqual({ statistic: 0.5, threshold: 0.5 });
  });

  it("is the absolute gap, so inverted scores give 1", () => {
    // Positives 0.1, 0.2; negatives 0.8, 0.9. t=0.8: TPR 0, FPR 1 → |0 − 1| = 1.
    expect(ks([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])).toEqual({ statistic: 1, threshold: 0.8 });
  });

  it("is 0 when all scores are tied", () => {
    expect(ks([1, 0, 1], [0.3, 0.3, 0.3]).statistic).toBe(0);
  });

  it("matches brute force on random tied data, and its threshold reproduces it in confusion()", () => {
    for (const seed of [4, 5, 6]) {
      const { labels, scores } = randomRows(seed, 300, 1);
      const result = ks(labels, scores);
      expect(result.statistic).toBeCloseTo(bruteKs(labels, scores), 12);
      const m = confusion(labels, scores, result.threshold);
      expect(Math.abs(m.recall - (1 - m.specificity))).toBeCloseTo(result.statistic, 12);
    }
  });

  it("throws when a class is absent", () => {
    expect(() => ks([0, 0, 0], [0.1, 0.2, 0.3])).toThrow(/both classes/);
  });
});

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

describe("quantiles", () => {
  it("interpolates linearly between order statistics like numpy's default (type 7)", () => {
    // Sorted x = [1, 2, 3, 4, 10], n − 1 = 4; position h = 4p, value x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]):
    //   p=0    → 1
    //   p=0.1  → h=0.4 → 1 + 0.4·(2 − 1)  = 1.4
    //   p=0.25 → h=1   → 2
    //   p=0.3  → h=1.2 → 2 + 0.2·(3 − 2)  = 2.2
    //   p=0.5  → h=2   → 3
    //   p=0.9  → h=3.6 → 4 + 0.6·(10 − 4) = 7.6
    //   p=1    → 10
    const values = [10, 1, 4, 2, 3];
    const q = quantiles(values, [0, 0.1, 0.25, 0.3, 0.5, 0.9, 1]);
    const expected = [1, 1.4, 2, 2.2, 3, 7.6, 10];
    q.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));
    expect(values).toEqual([10, 1, 4, 2, 3]); // input left untouched
  });

  it("returns the only value for a single observation", () => {
    expect(quantiles([42], [0, 0.5, 1])).toEqual([42, 42, 42]);
  });

  it("rejects probabilities outside [0, 1] and empty input", () => {
    expect(() => quantiles([1, 2], [1.5])).toThrow(/\[0, 1\]/);
    expect(() => quantiles([], [0.5])).toThrow(/no rows/);
  });
});

describe("scoreDeciles", () => {
  it("returns the 9 inner decile cut points", () => {
    // Values 1..100: h = 99p, so the p = k/10 cut is 1 + 9.9k → 10.9, 20.8, …, 90.1
    // (np.quantile(range(1, 101), 0.1) == 10.9).
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    const cuts = scoreDeciles(values);
    const expected = [10.9, 20.8, 30.7, 40.6, 50.5, 60.4, 70.3, 80.2, 90.1];
    expect(cuts).toHaveLength(9);
    cuts.forEach((c, i) => expect(c).toBeCloseTo(expected[i]!, 10));
  });
});

describe("binShares", () => {
  it("puts a value equal to a cut into the bin below it", () => {
    // Bins (−∞, 0.5] and (0.5, ∞): 0.5 goes low, 0.6 goes high.
    expect(binShares([0.5], [0.5, 0.6])).toEqual([0.5, 0.5]);
    expect(binShares([0.2, 0.4], [0.1, 0.3, 0.3, 0.9])).toEqual([0.25, 0.5, 0.25]);
  });
});

describe("psi", () => {
  it("sums (a − e)·ln(a / e) over bins", () => {
    // One cut at 0.5, equal expected shares 0.5 / 0.5. Actual [0.1, 0.2, 0.3, 0.9] → 0.75 / 0.25.
    // PSI = (0.75 − 0.5)·ln(1.5) + (0.25 − 0.5)·ln(0.5) = 0.25·0.4054651 + 0.25·0.6931472 = 0.2746531.
    expect(psi([0.5], undefined, [0.1, 0.2, 0.3, 0.9])).toBeCloseTo(0.2746531, 6);
  });

  it("floors empty bins at 1e-4 instead of returning Infinity", () => {
    // Actual all above 0.5 → shares 0 and 1; 0 is floored to 1e-4:
    // (1e-4 − 0.5)·ln(1e-4 / 0.5) + (1 − 0.5)·ln(1 / 0.5) = 0.4999·8.5171932 + 0.5·0.6931472 = 4.6043185.
    expect(psi([0.5], undefined, [0.9, 0.8])).toBeCloseTo(4.6043185, 6);
  });

  it("is 0 when the actual distribution is the reference distribution", () => {
    // Distinct values 0..99 → decile cuts 9.9, 19.8, … leave exactly 10 values per bin, matching equal shares.
    const values = Array.from({ length: 100 }, (_, i) => i);
    expect(psi(scoreDeciles(values), undefined, values)).toBeCloseTo(0, 12);
    // Heavily tied scores: decile bins are not 10% each, so pass the reference's own shares.
    const { scores } = randomRows(7, 1000, 1);
    const cuts = scoreDeciles(scores);
    expect(psi(cuts, binShares(cuts, scores), scores)).toBe(0);
  });

  it("exceeds 0.1 (the usual drift alarm) when scores shift", () => {
    const random = seededRandom(8);
    const reference = Array.from({ length: 10_000 }, () => random());
    const shifted = reference.map((s) => Math.min(1, s + 0.2));
    const cuts = scoreDeciles(reference);
    expect(psi(cuts, undefined, reference)).toBeLessThan(0.01);
    expect(psi(cuts, undefined, shifted)).toBeGreaterThan(0.1);
  });

  it("rejects expected shares that do not fit the cuts", () => {
    expect(() => psi([0.5], [0.2, 0.3, 0.5], [0.1])).toThrow(/2 bins/);
    expect(() => psi([0.5], [0.5, 0.6], [0.1])).toThrow(/sum to 1/);
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
