/**
 * The body's scan (edge/body.ts) says where each instance's object is in the
 * text, so decision capture can copy the features out of the body instead of
 * serialising the parsed objects again. What it promises: for a body the
 * edge accepts, the spans are one per instance, in order, and each slice
 * parses to an object deep-equal to that instance, whatever whitespace,
 * key order, escapes and neighbouring fields the client sent.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJsonBody } from "../edge/body.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const encode = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;

/** JSON text with extra whitespace (spaces, tabs, line breaks) between tokens, never inside strings. */
function spaced(value: unknown, ws: string): string {
  if (Array.isArray(value)) return `[${ws}${value.map((v) => spaced(v, ws)).join(`${ws},${ws}`)}${ws}]`;
  if (typeof value === "object" && value !== null) {
    return `{${ws}${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}${ws}:${ws}${spaced(v, ws)}`).join(`${ws},${ws}`)}${ws}}`;
  }
  return JSON.stringify(value);
}

const text = fc.string({ unit: "binary", maxLength: 6 }).map((s) => s.replace(/[\ud800-\udfff]/g, "x"));
const key = fc.oneof(fc.constantFrom("Income", "instances", "{", "}", "[", "]", '"', "\\", "é", "__proto__"), text);
const leaf = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), text, fc.constant(null), fc.boolean());
const instance = fc.dictionary(key, fc.oneof(leaf, fc.array(leaf, { maxLength: 2 }), fc.dictionary(key, leaf, { maxKeys: 2 })), { maxKeys: 6 });

describe("the body's instance spans", () => {
  it("are one per instance, in order, each slice parsing to that instance", () => {
    fc.assert(fc.property(
      fc.array(instance, { maxLength: 12 }),
      fc.option(fc.oneof(text, fc.dictionary(key, leaf, { maxKeys: 3 }), fc.array(instance, { maxLength: 2 })), { nil: undefined }),
      fc.boolean(),
      fc.constantFrom("", " ", "\n", "\r\n\t ", "  \n  "),
      (instances, other, otherFirst, ws) => {
        const fields: [string, unknown][] = [["instances", instances]];
        if (other !== undefined) fields[otherFirst ? "unshift" : "push"](["id", other]);
        const body = spaced(Object.fromEntries(fields), ws);
        const parsed = parseJsonBody(encode(body));
        if (!parsed.ok) return; // a duplicate key the generator made: refused, never captured
        const value = (parsed.value as { instances: unknown[] }).instances;
        expect(parsed.instances).toHaveLength(2 * value.length);
        value.forEach((v, i) => {
          const slice = parsed.text.slice(parsed.instances[2 * i], parsed.instances[2 * i + 1]);
          expect(slice.startsWith("{") && slice.endsWith("}")).toBe(true);
          expect(JSON.parse(slice)).toEqual(v);
        });
      },
    ), { numRuns: RUNS });
  });

  it("are those of the top-level \"instances\" only, not of an array of that name deeper down", () => {
    const parsed = parseJsonBody(encode('{"id":{"instances":[{"a":1}]},"instances":[{"b":2},{"c":[{"d":3}]}]}'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const slices = [0, 1].map((i) => parsed.text.slice(parsed.instances[2 * i], parsed.instances[2 * i + 1]));
    expect(slices).toEqual(['{"b":2}', '{"c":[{"d":3}]}']);
  });

  it("say whether the text is all ASCII (character offsets are then byte offsets)", () => {
    const ascii = parseJsonBody(encode('{"instances":[{"Home":"rent"}]}'));
    const wide = parseJsonBody(encode('{"instances":[{"Home":"é名😀"}]}'));
    const bom = parseJsonBody(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"instances":[]}')]).buffer);
    expect([ascii.ok && ascii.ascii, wide.ok && wide.ascii, bom.ok && bom.ascii]).toEqual([true, false, false]);
  });
});
