/**
 * The fast accept path (shared/accept.ts) against arktype, the definition it
 * stands in for: on generated valid, near-valid and hostile instances it must
 * accept exactly what arktype accepts, with the same row. arktype runs jitless
 * here, as in the Worker. A disagreement fails with the instance printed.
 */
import "../edge/jitless.ts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../shared/artifact.ts";
import type { Feature, FeatureSpec } from "../shared/spec.ts";
import { type } from "arktype";
import { instanceAccept, instanceType } from "../shared/validate.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";

const RUNS = Number(process.env.ACCEPT_RUNS ?? 12_000);

/** The bundled model's spec, as served. */
function creditSpec(): FeatureSpec {
  const m = parseManifest(new TextDecoder().decode(readArtifact(fixtures().artifactDirs[0]).files.get("manifest.json")));
  if (!m.ok) throw new Error(m.error);
  return m.value.spec;
}

/** A required name every object also inherits, bounds on both sides, a nullable category with "". */
const awkwardSpec: FeatureSpec = {
  target: "y", positive: "1", negative: "0",
  features: [
    { name: "toString", type: "categorical", values: ["a", "b"], nullable: false },
    { name: "ratio", type: "numeric", min: -1, max: 1, nullable: false },
    { name: "band", type: "categorical", values: ["", "x", "valueOf"], nullable: true },
    { name: "n", type: "numeric", min: 0, nullable: false },
  ],
};

