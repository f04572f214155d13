/**
 * Strict JSON request bodies: valid UTF-8 (no silent U+FFFD substitution), valid
 * JSON, and no duplicate keys in any object. `JSON.parse` keeps the last of
 * two equal keys while other parsers keep the first, so a body with
 * `"Income": 50, "Income": 5000` could be read differently by a proxy, a log
 * and this service: for a credit decision it is refused, not guessed.
 */
import { parse as parseTolerant, printParseErrorCode, type ParseError } from "jsonc-parser";
import { describeKey } from "../shared/validate.ts";
import { MAX_KEYS_PER_OBJECT, scanBody } from "./key-scan.ts";

/**
 * A parsed body keeps its text, whether that is all ASCII (then character
 * offsets are byte offsets), and where its instances are (KeyScan).
 */
export type BodyResult = { ok: true; value: unknown; text: string; ascii: boolean; instances: number[] } | { ok: false; code: "invalid_encoding" | "invalid_json" | "duplicate_key" | "invalid_request"; message: string };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * The error of invalid JSON is located by jsonc-parser, which recurses once
 * per nesting level: past this depth it would overflow the stack (`[` x 12,000
 * did, a 500), so deeper invalid bodies get the verdict without a position.
 * Valid bodies of any depth parse (`JSON.parse` does not recurse) and are
 * refused by the envelope or the instance check like any other.
 */
export const LOCATE_MAX_DEPTH = 256;

export function parseJsonBody(bytes: ArrayBuffer): BodyResult {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, code: "invalid_encoding", message: "the body is not valid UTF-8" };
  }
  // UTF-8 spends more bytes on a non-ASCII character than UTF-16 spends units (a removed BOM: 3 bytes, 0 units).
  const ascii = bytes.byteLength === text.length;
  const scan = scanBody(bytes, text, ascii);
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
  return { ok: true, value, text, ascii, instances: scan.instances };
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
  // A bare or single-quoted key ({Age: 30}, {'Age': 30}) scans as an invalid symbol that a missing property name follows.
  const next = errors[1];
  const keyLike = printParseErrorCode(first.error) === "InvalidSymbol" && next !== undefined && printParseErrorCode(next.error) === "PropertyNameExpected";
  const before = text.slice(0, first.offset);
  const line = before.split("\n").length;
  const column = first.offset - before.lastIndexOf("\n");
  const code = keyLike ? "PropertyNameExpected" : printParseErrorCode(first.error);
  return `: ${PROBLEMS[code] ?? code} at line ${line}, column ${column}`;
}
