/**
 * The two objects the audit log is made of, as pure data: the pointer's `move`
 * (what the last pointer move was, carried by `<name>/current.json` itself so a
 * crash between the pointer swap and the history write loses nothing) and the
 * history record `<name>/history/<seq>.json` that is derived from it, byte for
 * byte, written once. What the edge must agree on (the move, its record and
 * what its signature covers) is in shared/move.ts; this adds the registry's
 * own pointer field (the gc mark) and parsing of stored records.
 */
import { type } from "arktype";
import { parsePointer, VERSION_PATTERN, type Pointer } from "../../shared/artifact.ts";
import { challengersOf, challengersType, normalize, type Challengers } from "../../shared/challengers.ts";
import {
  historyKey, historyPrefix, HISTORY_FORMAT, moveFields, moveOf, recordBytes, recordFromPointer,
  type HistoryRecord, type MoveAction, type PointerMove,
} from "../../shared/move.ts";

export { historyKey, historyPrefix, HISTORY_FORMAT, recordBytes, recordFromPointer };
export type { HistoryRecord, MoveAction, PointerMove };

/** Versions gc is deleting: no move may point at them until gc clears the mark. */
export interface GcMark {
  deleting: string[];
  startedAt: string;
  actor: string;
}

export interface RegistryPointer extends Pointer {
  /** The canary and shadow (shared/challengers.ts); covered by the move's signature. */
  challengers?: Challengers;
  move?: PointerMove;
  gc?: GcMark;
}

const sha = /^[0-9a-f]{64}$/;
const version = VERSION_PATTERN;

const gcType = type({ deleting: type(version).array(), startedAt: "string", actor: "string" });

const recordType = type({
  ...moveFields,
  format: `'${HISTORY_FORMAT}'`,
  name: "string",
  at: "string",
  to: version,
  manifestSha256: sha,
  prevSha256: type(sha).or("null"),
  "challengers?": challengersType,
});

export type PointerParse =
  | { ok: true; pointer: RegistryPointer; warning?: string }
  | { ok: false; error: string };

/**
 * The edge's pointer check, plus the registry's own fields. A malformed `move`
 * or `gc` is dropped with a warning: an edge without signing would still serve the pointer.
 */
export function parseRegistryPointer(text: string): PointerParse {
  const base = parsePointer(text);
  if (!base.ok) return { ok: false, error: base.error };
  const raw = base.value as RegistryPointer;
  const pointer: RegistryPointer = { name: raw.name, version: raw.version, manifestSha256: raw.manifestSha256, publishedAt: raw.publishedAt };
  const warnings: string[] = [];
  const challengers = challengersOf(raw);
  if (!challengers.ok) warnings.push(`the pointer's "challengers" are malformed (${challengers.error}); ignoring them`);
  else if (challengers.challengers) pointer.challengers = challengers.challengers;
  const move = moveOf(raw);
  if (!move.ok) warnings.push(`the pointer's "move" is malformed (${move.error}); treating the pointer as unrecorded`);
  else if (move.move) pointer.move = move.move;
  if (raw.gc !== undefined) {
    const g = gcType(raw.gc);
    if (g instanceof type.errors) warnings.push(`the pointer's "gc" mark is malformed (${g.summary}); ignoring it`);
    else pointer.gc = g;
  }
  return { ok: true, pointer, ...(warnings.length ? { warning: warnings.join("; ") } : {}) };
}

/** The pointer's bytes, fields in a fixed order. */
export function pointerBytes(p: RegistryPointer): Uint8Array {
  const out: RegistryPointer = { name: p.name, version: p.version, manifestSha256: p.manifestSha256, publishedAt: p.publishedAt };
  const challengers = normalize(p.challengers);
  if (challengers) out.challengers = challengers;
  if (p.move) out.move = p.move;
  if (p.gc) out.gc = p.gc;
  return new TextEncoder().encode(JSON.stringify(out));
}

/** The sequence number in a history key, or undefined for a key that is not a record. */
export function seqOfKey(name: string, key: string): number | undefined {
  const m = /^(\d{10})\.json$/.exec(key.slice(historyPrefix(name).length));
  return key.startsWith(historyPrefix(name)) && m ? Number(m[1]) : undefined;
}

export function parseRecord(bytes: Uint8Array): { ok: true; record: HistoryRecord } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    return { ok: false, error: `not valid JSON: ${(e as Error).message}` };
  }
  const r = recordType(json);
  if (r instanceof type.errors) return { ok: false, error: `malformed: ${r.summary}` };
  return { ok: true, record: r as HistoryRecord };
}
