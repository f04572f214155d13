/**
 * Preprocessing's properties on generated data (fast-check): every row the
 * schema accepts transforms to finite numbers, and the rows reported as not
 * adjusted are exactly those without input warnings; fitting on random frames
 * gives a finite, JSON-safe state; the reservoir's quantiles hold on 300,000
 * rows in any order. Hand-computed cases: preprocess.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { transform, transformInto, type NumericStep, type PreprocessState } from "../shared/preprocess.ts";
import { PreprocessFitter, defaultFitOptions, type FitOptions } from "../shared/preprocess-fit.ts";
import { seededRandom, shuffleInPlace } from "../shared/random.ts";
import { inputWarnings } from "../shared/warnings.ts";
import { cat, num, numericStep, specOf } from "./helpers/preprocess-frames.ts";

const VOCAB = ["rent", "owner", "parents"];
/** Any finite double, with the edges fast-check might not pick often enough spelled out. */
const anyFinite = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-0, 0, 1e308, -1e308, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE),
);

function allFinite(out: Float32Array): boolean {
  return out.every((v) => Number.isFinite(v));
}

describe("transform is finite for every row the schema accepts", () => {
  const spec = specOf(num("income", true), num("age", false), cat("home", VOCAB, true), cat("job", ["a", "b"], false));
  const random = seededRandom(11);
  const states = (["standard", "minmax", "robust"] as const).map((scaler) => {
    const f = new PreprocessFitter(spec, { ...defaultFitOptions, scaler, minCategoryCount: 3 });
    for (let i = 0; i < 500; i++) {
      f.add({
        income: random() < 0.1 ? null : Math.round(Math.exp(random() * 8)), // skewed: log1p applies
        age: 18 + Math.floor(random() * 50),
        home: random() < 0.05 ? null : (VOCAB[Math.floor(random() * 3)] as string),
        job: random() < 0.5 ? "a" : "b",
      });
    }
    return f.finish();
  });

  it("holds for 3000 random rows per scaler, including extreme magnitudes, nulls and unseen strings", () => {
    expect((states[0]!.steps[0] as NumericStep).log).toBe(true); // the log path is exercised
    const row = fc.record({
      income: fc.option(anyFinite, { nil: null }),
      age: anyFinite,
      home: fc.option(fc.oneof(fc.constantFrom(...VOCAB), fc.string()), { nil: null }),
      job: fc.oneof(fc.constantFrom("a", "b"), fc.string()),
    });
    let runs = 0;
    fc.assert(
      fc.property(row, fc.constantFrom(...states), (r, state) => {
        runs++;
        const out = transform(state, r);
        return out.length === state.width && allFinite(out);
      }),
      { numRuns: 3000, seed: 20240501 },
    );
    expect(runs).toBe(3000);
  });

  it("reports a row as unadjusted only when it has no input warnings (scoring then skips looking for them): 3000 random rows per scaler", () => {
    const inRange = fc.integer({ min: 18, max: 67 });
    const row = fc.record({
      income: fc.option(fc.oneof(anyFinite, fc.integer({ min: 1, max: 2000 })), { nil: null }),
      age: fc.oneof(anyFinite, inRange),
      home: fc.option(fc.oneof(fc.constantFrom(...VOCAB), fc.string()), { nil: null }),
      job: fc.oneof(fc.constantFrom("a", "b"), fc.string()),
    });
    const out = new Float32Array(64);
    let unadjusted = 0;
    let warned = 0;
    fc.assert(
      fc.property(row, fc.constantFrom(...states), (r, state) => {
        const adjusted = transformInto(state, r, out, 0);
        const warnings = inputWarnings(state, r).length;
        if (!adjusted) unadjusted++;
        if (warnings) warned++;
        return adjusted || warnings === 0;
      }),
      { numRuns: 3000, seed: 20261130 },
    );
    // Both sides of the shortcut are exercised.
    expect(unadjusted).toBeGreaterThan(100);
    expect(warned).toBeGreaterThan(100);
  });
});

