/**
 * The edge's one-pass accept-and-encode path (shared/accept-into.ts) against
 * the definitions it stands in for: arktype decides what is valid, and
 * preprocessing's `transformInto` decides the encoded row and whether it was
 * adjusted. On generated valid, near-valid and hostile instances the one pass
 * must accept exactly what arktype accepts and write exactly transformInto's
 * float32 bytes for arktype's row (into a buffer full of NaN, so an unwritten
 * slot shows), with the same adjusted flag, twice in a row (its per-call
 * state is reset each time). Through the instance schema, `checkInto` must give
 * `check`'s answer: the same row and pass-through value, and error details
 * that serialize to the same bytes. arktype runs jitless, as in the Worker.
 */
import "../edge/jitless.ts";
import fc from "fast-check";
import { type } from "arktype";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../shared/artifact.ts";
import { transformInto, type PreprocessState, type Row } from "../shared/preprocess.ts";
import { defaultFitOptions, PreprocessFitter } from "../shared/preprocess-fit.ts";
import type { Feature, FeatureSpec } from "../shared/spec.ts";
import { instanceAcceptInto, instanceSchema, instanceType } from "../shared/validate.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { hostile, nearValid, validInstance } from "./helpers/instance-arbitraries.ts";

const RUNS = Number(process.env.ACCEPT_RUNS ?? 6_000);
const OFFSET = 3;

/** The bundled model's spec and preprocessing, as served. */
function creditModel(): { spec: FeatureSpec; state: PreprocessState } {
  const m = parseManifest(new TextDecoder().decode(readArtifact(fixtures().artifactDirs[0]).files.get("manifest.json")));
  if (!m.ok) throw new Error(m.error);
  return { spec: m.value.spec, state: m.value.preprocess };
}

/** A required name every object inherits, bounds on both sides, a nullable category with "" and a rare one, a skewed count. */
const awkwardSpec: FeatureSpec = {
  target: "y", positive: "1", negative: "0",
  features: [
    { name: "toString", type: "categorical", values: ["a", "b", "c"], nullable: false },
    { name: "ratio", type: "numeric", min: -1, max: 1, nullable: false },
    { name: "band", type: "categorical", values: ["", "x", "valueOf", "rare"], nullable: true },
    { name: "n", type: "numeric", min: 0, nullable: false },
    { name: "amount", type: "numeric", nullable: true },
  ],
};

/** An optional feature named like an inherited property: left out, it is missing. */
const inheritedSpec: FeatureSpec = { ...awkwardSpec, features: [{ name: "constructor", type: "numeric", nullable: true }, ...awkwardSpec.features] };

/**
 * Preprocessing fitted on deterministic rows: "n" skewed (log-scaled), "amount" with missing values (an indicator),
 * clipping quantiles inside the values sent, "c" and "rare" too rare for a slot of their own.
 */
function fitted(spec: FeatureSpec): PreprocessState {
  const fitter = new PreprocessFitter(spec, { ...defaultFitOptions, clipQuantile: 0.02, minCategoryCount: 5 });
  for (let i = 0; i < 400; i++) {
    const row = Object.assign(Object.create(null) as object, {
      constructor: i % 3 ? (i * 7) % 50 : null,
      toString: i % 131 === 0 ? "c" : i % 2 ? "a" : "b",
      ratio: ((i * 37) % 200) / 100 - 1,
      band: i % 101 === 0 ? "rare" : i % 3 ? "x" : i % 5 ? "" : null,
      n: Math.floor(Math.exp((i % 40) / 4)),
      amount: i % 4 ? ((i * 131) % 9000) - 500 : null,
    });
    fitter.add(row as Row);
  }
  return fitter.finish();
}

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const show = (instance: unknown) => JSON.stringify(instance, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v === undefined ? "<undefined>" : v));

function agree(spec: FeatureSpec, state: PreprocessState, label: string) {
  const into = instanceAcceptInto(spec, state, "_key");
  if (!into) throw new Error(`${label}: no one-pass path for a preprocessing fitted on the spec`);
  const arktype = instanceType(spec, "_key");
  const schema = instanceSchema(spec, { passThroughKey: "_key", preprocess: state });
  const width = state.width;
  return (instance: object) => {
    const where = `${label}: ${show(instance)}`;
    const out = arktype(instance);
    const valid = !(out instanceof type.errors);
    const expected = new Float32Array(width);
    const adjusted = valid && transformInto(state, out as Row, expected, 0);
    for (let pass = 0; pass < 2; pass++) {
      const buf = new Float32Array(width + 2 * OFFSET).fill(NaN);
      const a = into(instance, buf, OFFSET);
      expect(a >= 0, `one pass ${a >= 0 ? "accepted" : "refused"} what arktype ${valid ? "accepted" : "refused"}; ${where}`).toBe(valid);
      if (!valid) continue;
      expect(bytesOf(buf.subarray(OFFSET, OFFSET + width)).equals(bytesOf(expected)), `encoded [${[...buf.subarray(OFFSET, OFFSET + width)].join(", ")}], transformInto [${[...expected].join(", ")}]; ${where}`).toBe(true);
      expect(a === 1, `adjusted; ${where}`).toBe(adjusted);
      expect([...buf.subarray(0, OFFSET), ...buf.subarray(OFFSET + width)].every(Number.isNaN), `wrote outside its row; ${where}`).toBe(true);
    }
    // The schema's checkInto answers what check answers; its error details are the same bytes.
    const checked = schema.check(instance, 7, 20);
    const buf = new Float32Array(width).fill(NaN);
    const encoded = schema.checkInto!(instance, 7, 20, buf, 0);
    expect(encoded.ok, where).toBe(checked.ok);
    if (encoded.ok && checked.ok) {
      expect(encoded.row, where).toEqual(checked.row);
      expect(encoded.passThrough, where).toBe(checked.passThrough);
      const reference = new Float32Array(width);
      expect(encoded.adjusted, where).toBe(transformInto(state, checked.row, reference, 0));
      expect(bytesOf(buf).equals(bytesOf(reference)), where).toBe(true);
    } else if (!encoded.ok && !checked.ok) {
      expect(JSON.stringify(encoded.details), where).toBe(JSON.stringify(checked.details));
    }
  };
}

