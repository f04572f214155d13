/**
 * Generated models (awkward feature names, category values and reason texts;
 * classification and regression; the reference architecture on the SIMD
 * kernel), batches (nulls, missing features, values beyond the training
 * range, any pass-through value) and scores, for the tests that hold the
 * answer's bytes to JSON.stringify of the prediction objects
 * (test/answer-json.test.ts, test/reasons-writer.test.ts).
 */
import fc from "fast-check";
import { expect } from "vitest";
import { answerBytes, type AnswerInput } from "../../shared/answer-json.ts";
import { formatFor, type Manifest } from "../../shared/artifact.ts";
import { ACTIVATIONS, type DenseLayer } from "../../shared/explain.ts";
import { predictionsOf, withPassThrough } from "../../shared/predict.ts";
import { type Row } from "../../shared/preprocess.ts";
import { defaultFitOptions, PreprocessFitter } from "../../shared/preprocess-fit.ts";
import { createScorer, type Scorer } from "../../shared/scorer.ts";
import type { Feature, FeatureSpec } from "../../shared/spec.ts";
import type { Task } from "../../shared/task.ts";
import { impactKernelModule } from "../../train/kernels/load.ts";

export const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
export const utf8 = new TextEncoder();

/** What the route answered before: JSON.stringify of the objects, as UTF-8. */
export function objectPath(m: Scorer, head: Record<string, unknown>, a: AnswerInput): string {
  return JSON.stringify({ ...head, predictions: withPassThrough(predictionsOf(m, a.rows, a.scored, a.topK), a.passThroughKey ?? "", [...(a.echoes ?? [])]) });
}

export function expectSameBytes(m: Scorer, head: Record<string, unknown>, a: AnswerInput): void {
  const expected = objectPath(m, head, a);
  const got = answerBytes(m, head, a);
  // The text first, for a readable difference; then the bytes themselves.
  expect(new TextDecoder().decode(got)).toBe(expected);
  expect(Buffer.from(got).equals(utf8.encode(expected))).toBe(true);
}

// ------------------------------------------------------------ generated models

/** Strings a client, a CSV header or a spec file could hold: quotes, backslashes, control characters, any Unicode, lone surrogates. */
export const awkward = fc.oneof(
  fc.constantFrom("Amount?", "+", "[string]", "constructor", "toString", 'say "hi"', "back\\slash", "a.b", "0", "é", "名前", "😀", "a\u2028b", "\u0000", "\ud800", "x\udc00y", "</script>", ""),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ maxLength: 12 }),
);
const featureName = awkward.filter((s) => s !== "" && s !== "__proto__");

const numericFeature = (name: string) => fc.record({
  bounds: fc.constantFrom("none", "min", "max", "both"), nullable: fc.boolean(), description: fc.option(awkward, { nil: undefined }), reason: fc.option(awkward, { nil: undefined }),
}).map(({ bounds, nullable, description, reason }): Feature => ({
  name, type: "numeric", nullable, ...(bounds === "min" || bounds === "both" ? { min: -50 } : {}), ...(bounds === "max" || bounds === "both" ? { max: 500 } : {}),
  ...(description !== undefined ? { description } : {}), ...(reason !== undefined ? { reason } : {}),
}));
const categoricalFeature = (name: string) => fc.record({
  values: fc.uniqueArray(awkward, { minLength: 1, maxLength: 5 }), nullable: fc.boolean(), description: fc.option(awkward, { nil: undefined }),
}).map(({ values, nullable, description }): Feature => ({ name, type: "categorical", values, nullable, ...(description !== undefined ? { description } : {}) }));

export const taskArb: fc.Arbitrary<Task> = fc.oneof(
  fc.constant<Task>({ kind: "classification" }),
  fc.record({ transform: fc.constantFrom("none" as const, "log1p" as const), mean: fc.double({ min: -3, max: 8, noNaN: true }), std: fc.double({ min: 0.01, max: 50, noNaN: true }), smearing: fc.constantFrom(1, 1.07), halfWidth: fc.double({ min: 0, max: 2, noNaN: true }) })
    .map(({ halfWidth, ...target }): Task => ({ kind: "regression", target, interval: { level: 0.9, halfWidth } })),
);

/** A deterministic stream of numbers in [-1, 1) (weights, training rows). */
function stream(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return ((s >>> 0) / 2 ** 31) - 1; };
}

export interface Model { scorer: Scorer; spec: FeatureSpec }

