/**
 * Request validation derived from a model's feature spec (arktype, built once
 * per model version). Unknown fields are rejected rather than ignored: a
 * misspelt "income" would otherwise be silently imputed and change the score.
 */
import { type } from "arktype";
import type { Row } from "./preprocess.ts";
import type { Feature, FeatureSpec } from "./spec.ts";
import { acceptPath } from "./accept.ts";

/** One problem with a request, by path: what the field accepts and what was sent (shortened). */
export interface ErrorDetail {
  /** e.g. `instances[3].Income` */
  path: string;
  expected: string;
  received: string;
}

/** A short, safe rendering of a received value: never echoes a huge body back. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "missing";
  let s: string;
  try {
    s = typeof v === "string" ? JSON.stringify(v) : typeof v === "number" && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export type InstanceCheck = (instance: unknown, index: number) => { ok: true; row: Row } | { ok: false; details: ErrorDetail[] };

const finite = type("number").narrow((n, ctx) => Number.isFinite(n) || ctx.mustBe("a finite number"));

/** Human description of what a feature accepts, for error details and OpenAPI. */
export function expectedFor(f: Feature): string {
  let s: string;
  if (f.type === "categorical") s = `one of ${f.values.map((v) => JSON.stringify(v)).join(", ")}`;
  else if (f.min !== undefined && f.max !== undefined) s = `a number from ${f.min} to ${f.max}`;
  else if (f.min !== undefined) s = `a number >= ${f.min}`;
  else if (f.max !== undefined) s = `a number <= ${f.max}`;
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
  return f.nullable ? t.or("null") : t;
}

/**
 * The arktype type of one instance: the single definition of what a model
 * accepts. Returns the validated row, or arktype's errors.
 */
export function instanceType(spec: FeatureSpec): (v: unknown) => unknown {
  const def: Record<string, unknown> = { "+": "reject" };
  for (const f of spec.features) def[f.nullable ? `${f.name}?` : f.name] = featureType(f);
  // The definition is data-driven, so its static type is unknown to TypeScript.
  return type(def as never) as unknown as (v: unknown) => unknown;
}

export function instanceValidator(spec: FeatureSpec, maxDetails = 20): InstanceCheck {
  const byName = new Map<string, Feature>(spec.features.map((f) => [f.name, f]));
  const validate = instanceType(spec);
  // Valid applicants take the fast path (shared/accept.ts); arktype decides and explains the rest.
  const accept = acceptPath(spec);
  return (instance, index) => {
    if (typeof instance !== "object" || instance === null || Array.isArray(instance)) {
      return { ok: false, details: [{ path: `instances[${index}]`, expected: "an object of feature values", received: describeValue(instance) }] };
    }
    const fast = accept(instance);
    if (fast) return { ok: true, row: fast };
    const out = validate(instance);
    if (!(out instanceof type.errors)) return { ok: true, row: out as Row };
    const details: ErrorDetail[] = [];
    for (const e of out) {
      if (details.length >= maxDetails) break;
      const key = String(e.path[0] ?? "");
      const f = byName.get(key);
      details.push({
        path: `instances[${index}]${key ? `.${key}` : ""}`,
        expected: f ? expectedFor(f) : key ? "no such feature (unknown fields are rejected)" : e.expected,
        received: describeValue(key ? (instance as Record<string, unknown>)[key] : instance),
      });
    }
    return { ok: false, details };
  };
}
