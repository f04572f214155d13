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
import type { FeatureSpec } from "../shared/spec.ts";
import { type } from "arktype";
import { instanceAccept, instanceType } from "../shared/validate.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { hostile, nearValid, validInstance } from "./helpers/instance-arbitraries.ts";

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

  it("counts a pass-through string's characters as JSON Schema does (code points): 128 emoji pass, 129 do not", () => {
    const s = creditSpec();
    const accept = instanceAccept(s, "_key");
    const arktype = instanceType(s, "_key");
    const instance = fixtures().parity[0]!.instance;
    for (const [n, ok] of [[128, true], [129, false]] as const) {
      const withKey = { ...instance, _key: "😀".repeat(n) };
      expect([n, accept(withKey) !== undefined, !(arktype(withKey) instanceof type.errors)]).toEqual([n, ok, ok]);
    }
  });

  it("refuses, for arktype to explain, an instance with an unknown field even when every feature is valid", () => {
    const s = awkwardSpec;
    const accept = instanceAccept(s);
    expect(accept({ toString: "a", ratio: 0.5, n: 3 })).toBeDefined();
    expect(accept({ toString: "a", ratio: 0.5, n: 3, extra: 1 })).toBeUndefined();
    expect(accept({ ratio: 0.5, n: 3 })).toBeUndefined();
  });
});
