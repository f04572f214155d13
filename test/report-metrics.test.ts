/**
 * The numbers behind the model report's charts, against hand-computed values
 * and definitions: ROC and KS curves, histograms, decision bands, Wilson
 * intervals, weight of evidence and Information Value, feature binning.
 */
import { describe, expect, it } from "vitest";
import { seededRandom } from "../shared/random.ts";
import { bandRates, ksCurve, rocCurve, scoreHistogram, thin, wilsonInterval } from "../train/evaluate/curves.ts";
import { BinningSketch, binOf, FeatureTally, quantileEdges, Reservoir, type FeatureBinning } from "../train/evaluate/feature-stats.ts";
import { ks, psiFromCounts, rocAuc } from "../train/evaluate/metrics.ts";
import { ivStrength, woeTable } from "../train/evaluate/woe.ts";
import type { FeatureSpec } from "../shared/spec.ts";
import type { PreprocessState } from "../shared/preprocess.ts";

/** Area under a polyline by the trapezoid rule. */
function area(points: { fpr: number; tpr: number }[]): number {
  let a = 0;
  for (let i = 1; i < points.length; i++) a += ((points[i]!.fpr - points[i - 1]!.fpr) * (points[i]!.tpr + points[i - 1]!.tpr)) / 2;
  return a;
}

