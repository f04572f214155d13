/**
 * Ranking metrics (train/evaluate/ranking.ts): AUC, Gini and KS against their
 * definitions, by hand and against slow brute-force references on random data
 * full of ties.
 */
import { describe, it, expect } from "vitest";
import {
  confusion,
  gini,
  ks,
  rocAuc,
} from "../train/evaluate/metrics.ts";
import { randomRows } from "./helpers/random-rows.ts";

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
