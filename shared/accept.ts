/**
 * The fast accept path for instances. arktype stays the one definition of what
 * a model accepts and the source of every error detail, but deployed Workers
 * forbid code generation inside a request, so it runs jitless there (about
 * 12 µs an applicant). This closure, built once per model version from the
 * same spec, decides the common case — a valid applicant — with a few typed
 * comparisons and no allocation, and answers `undefined` for anything it is
 * not sure about; the caller then asks arktype, which decides and explains.
 * test/accept.test.ts proves on generated valid, near-valid and hostile
 * instances that this accepts exactly what arktype accepts, with the same row.
 */
import type { Row } from "./preprocess.ts";
import type { Feature, FeatureSpec } from "./spec.ts";

/** `ownKeys`, when the caller has counted them already: the instance's own enumerable keys. */
export type Accept = (instance: object, ownKeys?: number) => Row | undefined;

/** A key that is not a feature but may be sent (the pass-through key), with what it accepts. */
export interface ExtraKey { name: string; test: (v: unknown) => boolean }

type ValueTest = (v: unknown) => boolean;

function valueTest(f: Feature): ValueTest {
  if (f.type === "categorical") {
    const allowed = new Set(f.values);
    return (v) => typeof v === "string" && allowed.has(v);
  }
  const lo = f.min ?? -Infinity;
  const hi = f.max ?? Infinity;
  // `v >= lo && v <= hi` is false for NaN; the infinities fail Number.isFinite.
  return (v) => typeof v === "number" && Number.isFinite(v) && v >= lo && v <= hi;
}

interface Check {
  name: string;
  /** May be left out (a nullable feature, the pass-through key). */
  optional: boolean;
  /** May be null (a nullable feature). */
  nullable: boolean;
  test: ValueTest;
  /** Named like an Object.prototype member ("constructor"): read as an own key only. */
  inherited: boolean;
}

export function acceptPath(spec: FeatureSpec, extra?: ExtraKey): Accept {
  const inherited = (name: string) => name in Object.prototype;
  const checks: Check[] = spec.features.map((f) => ({ name: f.name, optional: f.nullable, nullable: f.nullable, test: valueTest(f), inherited: inherited(f.name) }));
  if (extra) checks.push({ name: extra.name, optional: true, nullable: false, test: extra.test, inherited: inherited(extra.name) });
  const n = checks.length;
  return (instance, ownKeys) => {
    const o = instance as Record<string, unknown>;
    let present = 0;
    for (let i = 0; i < n; i++) {
      const c = checks[i] as Check;
      // Own keys only: a feature named "constructor" that the instance leaves out is missing, not Object's constructor
      // (shared/validate.ts has arktype judge an own-keys copy likewise).
      const v = c.inherited && !Object.hasOwn(o, c.name) ? undefined : o[c.name];
      if (v === undefined) {
        // Absent is fine for an optional key; an explicit undefined is arktype's call.
        if (!c.optional || Object.hasOwn(o, c.name)) return undefined;
        continue;
      }
      present++;
      if (v === null ? !c.nullable : !c.test(v)) return undefined;
    }
    // Every own key must be a feature (or the extra key): unknown fields are rejected, not ignored.
    if ((ownKeys ?? Object.keys(o).length) !== present) return undefined;
    return o as Row;
  };
}