/** A spec of 1–6 features (either kind, any bounds, nullable or not) and preprocessing fitted on rows drawn for it. */
const generatedModel = fc.tuple(
  fc.array(fc.record({
    categorical: fc.boolean(), nullable: fc.boolean(), min: fc.option(fc.integer({ min: -100, max: 0 }), { nil: undefined }),
    max: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }), values: fc.uniqueArray(fc.string({ maxLength: 3 }), { minLength: 1, maxLength: 4 }),
  }), { minLength: 1, maxLength: 6 }),
  fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat()), { minLength: 1, maxLength: 60 }),
  fc.constantFrom("standard" as const, "minmax" as const, "robust" as const),
).map(([defs, draws, scaler]) => {
  const features: Feature[] = defs.map((d, j) => (d.categorical
    ? { name: `f${j}`, type: "categorical", values: d.values, nullable: d.nullable }
    : { name: `f${j}`, type: "numeric", nullable: d.nullable, ...(d.min !== undefined ? { min: d.min } : {}), ...(d.max !== undefined ? { max: d.max } : {}) }));
  const spec: FeatureSpec = { target: "y", positive: "1", negative: "0", features };
  const fitter = new PreprocessFitter(spec, { ...defaultFitOptions, scaler, minCategoryCount: 2, clipQuantile: 0.05 });
  for (const [u, k] of draws) {
    const row: Record<string, number | string | null> = {};
    for (const f of features) {
      if (f.nullable && k % 5 === 0) row[f.name] = null;
      else if (f.type === "categorical") row[f.name] = f.values[k % f.values.length] as string;
      else row[f.name] = Math.round((f.min ?? -50) + u * u * ((f.max ?? 2000) - (f.min ?? -50)));
    }
    fitter.add(row);
  }
  return { spec, state: fitter.finish() };
});

describe("one-pass accept and encode versus arktype and transformInto", () => {
  const models = [
    ["credit-risk as served, with the pass-through key", creditModel, 0.5],
    ["awkward names, bounds and categories", () => ({ spec: awkwardSpec, state: fitted(awkwardSpec) }), 0.3],
    ["an optional inherited name", () => ({ spec: inheritedSpec, state: fitted(inheritedSpec) }), 0.2],
  ] as const;
  for (const [label, model, share] of models) {
    const perGenerator = Math.ceil((RUNS * share) / 3);
    it(`${label}: the same verdict, bytes and adjusted flag (${3 * perGenerator} generated instances)`, () => {
      const { spec, state } = model();
      const property = agree(spec, state, label);
      fc.assert(fc.property(validInstance(spec), property), { numRuns: perGenerator });
      fc.assert(fc.property(nearValid(spec), property), { numRuns: perGenerator });
      fc.assert(fc.property(hostile(spec), property), { numRuns: perGenerator });
    });
  }

  it("on generated specs and fitted preprocessing (log-scaled, clipped, indicator and fallback steps)", () => {
    fc.assert(fc.property(generatedModel, fc.integer(), ({ spec, state }, seed) => {
      const property = agree(spec, state, "generated");
      const instances = fc.sample(fc.oneof(validInstance(spec), nearValid(spec), hostile(spec)), { numRuns: 30, seed });
      for (const instance of instances) property(instance);
    }), { numRuns: Math.ceil(RUNS / 60) });
  });

  it("is not built for a preprocessing whose steps are not the spec's features in order; checkInto then validates and encodes the usual way", () => {
    const state = fitted(awkwardSpec);
    const reordered = { ...state, steps: [...state.steps].reverse() };
    expect(instanceAcceptInto(awkwardSpec, state)).toBeDefined();
    expect(instanceAcceptInto(awkwardSpec, reordered)).toBeUndefined();
    const schema = instanceSchema(awkwardSpec, { preprocess: reordered });
    const instance = { toString: "a", ratio: 0.5, n: 3, amount: null };
    const buf = new Float32Array(reordered.width).fill(NaN);
    const r = schema.checkInto!(instance, 0, 20, buf, 0);
    const reference = new Float32Array(reordered.width);
    expect(r).toEqual({ ok: true, row: instance, adjusted: transformInto(reordered, instance, reference, 0) });
    expect(bytesOf(buf).equals(bytesOf(reference))).toBe(true);
  });

  it("refuses, for arktype to explain, an unknown field, a missing required feature or a null one", () => {
    const into = instanceAcceptInto(awkwardSpec, fitted(awkwardSpec))!;
    const buf = new Float32Array(64);
    expect(into({ toString: "a", ratio: 0.5, n: 3 }, buf, 0)).toBeGreaterThanOrEqual(0);
    expect(into({ toString: "a", ratio: 0.5, n: 3, extra: 1 }, buf, 0)).toBe(-1);
    expect(into({ ratio: 0.5, n: 3 }, buf, 0)).toBe(-1);
    expect(into({ toString: "a", ratio: null, n: 3 }, buf, 0)).toBe(-1);
  });
});