function validValue(f: Feature): fc.Arbitrary<unknown> {
  const v: fc.Arbitrary<unknown> = f.type === "categorical"
    ? fc.constantFrom(...f.values)
    : fc.oneof(
      fc.double({ min: f.min ?? -1e12, max: f.max ?? 1e12, noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(...[f.min, f.max, 0, -0].filter((x): x is number => x !== undefined && (f.min === undefined || x >= f.min) && (f.max === undefined || x <= f.max))),
    );
  return f.nullable ? fc.oneof({ weight: 4, arbitrary: v }, { weight: 1, arbitrary: fc.constant(null) }) : v;
}

/** Valid and invalid values of the pass-through key "_key" (a string of at most 128 characters, or a finite number). */
const passThroughValue = fc.oneof(fc.string({ maxLength: 130 }), fc.double(), fc.constant(null), fc.boolean());

function validInstance(spec: FeatureSpec): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = { _key: passThroughValue };
  for (const f of spec.features) model[f.name] = validValue(f);
  const required = spec.features.filter((f) => !f.nullable).map((f) => f.name);
  return fc.record(model, { requiredKeys: required }).map((r) => ({ ...r }));
}

/** A value of the wrong kind, or the right kind just out of bounds, or a near-miss category. */
function nearMiss(f: Feature): fc.Arbitrary<unknown> {
  const wrongKind = fc.oneof(fc.string({ maxLength: 6 }), fc.boolean(), fc.constant([]), fc.constant({}), fc.constant(undefined), fc.constant(null));
  if (f.type === "categorical") {
    return fc.oneof(wrongKind, fc.constantFrom(...f.values).map((v) => v.toUpperCase() || " "), fc.constantFrom(...f.values).map((v) => `${v} `), fc.integer());
  }
  const bounds = [f.min === undefined ? NaN : f.min - 1e-9, f.max === undefined ? NaN : f.max + 1e-9, NaN, Infinity, -Infinity, 1e309];
  return fc.oneof(wrongKind, fc.constantFrom(...bounds), fc.constantFrom("12", "0", "1e3"), fc.bigInt().map(Number));
}

function nearValid(spec: FeatureSpec): fc.Arbitrary<Record<string, unknown>> {
  const names = spec.features.map((f) => f.name);
  return fc.tuple(validInstance(spec), fc.integer({ min: 0, max: spec.features.length - 1 }), fc.integer({ min: 0, max: 3 }), fc.string({ maxLength: 8 }))
    .chain(([inst, i, how, key]) => {
      const f = spec.features[i] as Feature;
      if (how === 0) { const { [f.name]: _gone, ...rest } = inst; return fc.constant(rest); }
      if (how === 1) return fc.constant({ ...inst, [names.includes(key) ? `${key}_x` : key]: 1 });
      if (how === 2) return fc.constant({ ...inst, [f.name.toLowerCase() === f.name ? f.name.toUpperCase() : f.name.toLowerCase()]: inst[f.name] ?? 1 });
      return nearMiss(f).map((v) => ({ ...inst, [f.name]: v }));
    });
}

/** Whatever a client could send: any JSON object, objects with prototype-ish keys, parsed JSON text. */
function hostile(spec: FeatureSpec): fc.Arbitrary<object> {
  const names = spec.features.map((f) => f.name);
  return fc.oneof(
    fc.dictionary(fc.oneof(fc.constantFrom(...names, "__proto__", "constructor", "hasOwnProperty"), fc.string({ maxLength: 5 })), fc.jsonValue(), { maxKeys: spec.features.length + 2 }),
    fc.tuple(validInstance(spec), fc.constantFrom('"__proto__":{"Age":1}', '"__proto__":null', '"constructor":1'))
      .map(([inst, extra]) => JSON.parse(`{${extra},${JSON.stringify(inst).slice(1)}`) as object),
    fc.jsonValue().filter((v): v is object => typeof v === "object" && v !== null && !Array.isArray(v)),
  );
}

function agree(spec: FeatureSpec, label: string, passThroughKey?: string) {
  const accept = instanceAccept(spec, passThroughKey);
  const arktype = instanceType(spec, passThroughKey);
  return (instance: object) => {
    const out = arktype(instance);
    const slow = out instanceof type.errors ? { ok: false as const } : { ok: true as const, row: out };
    const fast = accept(instance);
    const where = `${label}: ${JSON.stringify(instance, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v === undefined ? "<undefined>" : v))}`;
    expect(fast !== undefined, `accept path ${fast ? "accepted" : "refused"} what arktype ${slow.ok ? "accepted" : "refused"}; ${where}`).toBe(slow.ok);
    if (slow.ok) expect(fast, where).toEqual(slow.row);
  };
}

/** An optional feature named like an inherited property: left out, it is missing (own keys only), to arktype as to the accept path. */
const inheritedSpec: FeatureSpec = { ...awkwardSpec, features: [{ name: "constructor", type: "numeric", nullable: true }, ...awkwardSpec.features] };

describe("fast accept path versus arktype", () => {
  // [label, spec, pass-through key, share of RUNS]: most on the real spec as served (with "_key"), the rest on corner cases.
  const specs = [
    ["credit-risk with the pass-through key", () => creditSpec(), "_key", 0.5],
    ["awkward names and bounds", () => awkwardSpec, undefined, 0.3],
    ["an optional inherited name", () => inheritedSpec, undefined, 0.2],
  ] as const;
  for (const [label, spec, passKey, share] of specs) {
    const perGenerator = Math.ceil((RUNS * share) / 3);
    it(`${label}: accepts exactly what arktype accepts, with the same row (${3 * perGenerator} generated instances)`, () => {
      const s = spec();
      const property = agree(s, label, passKey);
      fc.assert(fc.property(validInstance(s), property), { numRuns: perGenerator });
      fc.assert(fc.property(nearValid(s), property), { numRuns: perGenerator });
      fc.assert(fc.property(hostile(s), property), { numRuns: perGenerator });
    });
  }

  it("refuses, for arktype to explain, an instance with an unknown field even when every feature is valid", () => {
    const s = awkwardSpec;
    const accept = instanceAccept(s);
    expect(accept({ toString: "a", ratio: 0.5, n: 3 })).toBeDefined();
    expect(accept({ toString: "a", ratio: 0.5, n: 3, extra: 1 })).toBeUndefined();
    expect(accept({ ratio: 0.5, n: 3 })).toBeUndefined();
  });
});
