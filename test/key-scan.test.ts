/**
 * The body's two key scanners (edge/key-scan.ts) give one answer. The byte
 * scanner, which serves ASCII bodies, finds repeated keys by hashing their
 * bytes; the text scanner, the reference, keeps a Set of decoded keys. On
 * generated bodies — nested values, repeated keys near and far, keys that
 * collide in the byte scanner's table, escapes in values, whitespace, small
 * key limits, and the same bodies cut short or with a byte changed — each
 * answer the byte scanner gives equals the text scanner's. It declines only
 * what the text scanner must do (an escaped key, too deep, too many keys),
 * and serves the bodies clients send.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scanAsciiKeys, scanKeys, type KeyScan } from "../edge/key-scan.ts";
import { body, readPlainCsv } from "../bench/instances.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const bytesOf = (text: string) => new TextEncoder().encode(text);

/** A few short keys, so that keys repeat within an object; letters that land in one table slot mostly differ in the last byte. */
const key = fc.oneof(
  fc.constantFrom("a", "b", "ab", "ba", "instances", "Income", "id", "", " ", "{", "}", "[", "]", ",", ":", "aa", "aaa"),
  fc.string({ unit: fc.constantFrom(..."abcxyz{}[],: \t"), maxLength: 5 }),
);
const value = fc.string({ unit: "binary-ascii", maxLength: 6 });
const leaf = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), value, fc.constant(null), fc.boolean());

/** JSON text of an object written key by key, so the same key may appear twice (JSON.stringify of an object never does that). */
const objectText = (inner: fc.Arbitrary<string>) =>
  fc.array(fc.tuple(key, inner), { maxLength: 8 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ maxDepth: 4, depthIdentifier: "tree" }, leaf.map((v) => JSON.stringify(v)), objectText(tie("tree") as fc.Arbitrary<string>),
    fc.array(tie("tree") as fc.Arbitrary<string>, { maxLength: 4 }).map((xs) => `[${xs.join(",")}]`)),
}));
/** A request-like body: instances plus other fields, in either order, with whitespace between tokens or none. */
const requestText = fc.tuple(fc.array(objectText(tree), { maxLength: 6 }), fc.array(fc.tuple(key, tree), { maxLength: 3 }), fc.boolean(), fc.constantFrom("", " ", "\n\t"))
  .map(([instances, others, first, ws]) => {
    const fields = [`"instances":[${instances.join(",")}]`, ...others.map(([k, v]) => `${JSON.stringify(k)}:${v}`)];
    if (!first) fields.reverse();
    return `{${ws}${fields.join(`,${ws}`)}${ws}}`;
  });
const anyText = fc.oneof(requestText, tree);

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** What the byte scanner must agree on: everything for valid JSON; for other text, what parseJsonBody reads before JSON.parse gives its verdict. */
function agree(text: string, maxKeys?: number): KeyScan | undefined {
  const fast = scanAsciiKeys(bytesOf(text), text, maxKeys);
  const slow = scanKeys(text, maxKeys);
  if (fast === undefined) {
    // Declined: a key with an escape, or more nesting or keys than its tables hold.
    expect(text.includes("\\") || slow.depth >= 16 || text.split(":").length > 256).toBe(true);
    return undefined;
  }
  if (isJson(text)) expect(fast).toEqual(slow);
  else expect([fast.tooManyKeys, fast.depth]).toEqual([slow.tooManyKeys, slow.depth]);
  return fast;
}

