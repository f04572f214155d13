/**
 * Which versions `gc --keep N` may delete: everything except the newest N,
 * the current version, the pointer's canary and shadow, and every version
 * named within the last N moves (the `from` and `to` of each: an edge isolate
 * may still be loading or serving the version a move left; a candidate
 * published, a canary or shadow named). With `servedSince`, also every version
 * that answered requests (current, canary or shadow) at any time since then,
 * by the history's times: its decision records, kept for years (US Reg B: 25
 * months), are replayed with it.
 *
 * A crashed gc's mark overrides none of these rules: a marked version is
 * deleted only if the rules this gc runs with delete it now, or if the crashed
 * gc had already begun deleting it (its manifest, deleted first, is gone): such
 * a version cannot be served, promoted or replayed, so what is left of it is
 * only clutter. Even then never the current version, the canary or the shadow.
 */
import { challengerList, type Challengers } from "../../shared/challengers.ts";
import type { HistoryRecord } from "./records.ts";

export interface GcInput {
  /** Every stored version, newest first. */
  versions: string[];
  current: string;
  /** The pointer's challengers: never deleted while they are. */
  challengers?: Challengers | undefined;
  /** The log, ascending by seq. */
  records: HistoryRecord[];
  keep: number;
  /** Versions an earlier gc marked for deletion and did not finish. */
  marked?: string[];
  /** Of `marked`, those the earlier gc had begun deleting (manifest gone). */
  partial?: string[];
  /** Keep every version that answered requests at or after this time (the decision records' retention). */
  servedSince?: Date;
  now?: Date;
}

export interface GcPlan {
  keep: { version: string; why: string[] }[];
  remove: string[];
  /** Of `remove`, the versions an interrupted gc had partly deleted (deleted whatever the keep rules say). */
  finishing: string[];
  /** Versions an interrupted gc had marked that these rules keep: the mark on them is dropped. */
  released: string[];
}

/** Why a partly deleted version goes even when a keep rule names it. */
export const PARTLY_DELETED = "partly deleted by an interrupted gc (its manifest is gone: it cannot be served, promoted or replayed)";

export function planGc(input: GcInput): GcPlan {
  const why = new Map<string, string[]>();
  const add = (v: string | null, reason: string) => {
    if (v === null) return;
    why.set(v, [...(why.get(v) ?? []), reason]);
  };
  add(input.current, "current");
  if (input.challengers?.canary) add(input.challengers.canary.version, "canary");
  if (input.challengers?.shadow) add(input.challengers.shadow.version, "shadow");
  input.versions.slice(0, input.keep).forEach((v, i) => add(v, `newest ${i + 1} of ${input.keep}`));
  for (const r of input.records.slice(-input.keep)) {
    add(r.to, `current after move ${r.seq}`);
    add(r.from, `current before move ${r.seq}`);
    if (r.candidate) add(r.candidate.version, `candidate published in move ${r.seq}`);
    for (const c of challengerList(r.challengers)) add(c.version, `${c.role} after move ${r.seq}`);
  }
  if (input.servedSince) {
    const since = input.servedSince.getTime();
    const now = (input.now ?? new Date()).getTime();
    const served = new Set<string>();
    input.records.forEach((r, i) => {
      // A move's versions answer until the next move (or now); one that answered since the cutoff has records to replay.
      const next = input.records[i + 1];
      if ((next ? Date.parse(next.at) : now) >= since) for (const v of [r.to, ...challengerList(r.challengers).map((c) => c.version)]) served.add(v);
    });
    for (const v of served) add(v, `answered requests since ${input.servedSince.toISOString().slice(0, 10)} (decision records to replay)`);
  }
  const marked = new Set(input.marked ?? []);
  const partial = new Set((input.partial ?? []).filter((v) => marked.has(v)));
  const live = new Set([input.current, ...challengerList(input.challengers).map((c) => c.version)]);
  for (const v of partial) if (live.has(v)) add(v, "partly deleted by an interrupted gc, yet serving: not deleted; promote a sound version, then run gc again");
  const keep = input.versions.filter((v) => why.has(v) && !(partial.has(v) && !live.has(v))).map((v) => ({ version: v, why: why.get(v) as string[] }));
  const kept = new Set(keep.map((k) => k.version));
  const remove = input.versions.filter((v) => !kept.has(v));
  // A marked version that is no longer listed was already deleted; nothing left to do for it.
  return {
    keep, remove,
    finishing: remove.filter((v) => partial.has(v)),
    released: input.versions.filter((v) => marked.has(v) && kept.has(v)),
  };
}
