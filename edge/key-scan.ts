/**
 * The one pass over a request body before `JSON.parse`: the first key that
 * appears twice in one object, an object with too many keys, the nesting
 * depth, and where the instances are (KeyScan). Two scanners give the same
 * scan: one over the text (any body), and one over the bytes of an ASCII
 * body whose keys have no escapes (every body a client library writes),
 * which finds repeated keys by hashing their bytes instead of building a
 * Set of strings per object: it costs a quarter of the other on 256
 * applicants (test/key-scan.test.ts holds the two to the same answers).
 */

/**
 * No request object needs more keys than this (a model's features plus a
 * few): an object with more is refused before `JSON.parse` builds it, which
 * for 100,000 keys costs tens of milliseconds of CPU.
 */
export const MAX_KEYS_PER_OBJECT = 4096;

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


/**
 * The byte scanner's tables: one per nesting level (only one object is open
 * at a level at a time), each slot [object number, key start, key length].
 * An object with more keys than a table holds, a deeper body, or a key with
 * an escape goes to the text scanner, which decodes keys.
 */
const SLOTS = 512;
const MAX_FAST_KEYS = SLOTS / 2;
const MAX_FAST_DEPTH = 16;
const tables: Int32Array[] = [];
let objects = 0;

/** The text scanner's answer for any body; the byte scanner's when the body is ASCII and it can give one. */
export function scanBody(bytes: ArrayBuffer, text: string, ascii: boolean, maxKeys = MAX_KEYS_PER_OBJECT): KeyScan {
  return (ascii ? scanAsciiKeys(new Uint8Array(bytes), text, maxKeys) : undefined) ?? scanKeys(text, maxKeys);
}

/**
 * scanKeys over the bytes of an ASCII body (`text` is their decoding: the
 * same characters at the same offsets), or undefined where only the text
 * scanner can answer. Two keys of one object are equal exactly when their
 * bytes are, since neither has an escape.
 */
export function scanAsciiKeys(b: Uint8Array, text: string, maxKeys = MAX_KEYS_PER_OBJECT): KeyScan | undefined {
  // Per open container: its object number (0 for an array) and its key count.
  const owner: number[] = [];
  const counts: number[] = [];
  let expectKey = false;
  let duplicate: string | undefined;
  let depth = 0;
  let topIsInstances = false;
  let inInstances = 0;
  let start = 0;
  const instances: number[] = [];
  const n = b.length;
  // A body of n bytes opens fewer than n objects.
  if (objects > 0x3fffffff - n) forgetObjects();
  for (let i = 0; i < n; i++) {
    const ch = b[i] as number;
    if (ch === 0x22) {
      let j = i + 1;
      let h = 0x811c9dc5 | 0;
      let escaped = false;
      while (j < n) {
        const c = b[j] as number;
        if (c === 0x5c) { escaped = true; j += 2; }
        else if (c === 0x22) break;
        else { h = Math.imul(h ^ c, 0x01000193); j++; }
      }
      const level = owner.length - 1;
      const object = level >= 0 ? owner[level] as number : 0;
      if (expectKey && object !== 0) {
        if (escaped) return undefined;
        const count = counts[level] as number;
        // The table stays at most half full, so a probe always ends.
        if (count === MAX_FAST_KEYS) return undefined;
        // Unescaped, the key's end j is its closing quote, or n when the body stops inside it.
        const keyStart = i + 1;
        const length = j - keyStart;
        // As in scanKeys: a repeated key is not counted again, and the count is checked before a new key is kept.
        if (!placeKey(tables[level] as Int32Array, object, h, keyStart, length, b)) duplicate ??= text.slice(keyStart, keyStart + length);
        else if (count >= maxKeys) return { tooManyKeys: true, depth, instances };
        else counts[level] = count + 1;
        if (level === 0) topIsInstances = length === 9 && text.startsWith("instances", keyStart);
        expectKey = false;
      }
      i = j;
    } else if (ch === 0x7b) { // {
      if (inInstances === 1 && owner.length === 2) start = i;
      if (owner.length === MAX_FAST_DEPTH) return undefined;
      tables[owner.length] ??= new Int32Array(3 * SLOTS);
      depth = Math.max(depth, owner.push(++objects));
      counts.push(0);
      expectKey = true;
    } else if (ch === 0x5b) { // [
      if (inInstances === 0 && owner.length === 1 && topIsInstances) inInstances = 1;
      if (owner.length === MAX_FAST_DEPTH) return undefined;
      depth = Math.max(depth, owner.push(0));
      counts.push(0);
      expectKey = false;
    } else if (ch === 0x7d || ch === 0x5d) { // } ]
      if (inInstances === 1 && owner.length === 3 && ch === 0x7d) instances.push(start, i + 1);
      else if (inInstances === 1 && owner.length === 2) inInstances = 2;
      owner.pop();
      counts.pop();
      expectKey = false;
    } else if (ch === 0x2c) { expectKey = owner.length > 0 && owner[owner.length - 1] !== 0; } // ,
  }
  return duplicate === undefined ? { depth, instances } : { duplicate, depth, instances };
}

/** Object numbers run on across requests; before a body could take them past 2^30, every slot is emptied (0 is no object). */
function forgetObjects(): void {
  for (const table of tables) table.fill(0);
  objects = 0;
}

/** Adds a key to its object's table; false when the object already has it. */
function placeKey(table: Int32Array, object: number, hash: number, keyStart: number, length: number, b: Uint8Array): boolean {
  for (let slot = hash & (SLOTS - 1); ; slot = (slot + 1) & (SLOTS - 1)) {
    const at = 3 * slot;
    if (table[at] !== object) {
      table[at] = object;
      table[at + 1] = keyStart;
      table[at + 2] = length;
      return true;
    }
    if (table[at + 2] === length && sameBytes(b, table[at + 1] as number, keyStart, length)) return false;
  }
}

function sameBytes(b: Uint8Array, x: number, y: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (b[x + k] !== b[y + k]) return false;
  return true;
}