describe("the byte scanner", () => {
  it("answers as the text scanner does on generated bodies", () => {
    fc.assert(fc.property(anyText, (text) => void agree(text)), { numRuns: RUNS });
  });

  it("answers as the text scanner does with a small key limit", () => {
    fc.assert(fc.property(anyText, fc.integer({ min: 0, max: 4 }), (text, maxKeys) => void agree(text, maxKeys)), { numRuns: RUNS });
  });

  it("answers as the text scanner does on bodies cut short or with a byte changed", () => {
    const ascii = fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c));
    fc.assert(fc.property(requestText, fc.nat(), fc.oneof(fc.constant(undefined), ascii), (text, at, byte) => {
      const i = text.length ? at % text.length : 0;
      void agree(byte === undefined ? text.slice(0, i) : text.slice(0, i) + byte + text.slice(i + 1));
    }), { numRuns: RUNS });
  });

  it("finds repeated keys in every object, whatever is nested between them, and names the first", () => {
    const text = '{"instances":[{"a":1,"b":{"a":2,"c":[{"b":3}]},"c":4,"b":5},{"x":{"y":1,"y":2}}],"id":"q"}';
    expect(agree(text)).toEqual({ duplicate: "b", depth: 6, instances: [14, 59, 60, 79] });
    // Many keys in one object that share the table's slots, then one repeated: found, and a second object starts clean.
    const many = Array.from({ length: 200 }, (_, i) => `"k${i}":${i}`).join(",");
    expect(agree(`{"instances":[{${many},"k199":0}]}`)?.duplicate).toBe("k199");
    expect(agree(`{"instances":[{${many}},{${many}}]}`)?.duplicate).toBeUndefined();
    // 240 keys of one length that differ in their last two bytes: slots are shared, and only equal bytes are a repeat.
    const letters = [..."abcdefghijklmnop"];
    const alike = letters.flatMap((x) => letters.slice(1).map((y) => `"k${x}${y}":0`)).join(",");
    expect(agree(`{${alike}}`)).toEqual({ depth: 1, instances: [] });
  });

  it("tells apart many keys of one length that differ in one byte, and finds the one repeated", () => {
    // 120–250 distinct keys of five letters from four: the table is up to half full, probes pass over other keys'
    // slots, and most keys have siblings that differ from them in one byte only.
    const word = fc.string({ unit: fc.constantFrom("a", "b", "c", "d"), minLength: 5, maxLength: 5 });
    fc.assert(fc.property(fc.uniqueArray(word, { minLength: 120, maxLength: 250 }), fc.nat(), (words, pick) => {
      const fields = words.map((w, i) => `"${w}":${i}`);
      expect(agree(`{"instances":[{${fields.join(",")}}]}`)?.duplicate).toBeUndefined();
      const again = words[pick % words.length] as string;
      expect(agree(`{"instances":[{${fields.join(",")},"${again}":0}]}`)?.duplicate).toBe(again);
    }), { numRuns: Math.max(50, RUNS / 3) });
  });

  it("refuses an object past the key limit as the text scanner does, and leaves one past its table to it", () => {
    const keys = (n: number) => Array.from({ length: n }, (_, i) => `"k${i}":0`).join(",");
    expect(agree(`{"instances":[{${keys(5)}}]}`, 4)).toMatchObject({ tooManyKeys: true });
    expect(agree(`{"instances":[{${keys(4)},"k0":1}]}`, 4)).toMatchObject({ duplicate: "k0" });
    // A repeated key is not counted twice: four distinct keys fit a limit of four.
    expect(agree(`{"a":0,"a":1,"b":2,"c":3,"d":4}`, 4)).toEqual({ duplicate: "a", depth: 1, instances: [] });
    expect(scanAsciiKeys(bytesOf(`{${keys(300)}}`), `{${keys(300)}}`)).toBeUndefined();
  });

  it("serves the bodies clients send: the bundled applicants, 256 at a time", () => {
    const { header, rows } = readPlainCsv("data/credit_data.csv");
    const instances = rows.slice(0, 256).map((r) => Object.fromEntries(header.map((h, c) => [h, r[c] === "" ? null : Number.isNaN(Number(r[c])) ? r[c] : Number(r[c])])));
    const text = body(instances as Parameters<typeof body>[0]);
    const scan = agree(text);
    expect(scan?.instances).toHaveLength(512);
  });
});
