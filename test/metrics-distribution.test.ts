/**
 * Distribution metrics (train/evaluate/distribution.ts): quantiles as numpy's
 * default, the score deciles, bin shares at the cuts and PSI with floored
 * empty bins.
 */
import { describe, it, expect } from "vitest";
import {
  binShares,
  psi,
  quantiles,
  scoreDeciles,
} from "../train/evaluate/metrics.ts";
import { seededRandom } from "../shared/random.ts";
import { randomRows } from "./helpers/random-rows.ts";

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
