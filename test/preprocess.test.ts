/**
 * Preprocessing (shared/preprocess-fit.ts fits, shared/preprocess.ts applies):
 * the fitted state the trainer and the edge both apply, hand-computed on tiny
 * frames. Properties on generated data: preprocess-properties.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  OTHER,
  outputColumns,
  transform,
  transformInto,
  type CategoricalStep,
  type PreprocessState,
  type Row,
} from "../shared/preprocess.ts";
import { PreprocessFitter, defaultFitOptions, type FitOptions } from "../shared/preprocess-fit.ts";
import type { Feature } from "../shared/spec.ts";
import { cat, num, numericStep, specOf } from "./helpers/preprocess-frames.ts";

/** Fits on one column's values (nulls = missing) with exact quantiles and no clipping unless asked. */
function fitColumn(values: (number | string | null)[], feature: Feature, options: Partial<FitOptions> = {}): PreprocessState {
  const f = new PreprocessFitter(specOf(feature), { ...defaultFitOptions, clipQuantile: 0, log: "never", ...options });
  for (const v of values) f.add({ [feature.name]: v });
  return f.finish();
}

const categoricalStep = (s: PreprocessState) => s.steps[0] as CategoricalStep;
/** Transform one value of the single column `x`. */
const tx = (s: PreprocessState, x: number | string | null) => [...transform(s, { x })];

// The textbook column: mean 5, population std 2 (sample std would be 2.138).
const TEXTBOOK = [2, 4, 4, 4, 5, 5, 7, 9];

describe("numeric scaling", () => {
  it("standard: centres on the mean and divides by the population standard deviation", () => {
    // Mean 40/8 = 5. Squared deviations 9+1+1+1+0+0+4+16 = 32; 32/8 = 4 → std 2 (population, not /7).
    const s = fitColumn(TEXTBOOK, num("x"), { scaler: "standard" });
    expect(numericStep(s)).toMatchObject({ center: 5, scale: 2 });
    expect(tx(s, 9)).toEqual([2]); // (9 − 5) / 2
    expect(tx(s, 2)).toEqual([-1.5]); // (2 − 5) / 2
    expect(tx(s, 5)).toEqual([0]);
  });

  it("minmax: maps the training minimum to 0 and maximum to 1", () => {
    // min 2, max 9 → (x − 2) / 7.
    const s = fitColumn(TEXTBOOK, num("x"), { scaler: "minmax" });
    expect(numericStep(s)).toMatchObject({ center: 2, scale: 7 });
    expect(tx(s, 2)).toEqual([0]);
    expect(tx(s, 9)).toEqual([1]);
    expect(tx(s, 5)[0]).toBeCloseTo(3 / 7, 6);
  });

  it("robust: centres on the median and divides by the interquartile range (type-7 quantiles)", () => {
    // Sorted 2 4 4 4 5 5 7 9 (n = 8, positions 0..7).
    //   median: h = 3.5  → 4 + 0.5·(5 − 4) = 4.5
    //   Q1:     h = 1.75 → 4 + 0.75·(4 − 4) = 4
    //   Q3:     h = 5.25 → 5 + 0.25·(7 − 5) = 5.5   → IQR 1.5
    const s = fitColumn(TEXTBOOK, num("x"), { scaler: "robust" });
    expect(numericStep(s)).toMatchObject({ center: 4.5, scale: 1.5 });
    expect(tx(s, 9)).toEqual([3]); // (9 − 4.5) / 1.5
    expect(tx(s, 4.5)).toEqual([0]);
  });

  it("a constant column scales by 1 instead of dividing by zero", () => {
    const s = fitColumn([3, 3, 3], num("x"), { scaler: "standard" });
    expect(numericStep(s)).toMatchObject({ center: 3, scale: 1 });
    expect(tx(s, 3)).toEqual([0]);
  });
});

