/**
 * Generated instances for a feature spec, for properties that hold a fast
 * path to arktype's verdict: valid ones (every value kind, bounds, nulls, the
 * pass-through key "_key" with valid and invalid values), near-valid ones
 * (one feature missing, wrong, out of range, miscased, or an extra key) and
 * hostile objects (any JSON, prototype-ish keys, parsed JSON text).
 */
import fc from "fast-check";
import type { Feature, FeatureSpec } from "../../shared/spec.ts";

export function validValue(f: Feature): fc.Arbitrary<unknown> {
  const lo = f.type === "numeric" ? f.min : undefined;
  const hi = f.type === "numeric" ? f.max : undefined;
  // Integers, as most applicants' amounts are.
  const ints = (a: number, b: number) => {
    const [min, max] = [Math.ceil(Math.max(lo ?? a, a)), Math.floor(Math.min(hi ?? b, b))];
    return min <= max ? [fc.integer({ min, max })] : [];
  };
  const v: fc.Arbitrary<unknown> = f.type === "categorical"
    ? fc.constantFrom(...f.values)
    : fc.oneof(
      fc.double({ min: lo ?? -1e12, max: hi ?? 1e12, noNaN: true, noDefaultInfinity: true }),
      ...ints(-2e9, 2e9),
      ...ints(-5000, 5000),
      fc.constantFrom(...[lo, hi, 0, -0].filter((x): x is number => x !== undefined && (lo === undefined || x >= lo) && (hi === undefined || x <= hi))),
    );
  return f.nullable ? fc.oneof({ weight: 4, arbitrary: v }, { weight: 1, arbitrary: fc.constant(null) }) : v;
}

/** Valid and invalid values of the pass-through key "_key" (a string of at most 128 characters, counted as code points, or a finite number). */
export const passThroughValue = fc.oneof(
  fc.string({ maxLength: 130 }),
  // Characters outside the BMP near the limit: 128 of them are 256 UTF-16 units, and still valid.
  fc.string({ unit: "binary", minLength: 120, maxLength: 135 }),
  fc.double(), fc.constant(null), fc.boolean(),
);

/** Valid features (nullable ones sometimes left out), in spec order or shuffled, and sometimes "_key". */
export function validInstance(spec: FeatureSpec): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = { _key: passThroughValue };
  for (const f of spec.features) model[f.name] = validValue(f);
  const required = spec.features.filter((f) => !f.nullable).map((f) => f.name);
  const keys = [...spec.features.map((f) => f.name), "_key"];
  return fc.tuple(fc.record(model, { requiredKeys: required }), fc.option(fc.array(fc.nat(), { minLength: keys.length, maxLength: keys.length }), { nil: undefined }))
    .map(([r, order]) => {
      // Mostly in spec order, as clients send them; otherwise in an order drawn by `order`.
      const sent = keys.map((k, i) => ({ k, rank: order ? (order[i] as number) : i })).sort((a, b) => a.rank - b.rank).map((x) => x.k);
      const out: Record<string, unknown> = {};
      for (const k of sent) if (Object.hasOwn(r, k)) out[k] = r[k];
      return out;
    });
}

/** A value of the wrong kind, or the right kind just out of bounds, or a near-miss category. */
export function nearMiss(f: Feature): fc.Arbitrary<unknown> {
  const wrongKind = fc.oneof(fc.string({ maxLength: 6 }), fc.boolean(), fc.constant([]), fc.constant({}), fc.constant(undefined), fc.constant(null));
  if (f.type === "categorical") {
    return fc.oneof(wrongKind, fc.constantFrom(...f.values).map((v) => v.toUpperCase() || " "), fc.constantFrom(...f.values).map((v) => `${v} `), fc.integer());
  }
  const bounds = [f.min === undefined ? NaN : f.min - 1e-9, f.max === undefined ? NaN : f.max + 1e-9, NaN, Infinity, -Infinity, 1e309];
  return fc.oneof(wrongKind, fc.constantFrom(...bounds), fc.constantFrom("12", "0", "1e3"), fc.bigInt().map(Number));
}

export function nearValid(spec: FeatureSpec): fc.Arbitrary<Record<string, unknown>> {
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
export function hostile(spec: FeatureSpec): fc.Arbitrary<object> {
  const names = spec.features.map((f) => f.name);
  return fc.oneof(
    fc.dictionary(fc.oneof(fc.constantFrom(...names, "__proto__", "constructor", "hasOwnProperty", "_key"), fc.string({ maxLength: 5 })), fc.jsonValue(), { maxKeys: spec.features.length + 2 }),
    fc.tuple(validInstance(spec), fc.constantFrom('"__proto__":{"Age":1}', '"__proto__":null', '"constructor":1'))
      .map(([inst, extra]) => { const rest = JSON.stringify(inst).slice(1); return JSON.parse(`{${extra}${rest === "}" ? "" : ","}${rest}`) as object; }),
    fc.jsonValue().filter((v): v is object => typeof v === "object" && v !== null && !Array.isArray(v)),
  );
}
