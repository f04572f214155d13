/**
 * A pointer move as both sides see it. The trainer writes each move into
 * `<name>/current.json` (the pointer's `move`) and, byte for byte the same,
 * into the history record `<name>/history/<seq>.json`; the signature over the
 * record's bytes (without its signatures) therefore covers the pointer's
 * version, manifest hash, time and sequence number and the record at once.
 * The edge checks that signature and the sequence before it loads a version.
 */
import { type } from "arktype";
import { keys, VERSION_PATTERN, type Pointer } from "./artifact.ts";
import { challengerRef, normalize, type ChallengerRef, type Challengers } from "./challengers.ts";
import { MOVE_PAYLOAD, verifySignatures, type Signature, type SignatureCheck, type TrustedKeys } from "./signing.ts";

export const HISTORY_FORMAT = "edgescore.history/v1";

/**
 * publish, promote, rollback: move current. candidate: a version published
 * without moving current (the move names it). canary, canary-stop, shadow,
 * shadow-stop: change the pointer's challengers; current stays.
 */
export type MoveAction = "publish" | "promote" | "rollback" | "candidate" | "canary" | "canary-stop" | "shadow" | "shadow-stop";

/** A pointer as the edge and the registry read it: current plus its challengers. */
export type ChallengedPointer = Pointer & { challengers?: Challengers | undefined };

/** What the pointer says about the move that set it. */
export interface PointerMove {
  /** 1 for the first recorded move, then +1 per move. */
  seq: number;
  action: MoveAction;
  /** The version that was current before; null for the first, or when the pointer was unreadable. */
  from: string | null;
  reason: string;
  actor: string;
  /** Code revision of the trainer that built the version the move is about (current; a candidate's or challenger's own), where known. */
  revision: string | null;
  /** sha256 of the training data of the version now current, where known. */
  dataSha256: string | null;
  /** The feature-signature differences accepted with --allow-signature-change. */
  signatureChange?: string[];
  /** A candidate publish: the version published (current is unchanged). */
  candidate?: ChallengerRef;
  /** sha256 of history record seq - 1, exactly as stored; null for the first. */
  prevRecordSha256: string | null;
  /** Ed25519 signatures over the record this move stands for (absent: an unsigned store). */
  signatures?: Signature[];
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
  candidate?: ChallengerRef;
  /** The pointer's challengers after the move (absent: none). */
  challengers?: Challengers;
  prevSha256: string | null;
  signatures?: Signature[];
}

const sha = /^[0-9a-f]{64}$/;
export const actions = "'publish' | 'promote' | 'rollback' | 'candidate' | 'canary' | 'canary-stop' | 'shadow' | 'shadow-stop'";
export const signatureList = type({ keyid: "string", sig: "string" }).array();

/** What a move says, in the pointer and in its record alike. */
export const moveFields = {
  seq: "number.integer >= 1",
  action: actions,
  from: type(VERSION_PATTERN).or("null"),
  reason: "string",
  actor: "string",
  revision: "string | null",
  dataSha256: type(sha).or("null"),
  "signatureChange?": "string[]",
  "candidate?": challengerRef,
  "signatures?": signatureList,
} as const;

export const moveType = type({ ...moveFields, prevRecordSha256: type(sha).or("null") });

export type MoveParse = { ok: true; move: PointerMove | undefined } | { ok: false; error: string };

/** The `move` a parsed pointer carries (undefined for a pointer written before the history). */
export function moveOf(raw: unknown): MoveParse {
  const m = (raw as { move?: unknown } | null)?.move;
  if (m === undefined) return { ok: true, move: undefined };
  const out = moveType(m);
  if (out instanceof type.errors) return { ok: false, error: out.summary };
  return { ok: true, move: out as PointerMove };
}

export const historyPrefix = (name: string) => `${keys.pointer(name).slice(0, -"current.json".length)}history/`;

/** Zero-padded so keys list in order: `credit-risk/history/0000000007.json`. */
export function historyKey(name: string, seq: number): string {
  return `${historyPrefix(name)}${String(seq).padStart(10, "0")}.json`;
}

/** The record a recorded pointer stands for. Deterministic: any command derives the same bytes. */
export function recordFromPointer(p: ChallengedPointer & { move: PointerMove }): HistoryRecord {
  const m = p.move;
  const challengers = normalize(p.challengers);
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
    ...(m.candidate ? { candidate: { version: m.candidate.version, manifestSha256: m.candidate.manifestSha256 } } : {}),
    ...(challengers ? { challengers } : {}),
    prevSha256: m.prevRecordSha256,
    ...(m.signatures ? { signatures: m.signatures } : {}),
  };
}

export function recordBytes(r: HistoryRecord): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(r)}\n`);
}

/** What a move's signatures sign: its record's bytes without the signatures. */
export function movePayload(r: HistoryRecord): Uint8Array {
  const { signatures: _, ...unsigned } = r;
  return recordBytes(unsigned);
}

/** Whether a record (or the pointer's move, through its record) is signed by a trusted key. */
export function verifyRecord(trusted: TrustedKeys, r: HistoryRecord): Promise<SignatureCheck> {
  return verifySignatures(trusted, MOVE_PAYLOAD, movePayload(r), r.signatures);
}

/** Whether a pointer's own move is signed by a trusted key; a pointer without a move is not. */
export async function verifyMove(trusted: TrustedKeys, p: ChallengedPointer & { move?: PointerMove | undefined }): Promise<SignatureCheck> {
  return p.move ? verifyRecord(trusted, recordFromPointer({ ...p, move: p.move })) : { ok: false, error: "it carries no signed move" };
}
