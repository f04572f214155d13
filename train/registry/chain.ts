/**
 * Checks the history log as a hash chain: records 1..N all present, each
 * carrying the sha256 of the one before it exactly as stored, each moving the
 * pointer from where the previous one left it, and the last one matching the
 * move the pointer itself carries. An edited, deleted or inserted record, or a
 * pointer changed outside the registry, shows up as a problem at its seq.
 */
import { sha256Hex } from "../../shared/hash.ts";
import type { PointerState, StoredRecord } from "./history.ts";
import { recordBytes, recordFromPointer } from "./records.ts";

export interface ChainProblem { seq: number; problem: string }

export interface ChainReport {
  ok: boolean;
  records: number;
  /** sha256 of the last record: keep it elsewhere to detect a rewritten log. */
  headSha256: string | null;
  problems: ChainProblem[];
}

const equal = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);

export async function verifyChain(name: string, stored: StoredRecord[], state: PointerState): Promise<ChainReport> {
  const problems: ChainProblem[] = [];
  const bySeq = new Map(stored.map((s) => [s.seq, s]));
  const last = stored.at(-1)?.seq ?? 0;
  for (let seq = 1; seq <= last; seq++) {
    const s = bySeq.get(seq);
    if (!s) { problems.push({ seq, problem: `record ${seq} is missing (deleted)` }); continue; }
    const r = s.record;
    if (!r) { problems.push({ seq, problem: `record ${seq} is unreadable: ${s.problem}` }); continue; }
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
    problems.push({ seq: last + 1, problem: `${state.broken} (promote a version to repair it)` });
  } else if (p?.move) {
    if (p.move.seq !== last) {
      problems.push({ seq: p.move.seq, problem: `the pointer records move ${p.move.seq}, but the log ends at ${last}` });
    } else if (tail && !equal(tail.bytes, recordBytes(recordFromPointer({ ...p, move: p.move })))) {
      problems.push({ seq: last, problem: `record ${last} does not match the move the pointer carries: it was changed` });
    }
  } else if (p && tail?.record && tail.record.to !== p.version) {
    problems.push({ seq: last + 1, problem: `the pointer names ${p.version}, but the last record left it at ${tail.record.to}: the pointer was changed outside the registry` });
  }
  return { ok: problems.length === 0, records: stored.length, headSha256: tail ? await sha256Hex(tail.bytes) : null, problems };
}
