/**
 * A regression's numbers by hand: metrics on the target's scale beside the
 * training mean, the split-conformal quantile and coverage, the target
 * transform and smearing, the value and interval the edge derives from the
 * network's output, the manifest rules of format v2, dates of an
 * out-of-time split and the split itself on hand-made times.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ARTIFACT_FORMAT, ARTIFACT_FORMAT_V2, parseManifest } from "../shared/artifact.ts";
import { regressionInterval, regressionValue, type RegressionTask } from "../shared/task.ts";
import { EXCLUDED, periodsOf, TEST, timeSplit, TRAIN, VALIDATION } from "../train/data/split.ts";
import { parseDate, TimeReader } from "../train/data/time.ts";
import { conformalQuantile, coverage, coverageByDecile } from "../train/evaluate/conformal.ts";
import { evaluateRegression, meanBaseline } from "../train/evaluate/regression.ts";
import { fitTarget, smearingFactor } from "../train/fit/target.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";

describe("regression metrics", () => {
  it("computes RMSE, MAE, R², median absolute error and bias by hand", () => {
    // errors 0, 0, 0, 4: SSE 16; mean 2.5, SST 1.5² + 0.5² + 0.5² + 1.5² = 5
    const e = evaluateRegression([1, 2, 3, 4], [1, 2, 3, 8]);
    expect(e).toEqual({ n: 4, rmse: 2, mae: 1, r2: 1 - 16 / 5, medianAe: 0, bias: 1, meanActual: 2.5 });
    expect(evaluateRegression([1, 2, 3], [2, 2, 2]).medianAe).toBe(1);
  });

  it("scores the actual mean at R² 0 and the training mean below it when the means differ", () => {
    expect(meanBaseline(2.5, [1, 2, 3, 4]).r2).toBe(0);
    const b = meanBaseline(3.5, [1, 2, 3, 4]);
    expect(b.r2).toBeCloseTo(1 - 9 / 5, 12);
    expect(b.rmse).toBeCloseTo(Math.sqrt(9 / 4), 12);
  });

  it("refuses mismatched or non-finite input instead of returning NaN", () => {
    expect(() => evaluateRegression([1, 2], [1])).toThrow(/actual has 2 rows but predicted has 1/);
    expect(() => evaluateRegression([1, NaN], [1, 2])).toThrow(/actual\[1\] is NaN/);
  });
});

describe("split-conformal intervals", () => {
  it("takes the ⌈(n + 1) · level⌉-th smallest score", () => {
    const scores = Array.from({ length: 19 }, (_, i) => 19 - i); // 19 … 1, unsorted on purpose
    expect(conformalQuantile(scores, 0.9)).toBe(18);
    expect(conformalQuantile(scores, 0.5)).toBe(10);
  });

  it("says how many calibration rows a level needs rather than returning an infinite width", () => {
    expect(() => conformalQuantile([1, 2, 3, 4, 5, 6, 7, 8], 0.9)).toThrow(/a 90 % prediction interval needs at least 9 calibration rows; the validation split has 8/);
    expect(conformalQuantile([1, 2, 3, 4, 5, 6, 7, 8, 9], 0.9)).toBe(9);
  });

  it("covers at least the nominal share of its own calibration scores, for any scores", () => {
    fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 20, maxLength: 300 }), fc.double({ min: 0.5, max: 0.95, noNaN: true }), (scores, level) => {
      const q = conformalQuantile(scores, level);
      return scores.filter((s) => s <= q).length >= Math.ceil((scores.length + 1) * level - 1e-9);
    }));
  });

  it("measures coverage overall and by decile of the predicted value", () => {
    const actual = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const predicted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((x) => x + 0.5);
    const lo = predicted.map((p, i) => (i < 5 ? p - 1 : p - 0.25));
    const hi = predicted.map((p) => p + 1);
    expect(coverage(actual, lo, hi)).toBe(0.5);
    const bins = coverageByDecile(actual, predicted, lo, hi, 2);
    expect(bins).toEqual([
      { bin: 0, count: 5, from: 1.5, to: 5.5, coverage: 1, meanWidth: 2 },
      { bin: 1, count: 5, from: 6.5, to: 10.5, coverage: 0, meanWidth: 1.25 },
    ]);
  });
});

describe("the target as the network learns it", () => {
  it("takes log1p for a heavy right tail of non-negative values (auto), and standardizes on the training rows", () => {
    const skewed = [...Array.from({ length: 99 }, () => 10), 10_000];
    const t = fitTarget(skewed, "auto", "wage");
    expect(t.target.transform).toBe("log1p");
    expect(t.reason).toMatch(/^auto: skewness \d+(\.\d+)? > 2 and no negative values \(10 to 10000\)$/);
    const logs = skewed.map(Math.log1p);
    const mean = logs.reduce((s, x) => s + x, 0) / logs.length;
    expect(t.target.mean).toBeCloseTo(mean, 12);
    expect(t.target.std).toBeCloseTo(Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / logs.length), 12);
    expect(fitTarget([-5, 1, 2, 3, 1000], "auto", "x").target.transform).toBe("none");
    expect(fitTarget([1, 2, 3, 4], "auto", "x").reason).toMatch(/skewness 0 ≤ 2, kept as is/);
  });

  it("refuses a constant target and log1p of negative values with messages that say what to do", () => {
    expect(() => fitTarget([7, 7, 7], "auto", "wage")).toThrow('target "wage" is constant (7 in every training row): there is nothing to learn');
    expect(() => fitTarget([-2, 1, 2], "log1p", "wage")).toThrow(/--target-transform log1p needs "wage" ≥ 0; its training values go down to -2: use --target-transform none/);
  });

  it("estimates Duan's smearing factor from the residuals on the log scale", () => {
    const target = { transform: "log1p" as const, mean: 1, std: 2, smearing: 1 };
    // out 0 → fitted log 1; residuals ln(2), ln(4) → mean of exp: 3
    const y = [Math.expm1(1 + Math.log(2)), Math.expm1(1 + Math.log(4))];
    expect(smearingFactor(target, y, [0, 0])).toBeCloseTo(3, 9);
    expect(smearingFactor({ ...target, transform: "none" }, y, [0, 0])).toBe(1);
  });

  it("turns the network's output into the value and interval in the target's units (the edge's arithmetic)", () => {
    const none: RegressionTask = { kind: "regression", target: { transform: "none", mean: 600, std: 400, smearing: 1 }, interval: { level: 0.9, halfWidth: 500 } };
    expect(regressionValue(none.target, 0.5)).toBe(800);
    expect(regressionInterval(none, 0.5)).toEqual([300, 1300]);
    const log: RegressionTask = { kind: "regression", target: { transform: "log1p", mean: 6, std: 0.5, smearing: 1.2 }, interval: { level: 0.9, halfWidth: 0.8 } };
    expect(regressionValue(log.target, 2)).toBeCloseTo(Math.exp(7) * 1.2 - 1, 9);
    const [lo, hi] = regressionInterval(log, 2);
    expect(lo).toBeCloseTo(Math.expm1(6.2), 9);
    expect(hi).toBeCloseTo(Math.expm1(7.8), 9);
  });
});

describe("format v2 manifests", () => {
  const v1 = () => readArtifact(fixtures().artifactDirs[0]).manifest;
  const regression = { kind: "regression", target: { transform: "none", mean: 0, std: 1, smearing: 1 }, interval: { level: 0.9, halfWidth: 1 } };
  const parse = (m: unknown) => parseManifest(JSON.stringify(m));

  it("keeps classifiers at v1 and accepts a v2 regression manifest without labels or thresholds", () => {
    const m = v1();
    expect(m.format).toBe(ARTIFACT_FORMAT);
    const { thresholds: _t, ...rest } = m;
    const { positive: _p, negative: _n, ...spec } = m.spec;
    expect(parse({ ...rest, format: ARTIFACT_FORMAT_V2, task: regression, spec }).ok).toBe(true);
  });

  it("refuses a task in v1 (an older Worker ignores fields it does not know, so a regression must not look like v1), and inconsistent v2 manifests", () => {
    const m = v1();
    const { thresholds: _t, ...rest } = m;
    const { positive: _p, negative: _n, ...spec } = m.spec;
    expect(parse({ ...rest, task: regression, spec })).toEqual({ ok: false, error: `manifest is malformed: format ${ARTIFACT_FORMAT} has no task (a task needs ${ARTIFACT_FORMAT_V2})` });
    expect(parse({ ...rest, format: ARTIFACT_FORMAT_V2, spec })).toEqual({ ok: false, error: `manifest is malformed: format ${ARTIFACT_FORMAT_V2} needs a task` });
    expect(parse({ ...m, format: ARTIFACT_FORMAT_V2, task: regression })).toMatchObject({ ok: false, error: expect.stringMatching(/regression model's spec has no class labels/) });
    expect(parse({ ...rest, format: ARTIFACT_FORMAT_V2, task: regression, spec, thresholds: m.thresholds })).toMatchObject({ ok: false, error: expect.stringMatching(/has no decision thresholds/) });
    expect(parse({ ...rest, format: ARTIFACT_FORMAT_V2, task: { ...regression, target: { ...regression.target, std: 0 } }, spec })).toMatchObject({ ok: false, error: expect.stringMatching(/task.target.std must be positive/) });
  });
});

describe("out-of-time split", () => {
  it("reads ISO dates strictly: no day the month lacks, no ambiguous formats", () => {
    expect(parseDate("2020-02-29")).toBe(Date.UTC(2020, 1, 29));
    expect(parseDate("2020-03")).toBe(Date.UTC(2020, 2, 1));
    expect(parseDate("2020-01-31T08:15:00Z")).toBe(Date.UTC(2020, 0, 31, 8, 15));
    expect(parseDate("2020-01-31T08:15:00+02:00")).toBe(Date.UTC(2020, 0, 31, 6, 15));
    for (const bad of ["2021-02-29", "2020-13-01", "03/04/2020", "2020-1-5", "yesterday", "2020-01-31T25:00"]) expect(parseDate(bad), bad).toBeUndefined();
  });

  it("names the line of a cell that is not a time of the column's kind", () => {
    const r = new TimeReader("month", "loans.csv");
    expect(r.read("2020-01-05", 2)).toBe(Date.UTC(2020, 0, 5));
    expect(() => r.read("05/01/2020", 7)).toThrow(`loans.csv line 7: column "month" (--time-column): "05/01/2020" is not a date like 2020-01-31 or 2020-01-31T08:15:00Z (ISO 8601), the kind of the column's first value ("2020-01-05" on line 2); fix the cell or choose another --time-column`);
    expect(() => r.read("", 9)).toThrow(/line 9: column "month" \(--time-column\) is empty; an out-of-time split needs a time in every row/);
    expect(new TimeReader("year", "f.csv").read("1988", 2)).toBe(1988);
  });

  // Ten usable rows at times 1..10 (in shuffled file order), one excluded; two rows share time 8.
  const times = Float64Array.from([5, 1, 8, 3, 10, 2, 8, 4, 6, 9, 7]);
  const usable = Int8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0]);
  const assigned = (split: Uint8Array) => ({
    train: [...times].filter((_, i) => split[i] === TRAIN).sort((a, b) => a - b),
    validation: [...times].filter((_, i) => split[i] === VALIDATION).sort((a, b) => a - b),
    test: [...times].filter((_, i) => split[i] === TEST).sort((a, b) => a - b),
  });

  it("tests on the most recent rows, validates just before them, trains on the past, keeping equal times together", () => {
    const { split, testStart } = timeSplit(times, usable, { validation: 0.2, test: 0.2 });
    expect(testStart).toBe(8);
    expect(assigned(split)).toEqual({ train: [1, 2, 3, 4, 5], validation: [6, 7], test: [8, 8, 10] });
    expect(split[9]).toBe(EXCLUDED);
    expect(periodsOf(times, split, "t", "number", testStart)).toEqual({
      column: "t", kind: "number", testFrom: "8",
      train: { from: "1", to: "5", rows: 5 }, validation: { from: "6", to: "7", rows: 2 }, test: { from: "8", to: "10", rows: 3 },
    });
  });

  it("starts the test period at --test-from, and says when a period would be empty", () => {
    expect(assigned(timeSplit(times, usable, { validation: 0.1, test: 0.5 }, 6).split)).toEqual({ train: [1, 2, 3, 4], validation: [5], test: [6, 7, 8, 8, 10] });
    expect(assigned(timeSplit(times, usable, { validation: 0, test: 0.5 }, 6).split).validation).toEqual([]);
    expect(() => timeSplit(times, usable, { validation: 0.1, test: 0.2 }, 11)).toThrow("no row is at or after the start of the test period: nothing to test on");
    expect(() => timeSplit(times, usable, { validation: 0.1, test: 0.2 }, 1)).toThrow("every row is in the test period: nothing before it to train on");
    expect(() => timeSplit(times, usable, { validation: 0.7, test: 0.2 })).toThrow(/the validation period takes every row before the test period/);
  });
});