describe("missing numbers", () => {
  it("fills with the training median and adds a 0/1 missing indicator", () => {
    // Present values 1, 3, 10 → median 3; minmax: (x − 1) / 9.
    const s = fitColumn([1, null, 3, 10], num("x"), { scaler: "minmax" });
    expect(numericStep(s)).toMatchObject({ fill: 3, indicator: true, center: 1, scale: 9 });
    expect(s.width).toBe(2);
    const missing = tx(s, null);
    expect(missing[0]).toBeCloseTo(2 / 9, 6); // the median 3 → (3 − 1) / 9
    expect(missing[1]).toBe(1);
    expect(tx(s, 10)).toEqual([1, 0]);
    // Absent and empty cells count as missing too.
    expect([...transform(s, {})]).toEqual(missing);
    expect(tx(s, "")).toEqual(missing);
  });

  it("has no indicator column when training had no missing values, but still imputes the median", () => {
    // 1, 3, 10 → median 3.
    const s = fitColumn([1, 3, 10], num("x"), { scaler: "minmax" });
    expect(numericStep(s).indicator).toBe(false);
    expect(s.width).toBe(1);
    expect(outputColumns(s)).toEqual(["x"]);
    expect(tx(s, null)).toEqual(tx(s, 3));
  });

  it("a column missing in every training row still gives a usable step", () => {
    const s = fitColumn([null, null], num("x"), { scaler: "standard" });
    expect(numericStep(s)).toMatchObject({ indicator: true, scale: 1 });
    expect(tx(s, null)).toEqual([0, 1]);
    expect(tx(s, 1e300)).toEqual([0, 0]); // nothing seen: lo = hi = fill = 0, so any number clips to 0
  });
});

describe("clipping to training quantiles", () => {
  it("with clipQuantile 0 clips to the observed range, so a huge input scores like the training max", () => {
    const s = fitColumn(TEXTBOOK, num("x"), { scaler: "standard" });
    expect(numericStep(s)).toMatchObject({ lo: 2, hi: 9 });
    expect(tx(s, 1e12)).toEqual(tx(s, 9));
    expect(tx(s, -1e12)).toEqual(tx(s, 2));
  });

  it("clips to the [q, 1 − q] quantiles, so even the training max maps to the upper quantile's output", () => {
    // 0..10 (n = 11): q = 0.1 → h = 1 → lo = 1; 1 − q = 0.9 → h = 9 → hi = 9.
    const values = Array.from({ length: 11 }, (_, i) => i);
    const s = fitColumn(values, num("x"), { scaler: "minmax", clipQuantile: 0.1 });
    expect(numericStep(s)).toMatchObject({ lo: 1, hi: 9, center: 1, scale: 8 });
    expect(tx(s, 10)).toEqual([1]); // the training max is clipped to 9
    expect(tx(s, 1e300)).toEqual([1]);
    expect(tx(s, 0)).toEqual([0]);
    expect(tx(s, 5)).toEqual([0.5]); // (5 − 1) / 8, inside the range: untouched
  });
});

describe("log1p for skewed columns", () => {
  // Nine zeros and one 1000: mean 100; m2 = (9·100² + 900²)/10 = 90 000;
  // m3 = (9·(−100)³ + 900³)/10 = 72 000 000; skewness = 7.2e7 / 90 000^1.5 = 7.2e7 / 2.7e7 ≈ 2.67 > 2.
  const SKEWED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1000];

  it('with log "auto", compresses a non-negative column whose skewness exceeds logSkew', () => {
    const s = fitColumn(SKEWED, num("x"), { scaler: "minmax", log: "auto", logSkew: 2 });
    expect(numericStep(s).log).toBe(true);
    // v = log1p(x − 0): min 0, max log1p(1000) → v / log1p(1000).
    expect(numericStep(s).scale).toBeCloseTo(Math.log1p(1000), 12);
    expect(tx(s, 1000)[0]).toBeCloseTo(1, 6);
    expect(tx(s, Math.E - 1)[0]).toBeCloseTo(1 / Math.log1p(1000), 6); // log1p(e − 1) = 1
  });

  it('with log "never", stays linear', () => {
    const s = fitColumn(SKEWED, num("x"), { scaler: "minmax", log: "never" });
    expect(numericStep(s).log).toBe(false);
    expect(tx(s, Math.E - 1)[0]).toBeCloseTo((Math.E - 1) / 1000, 6);
  });

  it("does not log a column below the skew threshold or one with negative values", () => {
    expect(numericStep(fitColumn(SKEWED, num("x"), { log: "auto", logSkew: 3 })).log).toBe(false); // 2.67 < 3
    const shifted = SKEWED.map((v) => v - 1); // same shape, but lo = −1
    expect(numericStep(fitColumn(shifted, num("x"), { log: "auto", logSkew: 2 })).log).toBe(false);
  });
});

