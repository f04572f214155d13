/**
 * Request validation derived from a model's feature spec (arktype, built once
 * per model version). Unknown fields are rejected rather than ignored: a
 * misspelt "income" would otherwise be silently imputed and change the score.
 *
 * The same arktype type produces the JSON Schema the API documents
 * (`toJsonSchema`), so the published schema and the validator cannot disagree.
 * Valid instances take a fast path built from the same spec (shared/accept.ts,
 * no code generation; with the model's preprocessing, shared/accept-into.ts
 * also encodes them in the same pass); arktype decides and explains everything else.
 */
import { type } from "arktype";
import { cellOf, transformInto, type PreprocessState, type Row } from "./preprocess.ts";
import type { Feature, FeatureSpec } from "./spec.ts";
import { acceptPath, type Accept, type ExtraKey } from "./accept.ts";
import { acceptInto, type AcceptInto } from "./accept-into.ts";
import { CELL_OTHER, type ReasonCells } from "./reasons-writer.ts";

/** One problem with a request, by path: what the field accepts and what was sent (shortened). */
export interface ErrorDetail {
  /** e.g. `instances[3].Income` */
  path: string;
  expected: string;
  received: string;
}

/** At most this many characters of anything the client sent are quoted back. */
export const MAX_QUOTE = 60;

/**
 * Characters that change how the rest of a message reads on a screen without being seen (bidi overrides
 * and isolates, zero-width marks, line separators, controls): quoted back as \u escapes, so an error can
 * not be made to display a different field name or value than the one sent.
 */
const UNSEEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const visible = (s: string) => s.replace(UNSEEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

const shorten = (s: string) => visible(s.length > MAX_QUOTE ? `${s.slice(0, MAX_QUOTE - 3)}...` : s);

/** A short, safe rendering of a received value: never echoes a huge body back. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "missing";
  let s: string;
  try {
    s = typeof v === "string" ? JSON.stringify(v) : typeof v === "number" && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return shorten(s);
}

/** A client-chosen name (object key, path segment) as it may appear in an error: at most 60 characters. */
export function describeKey(k: string): string {
  return shorten(k);
}

/** A valid instance: the row to score and the pass-through value to echo, if one was sent. */
export type InstanceResult = { ok: true; row: Row; passThrough?: string | number } | { ok: false; details: ErrorDetail[] };

/** `maxDetails` caps the details built for this instance (0 once a request has reported enough). */
export type InstanceCheck = (instance: unknown, index: number, maxDetails?: number) => InstanceResult;

/** A valid instance's result when its encoded row was written too: whether preprocessing imputed, clipped or fell back. */
export type EncodedResult = { ok: true; row: Row; passThrough?: string | number; adjusted: boolean } | { ok: false; details: ErrorDetail[] };

/**
 * `check`, and for a valid instance its encoded row written at `out[offset…]`
 * (what `transformInto` writes): one pass over the instance in the common case
 * (shared/accept-into.ts). On a refusal, `out` there holds nothing to rely on.
 * With `cells`, a valid instance's values are written at `index × features`
 * for the reasons kernel (shared/reasons-writer.ts), or marked for JavaScript.
 */
export type InstanceEncode = (instance: unknown, index: number, maxDetails: number, out: Float32Array, offset: number, cells?: ReasonCells) => EncodedResult;

export interface InstanceSchema {
  check: InstanceCheck;
  /** JSON Schema (2020-12) of one instance, from the same arktype type `check` uses. */
  jsonSchema(): Record<string, unknown>;
  /** The pass-through key this model echoes ("" when none: disabled, or a feature has that name). */
  passThroughKey: string;
  /** Present when the schema was built with the model's preprocessing. */
  checkInto?: InstanceEncode;
}

export interface InstanceOptions {
  /** Per-instance key echoed back in its prediction (e.g. "_key"); "" for none. */
  passThroughKey?: string;
  /** Error details reported per instance. */
  maxDetails?: number;
  /** The model's preprocessing: the schema then also offers `checkInto`. */
  preprocess?: PreprocessState;
}

/**
 * Fields beyond the model's features an instance may carry and still be
 * validated field by field (so a few misspelt names are each reported). More
 * than that is refused before validation: a 1 MB object of unknown keys would
 * otherwise cost a validation error per key.
 */
export const EXTRA_FIELDS_ALLOWED = 16;
/** Longest pass-through string, in characters (code points). */
export const MAX_PASS_THROUGH = 128;

/**
 * Whether `s` has at most `max` characters as JSON Schema's maxLength counts them: code points, so
 * "😀" is 1, not the 2 UTF-16 units `length` counts. A string of at most `max` units needs no count.
 */
export function withinCodePoints(s: string, max: number): boolean {
  if (s.length <= max) return true;
  if (s.length > 2 * max) return false;
  let n = 0;
  for (const _ of s) if (++n > max) return false;
  return true;
}

const finite = type("number").narrow((n, ctx) => Number.isFinite(n) || ctx.mustBe("a finite number"));

/** The pass-through string's bound; its JSON Schema is `maxLength` (instanceSchema's jsonSchema). */
const passThroughLength = (s: string, ctx: { mustBe(expected: string): false }): boolean =>
  withinCodePoints(s, MAX_PASS_THROUGH) || ctx.mustBe(`a string of at most ${MAX_PASS_THROUGH} characters`);
const passThroughString = type("string").narrow(passThroughLength);

/** The JSON Schema of a narrowed type: its base, plus maxLength for the pass-through string. */
function predicateSchema(ctx: { base: Record<string, unknown>; predicate: unknown }): Record<string, unknown> {
  return ctx.predicate === passThroughLength ? { ...ctx.base, maxLength: MAX_PASS_THROUGH } : ctx.base;
}

/**
 * Human description of what a feature accepts, for error details and OpenAPI. `finite` says so
 * for a bounded number too: for a value that was not (1e400 parses as Infinity), "a number from 0
 * to 100" would not say what was wrong with it.
 */
export function expectedFor(f: Feature, finite = false): string {
  let s: string;
  const number = finite ? "a finite number" : "a number";
  if (f.type === "categorical") s = `one of ${f.values.map((v) => JSON.stringify(v)).join(", ")}`;
  else if (f.min !== undefined && f.max !== undefined) s = `${number} from ${f.min} to ${f.max}`;
  else if (f.min !== undefined) s = `${number} >= ${f.min}`;
  else if (f.max !== undefined) s = `${number} <= ${f.max}`;
  else s = "a finite number";
  return f.nullable ? `${s}, or null` : s;
}

function featureType(f: Feature) {
  let t;
  if (f.type === "categorical") t = type.enumerated(...f.values);
  else {
    let n = finite;
    if (f.min !== undefined) n = n.atLeast(f.min);
    if (f.max !== undefined) n = n.atMost(f.max);
    t = n;
  }
  // Data-driven: the union of the two branches' types is not one callable type for TypeScript.
  const described = (f.description ? (t as typeof finite).describe(f.description) : t) as typeof finite;
  return f.nullable ? described.or("null") : described;
}

/** Counts own enumerable keys, stopping once past `limit` (the count is then `limit + 1`). */
function countKeys(o: object, limit: number): number {
  let n = 0;
  for (const k in o) {
    if (Object.prototype.hasOwnProperty.call(o, k) && ++n > limit) break;
  }
  return n;
}

/** The pass-through key in effect: "" when none was asked for, or when a feature has that name (the feature wins). */
function passThroughKeyOf(spec: FeatureSpec, asked: string | undefined): string {
  return asked && !spec.features.some((f) => f.name === asked) ? asked : "";
}

type ArkInstance = { (v: unknown): unknown; toJsonSchema(o: unknown): Record<string, unknown> };

/**
 * The arktype type of one instance: the single definition of what a model
 * accepts (its features, plus the optional pass-through key). Returns the
 * validated row, or arktype's errors.
 *
 * Built from arktype's node schema, not an object literal: in a literal a key
 * is syntax (`x?` optional, `+` undeclared keys, `...` spread, `[string]` an
 * index, a leading backslash an escape), and a feature's name is whatever a
 * CSV header held. Here every name is the plain key it is.
 */
export function instanceType(spec: FeatureSpec, passThroughKey?: string): ArkInstance {
  const required = spec.features.filter((f) => !f.nullable).map((f) => ({ key: f.name, value: featureType(f) }));
  const optional = spec.features.filter((f) => f.nullable).map((f) => ({ key: f.name, value: featureType(f) }));
  const passKey = passThroughKeyOf(spec, passThroughKey);
  if (passKey) optional.push({ key: passKey, value: passThroughString.or(finite).describe("echoed back in this instance's prediction; not a feature") as typeof finite });
  // The schema is data-driven, so its static type is unknown to TypeScript.
  const ark = type.schema({ domain: "object", required, optional, undeclared: "reject" } as never) as unknown as ArkInstance;
  return ownKeysOnly(spec, passKey, ark);
}

/**
 * arktype reads an optional key with `in`, so a nullable feature named like an
 * Object.prototype member ("constructor", "toString") that an instance leaves
 * out would be judged as the inherited function. For a spec with such a name,
 * arktype judges a copy holding only the instance's own keys (a JSON body has
 * nothing else); the fast path (shared/accept.ts) reads own keys likewise.
 */
function ownKeysOnly(spec: FeatureSpec, passKey: string, ark: ArkInstance): ArkInstance {
  const shadowed = spec.features.some((f) => f.name in Object.prototype) || (passKey !== "" && passKey in Object.prototype);
  if (!shadowed) return ark;
  const own = (v: unknown) => (typeof v === "object" && v !== null && !Array.isArray(v) ? Object.assign(Object.create(null) as object, v) : v);
  return Object.assign((v: unknown) => ark(own(v)), { toJsonSchema: (o: unknown) => ark.toJsonSchema(o) });
}

/** The fast accept path for exactly the type `instanceType` builds. */
export function instanceAccept(spec: FeatureSpec, passThroughKey?: string): Accept {
  return acceptPath(spec, passThroughExtra(spec, passThroughKey));
}

/** What the pass-through key in effect accepts, as the fast paths test it; undefined when there is none. */
function passThroughExtra(spec: FeatureSpec, passThroughKey?: string): ExtraKey | undefined {
  const passKey = passThroughKeyOf(spec, passThroughKey);
  const passValue = (v: unknown) => (typeof v === "string" && withinCodePoints(v, MAX_PASS_THROUGH)) || (typeof v === "number" && Number.isFinite(v));
  return passKey ? { name: passKey, test: passValue } : undefined;
}

/** The one-pass accept-and-encode path for exactly the type `instanceType` builds (undefined when the preprocessing does not fit it). */
export function instanceAcceptInto(spec: FeatureSpec, preprocess: PreprocessState, passThroughKey?: string): AcceptInto | undefined {
  return acceptInto(spec, preprocess, passThroughExtra(spec, passThroughKey));
}

export function instanceSchema(spec: FeatureSpec, options: InstanceOptions = {}): InstanceSchema {
  const maxDetails = options.maxDetails ?? 20;
  const byName = new Map<string, Feature>(spec.features.map((f) => [f.name, f]));
  const passKey = passThroughKeyOf(spec, options.passThroughKey);
  const maxFields = byName.size + (passKey ? 1 : 0) + EXTRA_FIELDS_ALLOWED;
  // arktype's type is built on first need (an instance the fast path refuses, or the JSON Schema):
  // a version whose requests are all valid never pays for it on its cold start.
  let ark: ArkInstance | undefined;
  const t = () => (ark ??= instanceType(spec, passKey));
  const accept = instanceAccept(spec, passKey);
  const expectedOf = (key: string, value: unknown) => {
    const f = byName.get(key);
    const infinite = typeof value === "number" && !Number.isFinite(value);
    if (f) return expectedFor(f, infinite);
    if (key === passKey) return `a string of at most ${MAX_PASS_THROUGH} characters or a ${infinite ? "finite " : ""}number (echoed back)`;
    return "no such feature (unknown fields are rejected)";
  };

  const check: InstanceCheck = (instance, index, limit = maxDetails) => {
    if (typeof instance !== "object" || instance === null || Array.isArray(instance)) {
      return { ok: false, details: [{ path: `instances[${index}]`, expected: "an object of feature values", received: describeValue(instance) }] };
    }
    const fields = countKeys(instance, maxFields);
    if (fields > maxFields) {
      return { ok: false, details: [{ path: `instances[${index}]`, expected: `at most ${maxFields} fields (the model has ${byName.size} features)`, received: `more than ${maxFields} fields` }] };
    }
    const out = accept(instance, fields) ?? t()(instance);
    if (!(out instanceof type.errors)) {
      const row = out as Row;
      const echo = passKey ? (row[passKey] as string | number | undefined) : undefined;
      return echo === undefined ? { ok: true, row } : { ok: true, row, passThrough: echo };
    }
    const details: ErrorDetail[] = [];
    for (const e of out) {
      if (details.length >= limit) break;
      const key = String(e.path[0] ?? "");
      const value = key ? cellOf(instance as Row, key) : instance;
      details.push({
        path: `instances[${index}]${key ? `.${describeKey(key)}` : ""}`,
        expected: key ? expectedOf(key, value) : e.expected,
        received: describeValue(value),
      });
    }
    return { ok: false, details };
  };

  const preprocess = options.preprocess;
  const into = preprocess ? instanceAcceptInto(spec, preprocess, passKey) : undefined;
  const nf = spec.features.length;
  const checkInto: InstanceEncode | undefined = preprocess && ((instance, index, limit, out, offset, cells) => {
    if (into && typeof instance === "object" && instance !== null && !Array.isArray(instance)) {
      const adjusted = into(instance, out, offset, cells, index * nf);
      if (adjusted >= 0) {
        const row = instance as Row;
        const echo = passKey ? (row[passKey] as string | number | undefined) : undefined;
        return echo === undefined ? { ok: true, row, adjusted: adjusted === 1 } : { ok: true, row, passThrough: echo, adjusted: adjusted === 1 };
      }
    }
    // Not sure: arktype decides, and an instance it accepts is encoded the usual way (over anything written above).
    const r = check(instance, index, limit);
    if (r.ok && cells) cells.codes.fill(CELL_OTHER, index * nf, (index + 1) * nf);
    return r.ok ? { ...r, adjusted: transformInto(preprocess, r.row, out, offset) } : r;
  });

  let schema: Record<string, unknown> | undefined;
  return {
    check,
    passThroughKey: passKey,
    ...(checkInto ? { checkInto } : {}),
    // JSON cannot carry a non-finite number, so the finite-number predicate has no JSON Schema form: its base (number, bounds) stands.
    // The pass-through string's bound is maxLength, which counts code points as withinCodePoints does.
    jsonSchema: () => (schema ??= t().toJsonSchema({ fallback: { predicate: predicateSchema } })),
  };
}
