/**
 * A feature's name is whatever a CSV header holds. It is a plain key
 * everywhere: never arktype object-literal syntax (`x?` optional, `+`
 * undeclared keys, `...` spread, `[string]` index signature, a leading
 * backslash as escape), never a name that a plain object inherits
 * (`constructor`, `toString`). The one name a JavaScript object cannot hold as
 * an ordinary key, `__proto__`, is refused at training with a rename to make.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { transform, type Row } from "../shared/preprocess.ts";
import { PreprocessFitter } from "../shared/preprocess-fit.ts";
import type { Feature, FeatureSpec } from "../shared/spec.ts";
import { instanceSchema } from "../shared/validate.ts";
import { inputWarnings } from "../shared/warnings.ts";
import { runJob } from "../train/job.ts";
import { quickJob } from "./helpers/train-fixture.ts";

/** Names that are syntax to arktype, inherited by plain objects, or merely awkward (spaces, quotes, backslashes). */
export const ODD_NAMES = [
  "Amount?", "+", "...", "[string]", "constructor", "toString", "hasOwnProperty", "valueOf",
  "a b", 'say "hi"', "it's", "back\\slash", "\\[x]", "\\+", "\\...", "x\\?", "?", "[", "]", "{}", "string", "number | null", "a.b", "0",
];

const numeric = (name: string, nullable = false): Feature => ({ name, type: "numeric", nullable });
const specOf = (features: Feature[]): FeatureSpec => ({ target: "Status", positive: "bad", negative: "good", features });
/** An instance as the edge receives it: parsed from JSON text, so every key is the instance's own. */
const fromJson = (entries: [string, unknown][]) => JSON.parse(JSON.stringify(Object.fromEntries(entries))) as Record<string, unknown>;

