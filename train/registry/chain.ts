/**
 * Checks the history log as a hash chain: records 1..N all present, each
 * carrying the sha256 of the one before it exactly as stored, each moving the
 * pointer from where the previous one left it, and the last one matching the
 * move the pointer itself carries. An edited, deleted or inserted record, or a
 * pointer changed outside the registry, shows up as a problem at its seq.
 * With trusted keys, every record from the first signed one on and the
 * pointer's own move must carry a valid signature: a bucket writer can append
 * a well-linked record, but not sign it. Read-only: it never writes.
 */
import { sha256Hex } from "../../shared/hash.ts";
import { verifyMove, verifyRecord } from "../../shared/move.ts";
import type { TrustedKeys } from "../../shared/signing.ts";
import type { PointerState, StoredRecord } from "./history.ts";
import { recordBytes, recordFromPointer } from "./records.ts";

export interface ChainProblem { seq: number; problem: string }

export interface ChainReport {
  ok: boolean;
  records: number;
  /** sha256 of the last record: keep it elsewhere to detect a rewritten log. */
  headSha256: string | null;
  problems: ChainProblem[];
  /** Signed and unsigned records, and whether their signatures were checked (trusted keys were given). */
  signatures: { checked: boolean; signed: number; unsigned: number; keys: string[] };
}

const equal = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);

export async function verifyChain(name: string, stored: StoredRecord[], state: PointerState, trusted: TrustedKeys = new Map()): Promise<ChainReport> {
  const problems: ChainProblem[] = [];
  const checked = trusted.size > 0;
  const sig = { checked, signed: 0, unsigned: 0, keys: new Set<string>() };
  let firstSigned: number | undefined;
  const bySeq = new Map(stored.map((s) => [s.seq, s]));
  const last = stored.at(-1)?.seq ?? 0;
  // Moves count from 1: a record 0 (the key pattern allows it) is listed, but nothing links to it.
  for (const s of stored) if (s.seq < 1) problems.push({ seq: s.seq, problem: `record ${s.seq} is not part of the chain (moves count from 1): it was added by someone else` });
  for (let seq = 1; seq <= last; seq++) {
    const s = bySeq.get(seq);
    if (!s) { problems.push({ seq, problem: `record ${seq} is missing (deleted)` }); continue; }
    const r = s.record;
    if (!r) { problems.push({ seq, problem: `record ${seq} is unreadable: ${s.problem}` }); continue; }
    if (r.signatures?.length) {
      sig.signed++;
      firstSigned ??= seq;
      if (checked) {
        const v = await verifyRecord(trusted, r);
        if (v.ok) sig.keys.add(v.keyid);
        else problems.push({ seq, problem: `record ${seq}: ${v.error}` });
      }
    } else {
      sig.unsigned++;
      if (checked && firstSigned !== undefined) problems.push({ seq, problem: `record ${seq} is not signed, but the records from ${firstSigned} on are: it was not written by a signed move` });
    }
    if (r.seq !== seq || r.name !== name) problems.push({ seq, problem: `record ${seq} describes ${r.name} seq ${r.seq} (moved or copied)` });
    const before = bySeq.get(seq - 1);
    if (seq === 1) {
      if (r.prevSha256 !== null) problems.push({ seq, problem: "record 1 links to a record before it: earlier records were removed" });
    } else if (before) {
      if (r.prevSha256 !== (await sha256Hex(before.bytes))) {
        problems.push({ seq, problem: `record ${seq - 1} was changed after record ${seq} was written (its sha256 is not the one record ${seq} carries)` });
      }
      if (before.record && r.from !== before.record.to) {
        problems.push({ seq, problem: `record ${seq} moves from ${r.from ?? "nothing"}, but record ${seq - 1} left the pointer at ${before.record.to}: a move in between was not recorded` });
      }
    }
  }
  const p = state.pointer;
  const tail = bySeq.get(last);
  if (state.broken) {
    problems.push({ seq: last + 1, problem: `${state.broken}: nothing is served (promote a version, or roll back, to put it back)` });
  } else if (p?.move) {
    const v = checked ? await verifyMove(trusted, p) : undefined;
    if (v && !v.ok) {
      // A forged move: whether its record is missing is beside the point (it must never be written).
      problems.push({ seq: p.move.seq, problem: `the pointer's move ${p.move.seq} (${p.move.action} to ${p.version}): ${v.error}; an edge with MODEL_SIGNING_KEYS refuses it. Promote the right version (a signed move) to replace it` });
    } else if (p.move.seq < last) {
      problems.push({ seq: p.move.seq, problem: `the pointer carries move ${p.move.seq} (${p.version}), but the history goes on to move ${last}: an older pointer was put back (replayed), or the records after it were added by someone else` });
    } else if (p.move.seq > last) {
      problems.push({ seq: p.move.seq, problem: `the pointer records move ${p.move.seq}, but the log ends at ${last}: its record is missing (a crash after the swap is repaired with npm run models -- history --repair, which checks the move's signature first)` });
    } else if (tail && !equal(tail.bytes, recordBytes(recordFromPointer({ ...p, move: p.move })))) {
      problems.push({ seq: last, problem: `record ${last} does not match the move the pointer carries: it was changed` });
    }
  } else if (p && checked) {
    problems.push({ seq: last + 1, problem: `the pointer names ${p.version} but carries no signed move: it was written outside the registry; an edge with MODEL_SIGNING_KEYS refuses it` });
  } else if (p && tail?.record && tail.record.to !== p.version) {
    problems.push({ seq: last + 1, problem: `the pointer names ${p.version}, but the last record left it at ${tail.record.to}: the pointer was changed outside the registry` });
  } else if (!p && last > 0) {
    // Nothing is served (the edge answers model_not_found), though the log says a version is current.
    const left = tail?.record ? `, but record ${last} left it at ${tail.record.to}` : "";
    problems.push({ seq: last + 1, problem: `the pointer is missing${left}: it was deleted outside the registry and nothing is served (promote a version, or roll back, to put it back)` });
  }
  return {
    ok: problems.length === 0, records: stored.length, headSha256: tail ? await sha256Hex(tail.bytes) : null, problems,
    signatures: { checked, signed: sig.signed, unsigned: sig.unsigned, keys: [...sig.keys] },
  };
}
