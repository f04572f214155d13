/**
 * What the commands print. Column names, cells, file names and manifest text
 * come from files anyone can write, and a terminal obeys control characters
 * in them: ESC starts sequences that recolour, move the cursor, retitle the
 * window or write to the clipboard; CR lets a line overwrite the one before;
 * bidi overrides reorder what is shown. Everything printed goes through here
 * so those arrive as visible escapes (`\x1b`, `\x07`, `\r`, `\u202e`).
 */

/** C0 controls but newline (messages are multi-line by design), DEL, C1 controls, bidi marks and overrides. */
const UNSAFE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string, width: number) => (c.codePointAt(0) as number).toString(16).padStart(width, "0");

/** `text` with every unsafe character as a visible escape: `\x1b` for C0/C1 and DEL, `\u202e` above. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => (c <= "\xff" ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/**
 * One JSON document, safe on a terminal: JSON.stringify already escapes C0
 * controls but leaves DEL, C1 controls and bidi marks raw; as `\u` escapes
 * they mean the same characters to any JSON parser.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, (c) => `\\u${hex(c, 4)}`);
}

/** A log line on stderr, escaped. */
export function log(line: string): void {
  process.stderr.write(`${printable(line)}\n`);
}

/** Text on stdout (tables, listings), escaped. */
export function print(text: string): void {
  process.stdout.write(printable(text));
}