describe("fitting on random data gives a finite, JSON-safe state", () => {
  const column = (n: number) =>
    fc.oneof(
      fc.array(fc.option(anyFinite, { nil: null }), { minLength: n, maxLength: n }),
      anyFinite.map((x) => Array<number | null>(n).fill(x)), // constant
      fc.tuple(anyFinite, fc.nat(n - 1)).map(([x, at]) => Array.from({ length: n }, (_, i) => (i === at ? x : null))), // all missing but one
      fc.constant(Array<number | null>(n).fill(null)), // all missing
    );
  const frame = fc.integer({ min: 1, max: 40 }).chain((n) =>
    fc.record({
      a: column(n),
      b: column(n),
      c: fc.array(fc.option(fc.constantFrom(...VOCAB), { nil: null }), { minLength: n, maxLength: n }),
    }),
  );
  const options = fc.record({
    scaler: fc.constantFrom("standard", "minmax", "robust" as const),
    clipQuantile: fc.constantFrom(0, 0.001, 0.1, 0.25),
    log: fc.constantFrom("auto", "never" as const),
    logSkew: fc.constantFrom(0, 2),
    minCategoryCount: fc.integer({ min: 1, max: 5 }),
    reservoirSize: fc.constantFrom(3, 1000),
    seed: fc.integer(),
  });
  const probe = fc.record({
    a: fc.option(anyFinite, { nil: null }),
    b: fc.option(anyFinite, { nil: null }),
    c: fc.option(fc.oneof(fc.constantFrom(...VOCAB), fc.string()), { nil: null }),
  });
  const spec = specOf(num("a"), num("b"), cat("c", VOCAB));

  it("holds for 2000 random frames (constant, all-missing-but-one and extreme columns)", () => {
    let runs = 0;
    fc.assert(
      fc.property(frame, options, fc.array(probe, { minLength: 1, maxLength: 5 }), (cols, opts, probes) => {
        runs++;
        const fitter = new PreprocessFitter(spec, opts as FitOptions);
        cols.a.forEach((a, i) => fitter.add({ a, b: cols.b[i], c: cols.c[i] }));
        const state = fitter.finish();
        for (const step of state.steps) {
          if (step.kind !== "numeric") continue;
          for (const k of ["fill", "lo", "hi", "center", "scale"] as const) {
            if (!Number.isFinite(step[k])) throw new Error(`${step.name}.${k} = ${step[k]}`);
          }
          if (!(step.lo <= step.hi) || !(step.scale > 0)) throw new Error(`${step.name}: lo ${step.lo}, hi ${step.hi}, scale ${step.scale}`);
        }
        // The state travels as JSON: a round trip must change nothing.
        const shipped = JSON.parse(JSON.stringify(state)) as PreprocessState;
        const training = cols.a.map((a, i) => ({ a, b: cols.b[i], c: cols.c[i] }));
        for (const r of [...training, ...probes]) {
          const out = transform(shipped, r);
          if (!allFinite(out)) throw new Error(`non-finite output ${[...out]} for ${JSON.stringify(r)}`);
        }
      }),
      { numRuns: 2000, seed: 7 },
    );
    expect(runs).toBe(2000);
  });
});

describe("reservoir sampling", () => {
  // The median of a 1000-value sample from 0..N−1 has a standard error of about
  // 0.5/√1000 · N ≈ 1.6% of N, so 5% of N (≈3 standard errors) is the honest tolerance.
  const N = 300_000;
  const TRUE_MEDIAN = 149_999.5;
  const fitOn = (values: Iterable<number>, seed: number) => {
    const f = new PreprocessFitter(specOf(num("x")), { ...defaultFitOptions, reservoirSize: 1000, clipQuantile: 0.01, seed });
    for (const x of values) f.add({ x });
    return numericStep(f.finish());
  };
  const ascending = () => Array.from({ length: N }, (_, i) => i);

  it("keeps the median of 300 000 rows close to the true one from a 1000-value sample", () => {
    // Streamed in ascending order: a reservoir that kept the first (or last) 1000 rows
    // would report ~500 (or ~299 500), one that over-replaced would drift high.
    const step = fitOn(ascending(), 5);
    expect(Math.abs(step.fill - TRUE_MEDIAN)).toBeLessThan(0.05 * N);
    // The clipping quantiles come from the same sample: 1% and 99% of N (standard error ≈ 0.3% of N).
    expect(Math.abs(step.lo - 0.01 * N)).toBeLessThan(0.01 * N);
    expect(Math.abs(step.hi - 0.99 * N)).toBeLessThan(0.01 * N);
    // Deterministic with the seed.
    expect(fitOn(ascending(), 5)).toEqual(step);
  });

  it("is as accurate when the rows arrive shuffled", () => {
    const values = shuffleInPlace(ascending(), seededRandom(3));
    expect(Math.abs(fitOn(values, 9).fill - TRUE_MEDIAN)).toBeLessThan(0.05 * N);
  });
});

describe("a clipped value's warning", () => {
  const step = (lo: number, hi: number): NumericStep => ({ kind: "numeric", name: "x", fill: lo, lo, hi, log: false, center: 0, scale: 1, indicator: false });
  const state = (s: NumericStep): PreprocessState => ({ scaler: "minmax", steps: [s], width: 1 });
  const message = (lo: number, hi: number, x: number) => inputWarnings(state(step(lo, hi)), { x })[0]?.message;

  it("quotes the value as sent, and the range with the digits that show it is outside", () => {
    expect(message(18.738, 726.135, 726.1350000001)).toBe("726.1350000001 is outside the range the model was fitted on (18.738 to 726.135); scored as 726.135");
    expect(message(0, 123456.5, 123456.789)).toBe("123456.789 is outside the range the model was fitted on (0 to 123456.5); scored as 123456.5");
    expect(message(0.30000000000000004, 5, 0.3)).toBe("0.3 is outside the range the model was fitted on (0.30000000000000004 to 5); scored as 0.30000000000000004");
    // Six significant digits when they are enough.
    expect(message(18.7381234, 68.123456789, 250)).toBe("250 is outside the range the model was fitted on (18.7381 to 68.1235); scored as 68.1235");
  });

  it("never shows the value inside the range it is outside of", () => {
    fc.assert(fc.property(anyFinite, anyFinite, anyFinite, (a, b, x) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      fc.pre(x < lo || x > hi);
      const m = /^(.*) is outside the range the model was fitted on \((.*) to (.*)\); scored as (.*)$/.exec(message(lo, hi, x) ?? "");
      expect(m?.[1]).toBe(String(x));
      const [shownLo, shownHi, scored] = [Number(m?.[2]), Number(m?.[3]), Number(m?.[4])];
      if (x > hi) expect([shownHi < x, scored]).toEqual([true, shownHi]);
      else expect([shownLo > x, scored]).toEqual([true, shownLo]);
    }), { numRuns: 3000, seed: 20261208 });
  });
});
