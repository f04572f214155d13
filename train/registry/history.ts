/**
 * The history log in the store: one immutable object per pointer move,
 * `<name>/history/<seq>.json`, written once (`If-None-Match: *`). The pointer
 * carries its own move, so a record missing after a crash is written from the
 * pointer (`recordPointer`), byte for byte what the mover would have written,
 * by the next move or `history --repair`, and only when the move's signature
 * verifies.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { keys } from "../../shared/artifact.ts";
import { sha256Hex } from "../../shared/hash.ts";
import { putIfAbsent, readPointer } from "../store/publish.ts";
import { describeS3Error, getObjectBytes, objectName } from "../store/storage.ts";
import { verifyMove, verifyRecord } from "../../shared/move.ts";
import type { Location } from "../store/versions.ts";
import type { Challengers } from "../../shared/challengers.ts";
import { RegistryError } from "./errors.ts";
import {
  historyKey, historyPrefix, parseRecord, parseRegistryPointer, recordBytes, recordFromPointer, seqOfKey,
  type HistoryRecord, type PointerMove, type RegistryPointer,
} from "./records.ts";

export interface PointerState {
  pointer?: RegistryPointer;
  etag?: string;
  /** Set when a pointer object exists but is not a valid pointer: why. */
  broken?: string;
  /** A recoverable oddity (malformed move or gc mark). */
  warning?: string;
}

export interface StoredRecord {
  seq: number;
  key: string;
  bytes: Uint8Array;
  /** Undefined when the bytes do not parse; `problem` says why. */
  record?: HistoryRecord;
  problem?: string;
}


function storageError(e: unknown, action: string): RegistryError {
  return e instanceof RegistryError ? e : new RegistryError(describeS3Error(e, action), "storage");
}

export async function readPointerState(l: Location): Promise<PointerState> {
  let current;
  try {
    current = await readPointer(l);
  } catch (e) {
    throw new RegistryError((e as Error).message, "storage");
  }
  if (current.raw === undefined) return {};
  const etag = current.etag ? { etag: current.etag } : {};
  const parsed = parseRegistryPointer(current.raw);
  // The parser's words may quote the object's bytes: its line breaks would split one message over lines.
  if (!parsed.ok) return { ...etag, broken: `${objectName(l, keys.pointer(l.name))} is not a valid pointer: ${parsed.error.replace(/[\r\n]+/g, " ")}` };
  if (parsed.pointer.name !== l.name) return { ...etag, broken: `${objectName(l, keys.pointer(l.name))} names model "${parsed.pointer.name}"` };
  return { ...etag, pointer: parsed.pointer, ...(parsed.warning ? { warning: parsed.warning } : {}) };
}

