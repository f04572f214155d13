/**
 * The two objects the audit log is made of, as pure data: the pointer's `move`
 * (what the last pointer move was, carried by `<name>/current.json` itself so a
 * crash between the pointer swap and the history write loses nothing) and the
 * history record `<name>/history/<seq>.json` that is derived from it, byte for
 * byte, written once. The edge's pointer parser (shared/artifact.ts) ignores
 * the extra fields.
 */
import { type } from "arktype";
import { parsePointer, VERSION_PATTERN, type Pointer } from "../../shared/artifact.ts";

export const HISTORY_FORMAT = "edgescore.history/v1";

export type MoveAction = "publish" | "promote" | "rollback";

/** What the pointer says about the move that set it. */
export interface PointerMove {
  /** 1 for the first recorded move, then +1 per move. */
  seq: number;
  action: MoveAction;
  /** The version that was current before; null for the first, or when the pointer was unreadable. */
  from: string | null;
  reason: string;
  actor: string;
  /** Code revision of the trainer that built the version now current, where known. */
  revision: string | null;
  /** sha256 of the training data of the version now current, where known. */
  dataSha256: string | null;
  /** The feature-signature differences accepted with --allow-signature-change. */
  signatureChange?: string[];
  /** sha256 of history record seq - 1, exactly as stored; null for the first. */
  prevRecordSha256: string | null;
}

/** Versions gc is deleting: no move may point at them until gc clears the mark. */
export interface GcMark {
  deleting: string[];
  startedAt: string;
  actor: string;
}

export interface RegistryPointer extends Pointer {
  move?: PointerMove;
  gc?: GcMark;
}

/** One pointer move, as written to `<name>/history/<seq>.json`. */
export interface HistoryRecord {
  format: typeof HISTORY_FORMAT;
  name: string;
  seq: number;
  /** When the pointer was swapped (the pointer's publishedAt). */
  at: string;
  action: MoveAction;
  from: string | null;
  to: string;
  manifestSha256: string;
  reason: string;
  actor: string;
  revision: string | null;
  dataSha256: string | null;
  signatureChange?: string[];
  prevSha256: string | null;
}

const sha = /^[0-9a-f]{64}$/;
const version = VERSION_PATTERN;
const actions = "'publish' | 'promote' | 'rollback'";

/** What a move says, in the pointer and in its record alike. */
const moveFields = {
  seq: "number.integer >= 1",
  action: actions,
  from: type(version).or("null"),
  reason: "string",
  actor: "string",
  revision: "string | null",
  dataSha256: type(sha).or("null"),
  "signatureChange?": "string[]",
} as const;

const moveType = type({ ...moveFields, prevRecordSha256: type(sha).or("null") });

const gcType = type({ deleting: type(version).array(), startedAt: "string", actor: "string" });

const recordType = type({
  ...moveFields,
  format: `'${HISTORY_FORMAT}'`,
  name: "string",
  at: "string",
  to: version,
  manifestSha256: sha,
  prevSha256: type(sha).or("null"),
});

export type PointerParse =
  | { ok: true; pointer: RegistryPointer; warning?: string }
  | { ok: false; error: string };

/**
 * The edge's pointer check, plus the registry's own fields. A malformed `move`
 * or `gc` is dropped with a warning: the edge would still serve the pointer.
 */
export function parseRegistryPointer(text: string): PointerParse {
  const base = parsePointer(text);
  if (!base.ok) return { ok: false, error: base.error };
  const raw = base.value as RegistryPointer;
  const pointer: RegistryPointer = { name: raw.name, version: raw.version, manifestSha256: raw.manifestSha256, publishedAt: raw.publishedAt };
  const warnings: string[] = [];
  if (raw.move !== undefined) {
    const m = moveType(raw.move);
    if (m instanceof type.errors) warnings.push(`the pointer's "move" is malformed (${m.summary}); treating the pointer as unrecorded`);
    else pointer.move = m as PointerMove;
  }
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
  if (p.move) out.move = p.move;
  if (p.gc) out.gc = p.gc;
  return new TextEncoder().encode(JSON.stringify(out));
}

export const historyPrefix = (name: string) => `${name}/history/`;

/** Zero-padded so keys list in order: `credit-risk/history/0000000007.json`. */
export function historyKey(name: string, seq: number): string {
  return `${historyPrefix(name)}${String(seq).padStart(10, "0")}.json`;
}

/** The sequence number in a history key, or undefined for a key that is not a record. */
export function seqOfKey(name: string, key: string): number | undefined {
  const m = /^(\d{10})\.json$/.exec(key.slice(historyPrefix(name).length));
  return key.startsWith(historyPrefix(name)) && m ? Number(m[1]) : undefined;
}

/** The record a recorded pointer stands for. Deterministic: any command derives the same bytes. */
export function recordFromPointer(p: RegistryPointer & { move: PointerMove }): HistoryRecord {
  const m = p.move;
  return {
    format: HISTORY_FORMAT,
    name: p.name,
    seq: m.seq,
    at: p.publishedAt,
    action: m.action,
    from: m.from,
    to: p.version,
    manifestSha256: p.manifestSha256,
    reason: m.reason,
    actor: m.actor,
    revision: m.revision,
    dataSha256: m.dataSha256,
    ...(m.signatureChange ? { signatureChange: m.signatureChange } : {}),
    prevSha256: m.prevRecordSha256,
  };
}

export function recordBytes(r: HistoryRecord): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(r)}\n`);
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