/** A model of the reference architecture (Dense(U, relu) → Dense(1)), preprocessing fitted on generated rows, scored by the kernel. */
export function buildModel(features: Feature[], task: Task, hidden: number, seed: number, thresholds: { refer: number; decline: number }): Model {
  const next = stream(seed);
  const spec: FeatureSpec = task.kind === "classification" ? { target: "Status", positive: "bad", negative: "good", features } : { target: "wage", features };
  const fitter = new PreprocessFitter(spec, { ...defaultFitOptions, minCategoryCount: 2 });
  for (let r = 0; r < 40; r++) {
    const row: Record<string, number | string | null> = {};
    for (const f of features) {
      row[f.name] = f.nullable && r % 5 === 0 ? null : f.type === "categorical" ? (f.values[(r * 7 + f.values.length) % f.values.length] as string) : Math.round((next() + 1) * 100);
    }
    fitter.add(row);
  }
  const preprocess = fitter.finish();
  const layer = (inputs: number, units: number, kind: string): DenseLayer => ({
    inputs, units, kind, activation: ACTIVATIONS[kind]!, w: Float32Array.from({ length: inputs * units }, () => next()), b: Float32Array.from({ length: units }, () => next() / 4),
  });
  const dense = [layer(preprocess.width, hidden, "relu"), layer(hidden, 1, task.kind === "classification" ? "sigmoid" : "linear")];
  const manifest: Manifest = {
    format: formatFor(task), name: "generated", version: "20260101T000000Z-0000abcd", createdAt: "2026-01-01T00:00:00Z",
    ...(task.kind === "regression" ? { task } : {}), spec, preprocess, ...(task.kind === "classification" ? { thresholds } : {}), files: {}, card: {},
  };
  return { scorer: createScorer(manifest, dense, impactKernelModule()), spec };
}

/** A decision threshold: any number in [0, 1], or one a float32 answer can equal exactly. */
const thresholdArb = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.float({ min: 0, max: 1, noNaN: true }));

const modelOf = (tasks: fc.Arbitrary<Task>): fc.Arbitrary<Model> => fc.uniqueArray(featureName, { minLength: 1, maxLength: 7 })
  .chain((names) => fc.tuple(
    fc.tuple(...names.map((n) => fc.oneof(numericFeature(n), categoricalFeature(n)))),
    tasks, fc.integer({ min: 1, max: 20 }), fc.integer(), fc.tuple(thresholdArb, thresholdArb),
  ))
  .map(([features, task, hidden, seed, [a, b]]) => buildModel(features, task, hidden, seed, { refer: Math.min(a, b), decline: Math.max(a, b) }));

export const modelArb = modelOf(taskArb);
export const classifierArb = modelOf(fc.constant<Task>({ kind: "classification" }));

// ------------------------------------------------------------ generated batches

/** A validated value of one feature: in its bounds (beyond the training range at times), null or left out when nullable. */
export function valueArb(f: Feature): fc.Arbitrary<number | string | null | undefined> {
  const present: fc.Arbitrary<number | string> = f.type === "categorical"
    ? fc.constantFrom(...f.values)
    : fc.oneof(fc.integer({ min: -50, max: 500 }), fc.double({ min: -50, max: 500, noNaN: true }), fc.constantFrom(-0, 0.1, 1e-7, 499.99999999999994, -50));
  return f.nullable ? fc.oneof(present, fc.constant(null), fc.constant(undefined)) : present;
}

export const echoArb = fc.oneof(
  fc.constant(undefined), fc.string({ unit: "binary", maxLength: 128 }), fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constantFrom(-0, 0, 1e21, 1e-7, 2 ** 31, -(2 ** 31), 123456789.125),
);
export const passThroughKeyArb = fc.constantFrom("", "_key", "id", "probability", "decision", "reasons", "warnings", "value", "interval", "__proto__", "0", "é\"\\", "constructor");

export function rowsArb(spec: FeatureSpec, n: { min: number; max: number }): fc.Arbitrary<Row[]> {
  const row = fc.tuple(...spec.features.map(valueArb)).map((values) => {
    const r: Record<string, number | string | null> = {};
    spec.features.forEach((f, j) => { if (values[j] !== undefined) r[f.name] = values[j] as number | string | null; });
    return r as Row;
  });
  return fc.array(row, { minLength: n.min, maxLength: n.max });
}

/** Impacts that stress selection and formatting: ties after rounding, values at the 1e-6 cut, signs, huge and non-finite ones. */
export const impactArb = fc.oneof(
  fc.constantFrom(0, -0, 1e-6, 1.0000001e-6, 1.4999e-6, 1.5e-6, 2.5e-6, 0.5e-6, -1e-6, 0.0123455, 0.0123445, 0.1, 0.1 + 1e-9, 1, 1.0000004, 2 ** 31 / 1e6, 1e300, -1e300, Infinity, -Infinity, NaN, 1e-10, 5e-324),
  fc.double({ min: -1, max: 1, noNaN: true }),
  fc.double({ noNaN: false }),
);

export const headArb = fc.record({ id: fc.option(fc.string({ unit: "binary", minLength: 1, maxLength: 128 }), { nil: undefined }), version: fc.string({ maxLength: 30 }) })
  .map(({ id, version }) => ({ ...(id !== undefined ? { id } : {}), model: { name: "generated", version } }));