describe("categorical one-hot", () => {
  const feature = cat("x", ["a", "b", "c"]);
  // a ×3, b ×2, c ×1; minCategoryCount 2 → slots [a, b], c shares the "other" slot.

  it('gives each frequent category a slot and puts rare, unseen and missing values in "other" when it was common enough', () => {
    // other = c (1) + the null (1) = 2 ≥ 2 → the fallback is the "other" slot (index 2).
    const s = fitColumn(["a", "a", "a", "b", "b", "c", null], feature, { minCategoryCount: 2 });
    expect(categoricalStep(s)).toMatchObject({ categories: ["a", "b"], fallback: 2, mode: "a" });
    expect(s.width).toBe(3);
    expect(tx(s, "a")).toEqual([1, 0, 0]);
    expect(tx(s, "b")).toEqual([0, 1, 0]);
    expect(tx(s, "c")).toEqual([0, 0, 1]); // rare in training
    expect(tx(s, "zzz")).toEqual([0, 0, 1]); // never seen
    expect(tx(s, null)).toEqual([0, 0, 1]);
    expect(tx(s, 7)).toEqual([0, 0, 1]); // not a string
  });

  it('falls back to the mode\'s slot when "other" was too rare in training to learn from', () => {
    // other = c (1) only, 1 < 2 → fallback = slot of the mode "a" (index 0).
    const s = fitColumn(["a", "a", "a", "b", "b", "c"], feature, { minCategoryCount: 2 });
    expect(categoricalStep(s)).toMatchObject({ categories: ["a", "b"], fallback: 0, mode: "a" });
    expect(tx(s, "zzz")).toEqual([1, 0, 0]);
    expect(tx(s, null)).toEqual([1, 0, 0]);
    expect(tx(s, "c")).toEqual([1, 0, 0]);
    expect(tx(s, "b")).toEqual([0, 1, 0]);
  });
});

describe("layout", () => {
  const spec = specOf(num("n"), cat("c", ["a", "b"]), num("m"));
  const rows: Row[] = [
    { n: 1, c: "a", m: 10 },
    { n: null, c: "b", m: 20 },
    { n: 3, c: "a", m: 30 },
  ];
  const fitter = new PreprocessFitter(spec, { ...defaultFitOptions, minCategoryCount: 1 });
  for (const r of rows) fitter.add(r);
  const state = fitter.finish();

  it("names every output column in order, with the indicator and the other slot", () => {
    expect(outputColumns(state)).toEqual(["n", "n__missing", "c=a", "c=b", `c=${OTHER}`, "m"]);
  });

  it("width equals the transform length and the number of output columns", () => {
    expect(state.width).toBe(6);
    expect(transform(state, rows[0]!).length).toBe(state.width);
  });

  it("transformInto writes exactly `width` values at the offset and touches nothing else", () => {
    const out = new Float32Array(state.width + 7).fill(-99);
    transformInto(state, rows[1]!, out, 3);
    expect([...out.subarray(0, 3)]).toEqual([-99, -99, -99]);
    expect([...out.subarray(3, 3 + state.width)]).toEqual([...transform(state, rows[1]!)]);
    expect([...out.subarray(3 + state.width)]).toEqual([-99, -99, -99, -99]);
  });
});

// ---------------------------------------------------------------- properties