/** Sequence numbers present in the log, ascending. */
export async function listHistorySeqs(l: Location): Promise<number[]> {
  const prefix = historyPrefix(l.name);
  const seqs: number[] = [];
  let token: string | undefined;
  try {
    do {
      const out = await l.client.send(new ListObjectsV2Command({ Bucket: l.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of out.Contents ?? []) {
        const seq = o.Key ? seqOfKey(l.name, o.Key) : undefined;
        if (seq !== undefined) seqs.push(seq);
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  } catch (e) {
    throw storageError(e, `listing ${objectName(l, prefix)}`);
  }
  return seqs.sort((a, b) => a - b);
}

async function readRecordBytes(l: Location, seq: number): Promise<Uint8Array | undefined> {
  const key = historyKey(l.name, seq);
  try {
    return await getObjectBytes(l.client, l.bucket, key);
  } catch (e) {
    throw storageError(e, `reading ${objectName(l, key)}`);
  }
}

/** Every record in the log, ascending, each parsed (or with the problem named). */
export async function readHistory(l: Location): Promise<StoredRecord[]> {
  const seqs = await listHistorySeqs(l);
  const out: StoredRecord[] = [];
  // A few reads at a time: a long log should not open hundreds of sockets at once.
  for (let i = 0; i < seqs.length; i += 16) {
    const batch = await Promise.all(seqs.slice(i, i + 16).map(async (seq): Promise<StoredRecord | undefined> => {
      const bytes = await readRecordBytes(l, seq);
      if (!bytes) return undefined; // deleted between list and read
      const parsed = parseRecord(bytes);
      return { seq, key: historyKey(l.name, seq), bytes, ...(parsed.ok ? { record: parsed.record } : { problem: parsed.error }) };
    }));
    for (const r of batch) if (r) out.push(r);
  }
  return out;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);

/**
 * Refuses to write a record for a move that is not validly signed: a forger
 * who can write the pointer must not get the history to vouch for the move.
 * An unsigned move passes only on an unsigned store (no trusted keys).
 */
async function checkMoveSignature(l: Location, record: HistoryRecord): Promise<void> {
  const trusted = l.signing?.trusted;
  const refuse = (why: string) => new RegistryError(
    `refusing to write history record ${record.seq} (${record.action} to ${record.to}) from the pointer: ${why}. ` +
    "If nobody with the signing key made this move, the pointer was forged: promote the right version (a signed move), then check with npm run models -- history --verify",
    "signature_invalid",
  );
  if (!trusted?.size) {
    if (record.signatures?.length) throw refuse("the move is signed, but no trusted keys are set to check it (MODEL_SIGNING_KEYS or EDGESCORE_SIGNING_KEY)");
    return;
  }
  const check = await verifyRecord(trusted, record);
  if (!check.ok) throw refuse(`the move is not validly signed (${check.error})`);
}

/** On a signed store, whether the pointer's move verifies (always true on an unsigned store). */
export async function pointerTrusted(l: Location, state: PointerState): Promise<boolean> {
  const p = state.pointer;
  const trusted = l.signing?.trusted;
  if (!p || !trusted?.size) return true;
  return (await verifyMove(trusted, p)).ok;
}

/**
 * With trusted keys, refuses a pointer whose move no trusted key signed (or
 * that carries none): what a command derives from the pointer (rollback's
 * target, sign's "current") must not be what a bucket writer put there. The
 * edge refuses such a pointer too, so "current" is then not what it serves.
 */
export async function requireSignedPointer(l: Location, state: PointerState, instead: string): Promise<void> {
  const trusted = l.signing?.trusted;
  const p = state.pointer;
  if (!trusted?.size || !p) return;
  const check = await verifyMove(trusted, p);
  if (check.ok) return;
  throw new RegistryError(
    `the pointer of "${l.name}" (${p.version}) is not a signed move: ${check.error}; an edge with MODEL_SIGNING_KEYS refuses it, ` +
    `so it may be forged and is not acted on. ${instead}; npm run models -- history --verify shows what happened`,
    "signature_invalid",
  );
}

/**
 * Makes sure the move the pointer carries is in the log: writes its record if
 * missing (a crash after the swap) and its signature verifies, checks it if
 * present. Returns the record's bytes, or undefined for a pointer without a
 * move (written before the log). A stored record that differs from the
 * pointer's move is `history_broken`: chaining the next move onto it would
 * vouch for an edited record.
 */
export async function recordPointer(l: Location, pointer: RegistryPointer | undefined): Promise<{ seq: number; bytes: Uint8Array; written: boolean } | undefined> {
  if (!pointer?.move) return undefined;
  const move: PointerMove = pointer.move;
  const record = recordFromPointer({ ...pointer, move });
  const bytes = recordBytes(record);
  const key = historyKey(l.name, move.seq);
  // Read first: the usual case is "already there".
  let stored = await readRecordBytes(l, move.seq);
  // A signed move is checked even when its record exists: a writer can add a record matching a forged one, and the next move would link to it.
  if (!stored || (l.signing?.trusted.size && move.signatures?.length)) await checkMoveSignature(l, record);
  if (!stored) {
    let outcome: "written" | "exists";
    try {
      outcome = await putIfAbsent(l.client, l.bucket, key, bytes);
    } catch (e) {
      throw storageError(e, `writing ${objectName(l, key)}`);
    }
    if (outcome === "written") return { seq: move.seq, bytes, written: true };
    stored = await readRecordBytes(l, move.seq); // another command wrote it meanwhile
  }
  if (stored && !sameBytes(stored, bytes)) {
    throw new RegistryError(
      `${objectName(l, key)} does not match the move the pointer records (seq ${move.seq}, ${move.action} to ${pointer.version}): the history or the pointer was edited; ` +
      "`npm run models -- history --verify` shows where",
      "history_broken",
    );
  }
  return { seq: move.seq, bytes, written: false };
}

export interface Link {
  seq: number;
  prevRecordSha256: string | null;
  /**
   * Set when the pointer cannot say where the move starts — its own move is not validly signed, or the pointer
   * is missing or damaged while the history has records: where the last record left the pointer, and why the
   * pointer is passed over. The move then follows that record, so the chain stays whole.
   */
  passedOver?: { from: string | null; challengers?: Challengers | undefined; why: string };
}

/** The history's last record: its seq, its bytes as stored (undefined when unreadable) and their parse. */
interface LastRecord { seq: number; bytes?: Uint8Array; record?: ReturnType<typeof parseRecord> }

async function lastRecord(l: Location): Promise<LastRecord | undefined> {
  const seq = (await listHistorySeqs(l)).at(-1);
  if (seq === undefined) return undefined;
  const bytes = await readRecordBytes(l, seq);
  return { seq, ...(bytes ? { bytes, record: parseRecord(bytes) } : {}) };
}

/** The link of a move that passes the pointer over: it follows the last record, from where that record left the pointer. */
async function following(last: LastRecord | undefined, why: string): Promise<Link> {
  const record = last?.record?.ok ? last.record.record : undefined;
  return {
    seq: (last?.seq ?? 0) + 1,
    prevRecordSha256: last?.bytes ? await sha256Hex(last.bytes) : null,
    passedOver: { from: record ? record.to : null, challengers: record?.challengers, why },
  };
}

/**
 * Where the next move goes in the log: its sequence number and the sha256 of
 * the record before it. On a signed store a pointer whose move does not
 * verify (a forgery) is never recorded: the next move links to the last
 * record and moves from where that record left the pointer, so an operator
 * can promote the right version over a forged pointer. So does a move over a
 * pointer that was deleted or damaged outside the registry while the history
 * has records: moving "from nothing" would break the chain at that record for
 * good (`history --verify` would fail on every run after it).
 */
export async function nextLink(l: Location, state: PointerState): Promise<Link> {
  const p = state.pointer;
  const trusted = l.signing?.trusted;
  if (p?.move && trusted?.size) {
    const check = await verifyMove(trusted, p);
    if (!check.ok) {
      const last = await lastRecord(l);
      const record = last?.record;
      // Passing over a forged pointer links to the last record, which must then be a signed one.
      const lastCheck = record?.ok ? await verifyRecord(trusted, record.record) : undefined;
      if (last && !lastCheck?.ok) {
        throw new RegistryError(
          `the pointer's move ${p.move.seq} is not validly signed (${check.error}), and history record ${last.seq} is not a signed move either ` +
          `(${lastCheck ? lastCheck.error : record && !record.ok ? record.error : "unreadable"}): a bucket writer added it. ` +
          `Keep a copy as evidence, delete ${objectName(l, historyKey(l.name, last.seq))}, then move the pointer again; npm run models -- history --verify shows the rest`,
          "signature_invalid",
        );
      }
      return following(last, `the pointer's move ${p.move.seq} (${p.move.action} to ${p.version}) is not validly signed (${check.error}): it is not recorded, and this move follows record ${last?.seq ?? "none"}`);
    }
  }
  if (!p) {
    const last = await lastRecord(l);
    if (last) {
      const left = last.record?.ok ? `, which left ${last.record.record.to} current` : "";
      const what = state.broken ? `the pointer is damaged (${state.broken})` : `the pointer ${objectName(l, keys.pointer(l.name))} is missing (deleted outside the registry)`;
      return following(last, `${what}: this move replaces it and follows history record ${last.seq}${left}`);
    }
  }
  const own = await recordPointer(l, p);
  const seqs = await listHistorySeqs(l);
  const last = Math.max(own?.seq ?? 0, seqs.at(-1) ?? 0);
  if (last === 0) return { seq: 1, prevRecordSha256: null };
  const prev = own && own.seq === last ? own.bytes : await readRecordBytes(l, last);
  return { seq: last + 1, prevRecordSha256: prev ? await sha256Hex(prev) : null };
}

/**
 * For the commands that never write: the pointer's move has no history record
 * (a crash between the swap and the record, or a pointer written outside the
 * registry). They say so and how to repair it rather than write it themselves.
 */
export async function missingRecordWarning(l: Location, state: PointerState): Promise<string | undefined> {
  const move = state.pointer?.move;
  if (!move || (await readRecordBytes(l, move.seq))) return undefined;
  return `the pointer's move ${move.seq} (${move.action} to ${state.pointer!.version}) has no history record ` +
    "(a crash between the pointer swap and its record, or a pointer written outside the registry); this command does not write: " +
    "`npm run models -- history --repair` writes it if the move is validly signed (the next move does too); `history --verify` shows the chain";
}

/**
 * `history --repair`: writes the record a crash between the pointer swap and
 * the history write left missing, only if the pointer's move is validly
 * signed (on a signed store). Read-only commands never write.
 */
export async function repairHistory(l: Location): Promise<{ state: PointerState; written?: number }> {
  const state = await readPointerState(l);
  const r = await recordPointer(l, state.pointer);
  return { state, ...(r?.written ? { written: r.seq } : {}) };
}
