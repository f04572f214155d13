/**
 * Strict JSON request bodies: valid UTF-8 (no silent U+FFFD substitution), valid
 * JSON, and no duplicate keys in any object. `JSON.parse` keeps the last of
 * two equal keys while other parsers keep the first, so a body with
 * `"Income": 50, "Income": 5000` could be read differently by a proxy, a log
 * and this service: for a credit decision it is refused, not guessed.
 */
import { parse as parseTolerant, printParseErrorCode, type ParseError } from "jsonc-parser";
import { describeKey } from "../shared/validate.ts";

/**
 * A parsed body keeps its text, whether that is all ASCII (then character
 * offsets are byte offsets), and where its instances are (KeyScan).
 */
export type BodyResult = { ok: true; value: unknown; text: string; ascii: boolean; instances: number[] } | { ok: false; code: "invalid_encoding" | "invalid_json" | "duplicate_key" | "invalid_request"; message: string };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * No request object needs more keys than this (a model's features plus a
 * few): an object with more is refused before `JSON.parse` builds it, which
 * for 100,000 keys costs tens of milliseconds of CPU.
 */
export const MAX_KEYS_PER_OBJECT = 4096;

/**
 * The error of invalid JSON is located by jsonc-parser, which recurses once
 * per nesting level: past this depth it would overflow the stack (`[` x 12,000
 * did, a 500), so deeper invalid bodies get the verdict without a position.
 * Valid bodies of any depth parse (`JSON.parse` does not recurse) and are
 * refused by the envelope or the instance check like any other.
 */
export const LOCATE_MAX_DEPTH = 256;

export interface KeyScan {
  /** The first key that appears twice in one object, if any. */
  duplicate?: string;
  /** Set when an object has more than the allowed keys (the scan stops there). */
  tooManyKeys?: boolean;
  /** The deepest nesting of arrays and objects seen. */
  depth: number;
  /**
   * Where each object in the top-level object's first "instances" array
   * starts and ends: [start, end) character offsets, two per object. Decision
   * capture copies these slices of the body as the records' features instead
   * of serialising the parsed objects again (edge/capture/chunk.ts).
   */
  instances: number[];
}

/**
 * One pass over a JSON text: the first key repeated in one object, and
 * whether any object has more than `maxKeys` keys. It tokenises strings
 * exactly (escapes included) and is run before `JSON.parse`, whose verdict on
 * validity still comes first for everything but an oversized object.
 */
export function scanKeys(text: string, maxKeys = MAX_KEYS_PER_OBJECT): KeyScan {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  let duplicate: string | undefined;
  let depth = 0;
  // The top-level object's latest key; 1 while inside its "instances" array, 2 once that array has closed.
  let topKey: string | undefined;
  let inInstances = 0;
  let start = 0;
  const instances: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) { // '"': skip the string, noting it if it is a key
      let j = i + 1;
      while (j < text.length) {
        const c = text.charCodeAt(j);
        if (c === 0x5c) j += 2;
        else if (c === 0x22) break;
        else j++;
      }
      const keys = stack[stack.length - 1];
      if (keys && expectKey) {
        const raw = text.slice(i, j + 1);
        let key: string | undefined;
        try {
          key = raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        } catch {
          // Not valid JSON (JSON.parse will say so), but scan on: the depth is needed to locate the error.
        }
        // Keep scanning after a duplicate: an oversized object later on must still stop the parse.
        if (key !== undefined) {
          if (keys.has(key)) duplicate ??= key;
          else if (keys.size >= maxKeys) return { tooManyKeys: true, depth, instances };
          else keys.add(key);
          if (stack.length === 1) topKey = key;
        }
        expectKey = false;
      }
      i = j;
    } else if (ch === 0x7b) { // {
      if (inInstances === 1 && stack.length === 2) start = i;
      depth = Math.max(depth, stack.push(new Set()));
      expectKey = true;
    } else if (ch === 0x5b) { // [
      if (inInstances === 0 && stack.length === 1 && topKey === "instances" && stack[0] != null) inInstances = 1;
      depth = Math.max(depth, stack.push(null));
      expectKey = false;
    } else if (ch === 0x7d || ch === 0x5d) { // } ]
      if (inInstances === 1 && stack.length === 3 && ch === 0x7d) instances.push(start, i + 1);
      else if (inInstances === 1 && stack.length === 2) inInstances = 2;
      stack.pop();
      expectKey = false;
    } else if (ch === 0x2c) { expectKey = stack[stack.length - 1] != null; } // ,
  }
  return duplicate === undefined ? { depth, instances } : { duplicate, depth, instances };
}

export function parseJsonBody(bytes: ArrayBuffer): BodyResult {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, code: "invalid_encoding", message: "the body is not valid UTF-8" };
  }
  const scan = scanKeys(text);
  if (scan.tooManyKeys) {
    return { ok: false, code: "invalid_request", message: `an object in the body has more than ${MAX_KEYS_PER_OBJECT} fields; an applicant has one field per feature` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: "invalid_json", message: `the body is not valid JSON${whereJsonFails(text, scan.depth)}` };
  }
  if (scan.duplicate !== undefined) {
    return { ok: false, code: "duplicate_key", message: `the key ${JSON.stringify(describeKey(scan.duplicate))} appears twice in one object` };
  }
  // UTF-8 spends more bytes on a non-ASCII character than UTF-16 spends units (a removed BOM: 3 bytes, 0 units).
  return { ok: true, value, text, ascii: bytes.byteLength === text.length, instances: scan.instances };
}

const PROBLEMS: Record<string, string> = {
  InvalidSymbol: "unexpected character", InvalidNumberFormat: "malformed number", PropertyNameExpected: "expected a property name in double quotes",
  ValueExpected: "expected a value", ColonExpected: "expected ':'", CommaExpected: "expected ',' or a closing bracket",
  CloseBraceExpected: "expected '}'", CloseBracketExpected: "expected ']'", EndOfFileExpected: "unexpected text after the JSON value",
  InvalidCommentToken: "comments are not JSON", UnexpectedEndOfComment: "comments are not JSON", UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "malformed number", InvalidUnicode: "invalid \\u escape", InvalidEscapeCharacter: "invalid escape", InvalidCharacter: "control character in a string",
};

/**
 * Where parsing failed, as ": <problem> at line L, column C". `JSON.parse`
 * names a position for some errors only, and quotes the body in others, so
 * the location comes from jsonc-parser (strict options), run only on this
 * error path and only up to LOCATE_MAX_DEPTH. Its scanner ends a string at
 * a line break where JSON's does not (`["\n` + `[` x 12,000 nests 1 deep for
 * scanKeys, 12,001 for jsonc-parser), so a stack overflow is caught too:
 * either way the answer is invalid_json without a position.
 */
function whereJsonFails(text: string, depth: number): string {
  if (text.trim() === "") return ' (the body is empty): send {"instances": [ ... ]}';
  const tooDeep = ` (its arrays and objects nest more than ${LOCATE_MAX_DEPTH} deep; a request needs 3)`;
  if (depth > LOCATE_MAX_DEPTH) return tooDeep;
  const errors: ParseError[] = [];
  try {
    parseTolerant(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  } catch (e) {
    if (e instanceof RangeError) return tooDeep;
    throw e;
  }
  const first = errors[0];
  if (!first) return "";
  const before = text.slice(0, first.offset);
  const line = before.split("\n").length;
  const column = first.offset - before.lastIndexOf("\n");
  const code = printParseErrorCode(first.error);
  return `: ${PROBLEMS[code] ?? code} at line ${line}, column ${column}`;
}