describe("rocCurve", () => {
  it("has one point per distinct score plus the origin, and ties move together", () => {
    const labels = [1, 0, 1, 0, 0];
    const scores = [0.9, 0.9, 0.6, 0.3, 0.1];
    expect(rocCurve(labels, scores)).toEqual([
      { threshold: Infinity, fpr: 0, tpr: 0 },
      { threshold: 0.9, fpr: 1 / 3, tpr: 0.5 },
      { threshold: 0.6, fpr: 1 / 3, tpr: 1 },
      { threshold: 0.3, fpr: 2 / 3, tpr: 1 },
      { threshold: 0.1, fpr: 1, tpr: 1 },
    ]);
  });

  it("encloses exactly the AUC (trapezoids over tied groups) on random data", () => {
    const r = seededRandom(3);
    const labels = Array.from({ length: 500 }, () => (r() < 0.3 ? 1 : 0));
    const scores = labels.map((y) => Math.round((r() + y * 0.4) * 50) / 50); // many ties
    const curve = rocCurve(labels, scores);
    expect(curve.length).toBe(new Set(scores).size + 1);
    expect(area(curve)).toBeCloseTo(rocAuc(labels, scores), 12);
  });

  it("thins a long curve to at most maxPoints, keeping both ends", () => {
    const r = seededRandom(5);
    const labels = Array.from({ length: 5000 }, () => (r() < 0.5 ? 1 : 0));
    const scores = labels.map(() => r());
    const curve = rocCurve(labels, scores, 200);
    expect(curve).toHaveLength(200);
    expect(curve[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(curve[199]).toMatchObject({ fpr: 1, tpr: 1 });
    // Thinned while walking (a million distinct scores never become a million points), yet exactly `thin` of the whole curve.
    expect(curve).toEqual(thin(rocCurve(labels, scores, 1e9), 200));
    expect(thin([1, 2, 3], 5)).toEqual([1, 2, 3]);
    expect(() => thin([1, 2, 3], 1)).toThrow(/max must be/);
  });

  it("refuses a single class", () => {
    expect(() => rocCurve([1, 1], [0.2, 0.3])).toThrow(/both classes/);
  });
});

describe("ksCurve", () => {
  it("is the two classes' score CDFs, whose largest gap is the KS statistic", () => {
    const r = seededRandom(9);
    const labels = Array.from({ length: 400 }, () => (r() < 0.4 ? 1 : 0));
    const scores = labels.map((y) => Math.round((r() * 0.7 + y * 0.3) * 30) / 30);
    const curve = ksCurve(rocCurve(labels, scores));
    const gap = Math.max(...curve.map((p) => Math.abs(p.good - p.bad)));
    expect(gap).toBeCloseTo(ks(labels, scores).statistic, 12);
    // Ascending scores, CDFs rising from 0 (nothing below the lowest score).
    expect(curve[0]).toMatchObject({ bad: 0, good: 0 });
    for (let i = 1; i < curve.length; i++) expect(curve[i]!.score).toBeGreaterThan(curve[i - 1]!.score);
  });
});

describe("scoreHistogram and bandRates", () => {
  const labels = [0, 0, 1, 0, 1, 1];
  const scores = [0.05, 0.3, 0.3, 0.6, 0.9, 1];
  it("counts each class per equal-width bin, 1.0 in the last bin", () => {
    const h = scoreHistogram(labels, scores, 4);
    expect(h.map((b) => [b.good, b.bad])).toEqual([[1, 0], [1, 1], [1, 0], [0, 2]]);
    expect(h[3]).toMatchObject({ x0: 0.75, x1: 1 });
  });
  it("gives approval/referral/decline rates and bad rates under the edge's rule (>= threshold)", () => {
    const b = bandRates(labels, scores, { refer: 0.3, decline: 0.6 });
    expect(b.map((x) => [x.band, x.count, x.bads])).toEqual([["approve", 1, 0], ["refer", 2, 1], ["decline", 3, 2]]);
    expect(b[1]).toMatchObject({ share: 2 / 6, badRate: 0.5, badsCaptured: 1 / 3, from: 0.3, to: 0.6 });
    expect(b.reduce((s, x) => s + x.share, 0)).toBeCloseTo(1, 12);
  });
});

describe("wilsonInterval", () => {
  it("matches published values and stays inside [0, 1]", () => {
    // 8 of 10: Wilson 95 % interval 0.490–0.943 (Newcombe 1998, table I style check).
    const w = wilsonInterval(8, 10);
    expect(w.lo).toBeCloseTo(0.4902, 3);
    expect(w.hi).toBeCloseTo(0.9433, 3);
    expect(wilsonInterval(0, 20).lo).toBe(0);
    expect(wilsonInterval(20, 20).hi).toBe(1);
    expect(() => wilsonInterval(3, 0)).toThrow(/n > 0/);
  });
});

describe("weight of evidence and Information Value", () => {
  it("matches a hand-computed table", () => {
    // goods 60/40 of 100, bads 10/30 of 40.
    const t = woeTable([{ label: "low", good: 60, bad: 10 }, { label: "high", good: 40, bad: 30 }]);
    const w0 = Math.log(0.6 / 0.25);
    const w1 = Math.log(0.4 / 0.75);
    expect(t.bins[0]!.woe).toBeCloseTo(w0, 12);
    expect(t.bins[1]!.woe).toBeCloseTo(w1, 12);
    expect(t.iv).toBeCloseTo((0.6 - 0.25) * w0 + (0.4 - 0.75) * w1, 12);
    expect(t.bins[1]).toMatchObject({ badRate: 30 / 70, share: 70 / 140 });
    expect(t.smoothed).toBe(false);
  });
  it("smooths a bin without bads instead of returning infinity, and skips empty bins", () => {
    const t = woeTable([{ label: "a", good: 10, bad: 0 }, { label: "b", good: 10, bad: 10 }, { label: "none", good: 0, bad: 0 }]);
    expect(t.smoothed).toBe(true);
    expect(Number.isFinite(t.iv)).toBe(true);
    expect(t.bins[0]!.woe).toBeCloseTo(Math.log((10.5 / 21) / (0.5 / 11)), 12);
    expect(t.bins[2]).toMatchObject({ woe: null, iv: 0, badRate: null, share: 0 });
  });
  it("is zero for a feature unrelated to the outcome, and refuses a missing class", () => {
    expect(woeTable([{ label: "a", good: 30, bad: 10 }, { label: "b", good: 60, bad: 20 }]).iv).toBeCloseTo(0, 12);
    expect(() => woeTable([{ label: "a", good: 3, bad: 0 }])).toThrow(/both classes/);
    expect(() => woeTable([{ label: "a", good: -1, bad: 2 }])).toThrow(/counts must be/);
  });
  it("reads IV by the customary cut-offs", () => {
    expect([0.01, 0.05, 0.2, 0.4, 0.8].map(ivStrength)).toEqual(["not predictive", "weak", "medium", "strong", "suspicious"]);
  });
});

describe("psiFromCounts", () => {
  it("is Σ (a − e) ln(a / e) over shares, zero for equal distributions", () => {
    expect(psiFromCounts([10, 20, 70], [20, 40, 140])).toBeCloseTo(0, 12);
    const expected = (0.5 - 0.2) * Math.log(0.5 / 0.2) + (0.5 - 0.8) * Math.log(0.5 / 0.8);
    expect(psiFromCounts([2, 8], [5, 5])).toBeCloseTo(expected, 12);
    expect(() => psiFromCounts([1], [1, 2])).toThrow(/bins/);
  });
});

describe("feature binning from a stream", () => {
  it("places edges at observed quantiles and collapses ties (a mostly-zero column gets few bins)", () => {
    expect(quantileEdges(Float64Array.from({ length: 100 }, (_, i) => i + 1), 4)).toEqual([25, 50, 75]);
    const zeros = Float64Array.from({ length: 100 }, (_, i) => (i < 80 ? 0 : i));
    expect(quantileEdges(zeros, 10)).toEqual([0, 89]);
    const b: FeatureBinning = { feature: "x", kind: "numeric", edges: [25, 50, 75], categories: [], integer: true };
    expect([1, 25, 26, 75, 76, 1e9].map((v) => binOf(b, v))).toEqual([0, 0, 1, 2, 3, 3]);
    const c: FeatureBinning = { feature: "h", kind: "categorical", edges: [], categories: ["own", "rent"], integer: false };
    expect(["rent", "own", "castle"].map((v) => binOf(c, v))).toEqual([1, 0, 2]);
  });

  it("counts bins, missing values and clipped values per split and class", () => {
    const spec: FeatureSpec = { target: "y", positive: "bad", negative: "good", features: [
      { name: "x", type: "numeric", nullable: true }, { name: "h", type: "categorical", values: ["own", "rent"], nullable: false },
    ] };
    const sketch = new BinningSketch(spec, 1000, 1);
    for (let i = 1; i <= 100; i++) sketch.add({ x: i, h: "own" });
    const binnings = sketch.binnings(4);
    expect(binnings[0]!.edges).toEqual([25, 50, 75]);
    const state: PreprocessState = { scaler: "standard", width: 4, steps: [
      { kind: "numeric", name: "x", fill: 50, lo: 2, hi: 99, log: false, center: 50, scale: 30, indicator: true },
      { kind: "categorical", name: "h", categories: ["own", "rent"], fallback: 2, mode: "own" },
    ] };
    const tally = new FeatureTally(binnings, state);
    tally.add({ x: 1, h: "own" }, 0, "train");
    tally.add({ x: 60, h: "rent" }, 1, "train");
    tally.add({ x: null, h: "castle" }, 1, "test");
    tally.add({ x: 500, h: "own" }, 0, "test");
    const [x, h] = tally.counts();
    expect(x!.splits.train).toMatchObject({ good: [1, 0, 0, 0, 0], bad: [0, 0, 1, 0, 0], clippedLow: 1, clippedHigh: 0 });
    expect(x!.splits.test).toMatchObject({ good: [0, 0, 0, 1, 0], bad: [0, 0, 0, 0, 1], clippedHigh: 1 });
    expect(h!.splits.test).toMatchObject({ good: [1, 0, 0, 0], bad: [0, 0, 1, 0] });
  });

  it("keeps a fixed-size, seeded sample of a stream", () => {
    const a = new Reservoir<number>(10, 4);
    const b = new Reservoir<number>(10, 4);
    for (let i = 0; i < 1000; i++) { a.add(i); b.add(i); }
    expect(a.items).toHaveLength(10);
    expect(a.items).toEqual(b.items);
    expect(a.seen).toBe(1000);
    expect(Math.max(...a.items)).toBeGreaterThan(100);
  });
});