describe("a feature name is a plain key to the instance validator", () => {
  const spec = specOf(ODD_NAMES.map((n) => numeric(n)));
  const full = fromJson(ODD_NAMES.map((n, i) => [n, i + 0.5]));

  it("accepts exactly the declared names, every one of them required: `Amount?` is not optional, `[string]` is not an index, `+` and `...` are not directives", () => {
    const schema = instanceSchema(spec);
    expect(schema.check(full, 0)).toEqual({ ok: true, row: full });
    for (const name of ODD_NAMES) {
      const without = fromJson(ODD_NAMES.filter((n) => n !== name).map((n) => [n, 1]));
      expect(schema.check(without, 0), name).toEqual({ ok: false, details: [{ path: `instances[0].${name}`, expected: "a finite number", received: "missing" }] });
    }
    // `Amount` is not `Amount?`: the first is an unknown field, refused as every unknown field is, and the second is still missing.
    const renamed = fromJson([...ODD_NAMES.filter((n) => n !== "Amount?").map((n): [string, unknown] => [n, 1]), ["Amount", 1]]);
    const r = schema.check(renamed, 3);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.details).toEqual(expect.arrayContaining([
      { path: "instances[3].Amount", expected: "no such feature (unknown fields are rejected)", received: "1" },
      { path: "instances[3].Amount?", expected: "a finite number", received: "missing" },
    ]));
    expect(schema.check({ ...full, zz: 1 }, 0)).toEqual({ ok: false, details: [{ path: "instances[0].zz", expected: "no such feature (unknown fields are rejected)", received: "1" }] });
    expect(schema.check({ ...full, "[string]": "abc" }, 0)).toEqual({ ok: false, details: [{ path: "instances[0].[string]", expected: "a finite number", received: '"abc"' }] });
  });

  it("lets a nullable feature named like an inherited property (constructor, toString) be left out: missing, then imputed and warned about, never read as Object's function", () => {
    const s = specOf([numeric("Amount?"), numeric("constructor", true), { name: "toString", type: "categorical", values: ["a", "b"], nullable: true }]);
    const schema = instanceSchema(s);
    for (const instance of [fromJson([["Amount?", 2]]), fromJson([["Amount?", 2], ["constructor", null], ["toString", null]])]) {
      const r = schema.check(instance, 0);
      expect(r).toEqual({ ok: true, row: instance });
      if (!r.ok) continue;
      const fitter = new PreprocessFitter(s);
      for (const row of [{ "Amount?": 1, constructor: 3, toString: "a" }, { "Amount?": 3, constructor: null, toString: null }]) fitter.add(row);
      const state = fitter.finish();
      expect(transform(state, r.row)).toEqual(transform(state, { "Amount?": 2, constructor: null, toString: null }));
      expect(inputWarnings(state, r.row).map((w) => [w.feature, w.code])).toEqual([["constructor", "imputed"], ["toString", "imputed"]]);
    }
    // Sent as something else, each is still judged on what was sent.
    expect(schema.check(fromJson([["Amount?", 2], ["constructor", "x"]]), 0)).toEqual({
      ok: false, details: [{ path: "instances[0].constructor", expected: "a finite number, or null", received: '"x"' }],
    });
  });

  it("preprocesses the same numbers whatever the names: renaming every feature changes no output, a left-out nullable one included", () => {
    const nullable = new Set(["Amount?", "constructor", "toString"]);
    const odd = specOf(ODD_NAMES.map((n) => numeric(n, nullable.has(n))));
    const plain = specOf(ODD_NAMES.map((n, i) => numeric(`f${i}`, nullable.has(n))));
    // Every third row leaves the nullable features out (the plain twin sends null).
    const rows = Array.from({ length: 40 }, (_, r) => ODD_NAMES.map((n, i) => (r % 3 === 0 && nullable.has(n) ? null : ((r * 7 + i * 13) % 29) - 5 + i / 10)));
    const oddRow = (v: (number | null)[]) => fromJson(ODD_NAMES.flatMap((n, i): [string, unknown][] => (v[i] === null ? [] : [[n, v[i]]])));
    const plainRow = (v: (number | null)[]) => Object.fromEntries(v.map((x, i) => [`f${i}`, x]));
    const oddFit = new PreprocessFitter(odd);
    const plainFit = new PreprocessFitter(plain);
    const schema = instanceSchema(odd);
    const validated = rows.map((v) => {
      const r = schema.check(oddRow(v), 0);
      if (!r.ok) throw new Error(JSON.stringify(r.details));
      oddFit.add(r.row);
      plainFit.add(plainRow(v));
      return r.row;
    });
    const [a, b] = [oddFit.finish(), plainFit.finish()];
    expect(a.width).toBe(b.width);
    validated.forEach((row, r) => expect(transform(a, row)).toEqual(transform(b, plainRow(rows[r]!))));
  });

  it("publishes a JSON Schema that names every feature literally, all required, nothing else allowed", () => {
    const withNullable = specOf([...ODD_NAMES.map((n) => numeric(n)), numeric("maybe?", true)]);
    const schema = instanceSchema(withNullable).jsonSchema() as { properties: Record<string, unknown>; required: string[]; additionalProperties: unknown };
    expect(Object.keys(schema.properties).sort()).toEqual([...ODD_NAMES, "maybe?"].sort());
    expect([...schema.required].sort()).toEqual([...ODD_NAMES].sort());
    expect(schema.additionalProperties).toBe(false);
    const validate = new Ajv2020({ strict: true, allowUnionTypes: true }).compile(schema);
    expect(validate(full)).toBe(true);
    expect(validate({ ...full, "maybe?": null })).toBe(true);
    expect(validate(fromJson(ODD_NAMES.slice(1).map((n) => [n, 1])))).toBe(false);
    expect(validate({ ...full, Amount: 1 })).toBe(false);
  });
});

describe("a name no model can hold is refused at training, with the rename to make", () => {
  const dir = mkdtempSync(join(tmpdir(), "edgescore-names-"));
  const csv = (header: string[]) => {
    const lines = [header.map((h) => `"${h.replace(/"/g, '""')}"`).join(",")];
    for (let i = 0; i < 60; i++) lines.push(header.map((h) => (h === "Status" ? (i % 3 ? "good" : "bad") : String((i * 37) % 11 + 0.5))).join(","));
    const p = join(dir, `${header.length}-${Math.random().toString(36).slice(2)}.csv`);
    writeFileSync(p, `${lines.join("\n")}\n`);
    return p;
  };
  const dryRun = (data: string, ignore: string[] = []) => runJob(quickJob({ data, spec: undefined, testRows: undefined, ignore, dryRun: true }), { log: () => {} });

  it("refuses a column named __proto__ as a feature, naming it and suggesting a rename or --ignore, and keeps every other odd name as it is spelt", async () => {
    const data = csv([...ODD_NAMES, "__proto__", "Status"]);
    await expect(dryRun(data)).rejects.toThrow(/column "__proto__" cannot be a feature name.*rename the column \(e\.g\. to "proto"\).*--ignore __proto__/);
    const ignored = await dryRun(data, ["__proto__"]);
    expect(ignored.spec.features.map((f) => f.name)).toEqual(ODD_NAMES);
  });

  it("refuses a column without a name, saying which one", async () => {
    await expect(dryRun(csv(["Income", "", "Status"]))).rejects.toThrow(/column 2 of the header has no name: give it one/);
  });
});
