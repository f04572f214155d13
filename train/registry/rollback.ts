/**
 * Where a rollback goes: the version that was current before the current one,
 * as the history says (the `from` of the move that made it current), not the
 * previous version by time. Rolling back twice undoes the first rollback.
 * Moves that leave current where it is (a candidate publish, canary, shadow
 * and their stops) say nothing of what came before, so they are skipped.
 */
import type { PointerState } from "./history.ts";
import type { HistoryRecord } from "./records.ts";

export type RollbackTarget = { ok: true; version: string; seq: number } | { ok: false; message: string };

export function rollbackTarget(name: string, state: PointerState, records: HistoryRecord[]): RollbackTarget {
  const p = state.pointer;
  if (!p) {
    return { ok: false, message: state.broken ? `${state.broken}; name the version to go to: rollback --to <version>` : `nothing of "${name}" is current: there is nothing to roll back` };
  }
  // The pointer's own move when it made the version current (signed with the pointer); else, and for a pointer
  // written before the log, the last record that made it current from another version (or from nothing).
  const own = p.move && p.move.from !== p.version ? { from: p.move.from, seq: p.move.seq } : undefined;
  const move = own ?? [...records].reverse().find((r) => r.to === p.version && r.from !== p.version);
  if (!move) return { ok: false, message: `the history does not say which version was current before ${p.version}; name one: rollback --to <version> (npm run models -- list shows them)` };
  if (move.from === null) return { ok: false, message: `${p.version} is the first version of "${name}" that was made current (history seq ${move.seq}): there is nothing before it; use rollback --to <version> to go elsewhere` };
  return { ok: true, version: move.from, seq: move.seq };
}
