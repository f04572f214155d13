/**
 * `gc` with its I/O. Deleting is fenced through the pointer: gc first marks
 * the versions it will delete in the pointer (a compare-and-swap on its ETag,
 * so a move since the plan was made fails the mark and gc plans again), every
 * move refuses a marked version, and gc clears the mark when the objects are
 * gone. A promote racing a gc therefore either lands before the mark (and gc
 * re-plans around it) or is refused.
 */
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { keys, MANIFEST_FILE } from "../../shared/artifact.ts";
import { PointerConflictError, swapPointer } from "../store/publish.ts";
import { describeS3Error, objectName, statusOf } from "../store/storage.ts";
import { listVersionIds, type Location } from "../store/versions.ts";
import { RegistryError } from "./errors.ts";
import { readHistory, readPointerState, type PointerState } from "./history.ts";
import { planGc, type GcPlan } from "./gc-plan.ts";
import { verifyChain } from "./chain.ts";
import { pointerBytes, type HistoryRecord, type RegistryPointer } from "./records.ts";

export interface GcResult extends GcPlan {
  current: string;
  /** The mark an earlier, interrupted gc left, if any (this gc finishes or drops it). */
  mark: RegistryPointer["gc"] | null;
  /** Versions that mark named which this gc deletes (the rules delete them now, or they were partly deleted). */
  resumed: string[];
  deleted: string[];
}

/** Of the marked versions still listed, those whose manifest is gone: gc deletes the manifest first, so their deletion had begun. */
async function partlyDeleted(l: Location, marked: string[], listed: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const v of marked.filter((m) => listed.includes(m))) {
    const key = `${keys.version(l.name, v)}${MANIFEST_FILE}`;
    try {
      await l.client.send(new HeadObjectCommand({ Bucket: l.bucket, Key: key }));
    } catch (e) {
      if (statusOf(e) === 404) { out.push(v); continue; }
      throw new RegistryError(describeS3Error(e, `reading ${objectName(l, key)}`), "storage");
    }
  }
  return out;
}

/** What the result says of a mark: which of its versions this gc deletes. */
function resumedOf(pointer: RegistryPointer, plan: GcPlan): string[] {
  const marked = new Set(pointer.gc?.deleting ?? []);
  return plan.remove.filter((v) => marked.has(v));
}

function currentOf(l: Location, state: PointerState): RegistryPointer {
  if (state.broken) throw new RegistryError(`${state.broken}; gc needs to know the current version: promote one first`, "pointer_broken");
  if (!state.pointer) throw new RegistryError(`nothing of "${l.name}" is current, so gc cannot tell what a running edge may load; promote a version first`, "nothing_current");
  return state.pointer;
}

/** What gc keeps besides the newest N: with `servedSince`, every version that answered requests since then. */
export interface GcKeep { keep: number; servedSince?: Date | undefined }

async function plan(l: Location, k: GcKeep): Promise<{ state: PointerState; pointer: RegistryPointer; plan: GcPlan }> {
  const state = await readPointerState(l);
  const pointer = currentOf(l, state);
  const [versions, stored] = await Promise.all([listVersionIds(l), readHistory(l)]);
  const records = stored.flatMap((s) => (s.record ? [s.record] : [])) as HistoryRecord[];
  if (stored.length !== records.length) {
    throw new RegistryError(`the history of "${l.name}" has unreadable records, so gc cannot tell which versions were current recently; see \`npm run models -- history --verify\``, "history_broken");
  }
  // A forged or replayed pointer, or an edited history, would make gc keep the wrong versions: refuse to plan.
  const chain = await verifyChain(l.name, stored, state, l.signing?.trusted);
  if (!chain.ok) {
    const first = chain.problems[0]!;
    throw new RegistryError(`the history of "${l.name}" does not verify (seq ${first.seq}: ${first.problem}), so gc will not plan deletions from it; see \`npm run models -- history --verify\``, "history_broken");
  }
  const marked = pointer.gc?.deleting ?? [];
  const partial = await partlyDeleted(l, marked, versions);
  return { state, pointer, plan: planGc({ versions, current: pointer.version, challengers: pointer.challengers, records, keep: k.keep, marked, partial, ...(k.servedSince ? { servedSince: k.servedSince } : {}) }) };
}

/** The plan only (the default dry run). */
export async function planCollection(l: Location, keep: GcKeep): Promise<GcResult> {
  const p = await plan(l, keep);
  return { ...p.plan, current: p.pointer.version, mark: p.pointer.gc ?? null, resumed: resumedOf(p.pointer, p.plan), deleted: [] };
}

async function deleteVersion(l: Location, version: string): Promise<void> {
  const prefix = keys.version(l.name, version);
  try {
    const listed = await l.client.send(new ListObjectsV2Command({ Bucket: l.bucket, Prefix: prefix }));
    const others = (listed.Contents ?? []).map((o) => o.Key as string).filter((k) => k !== `${prefix}${MANIFEST_FILE}`);
    // Manifest first: a half-deleted version is then "not found", never "damaged but promotable".
    for (const key of [`${prefix}${MANIFEST_FILE}`, ...others]) await l.client.send(new DeleteObjectCommand({ Bucket: l.bucket, Key: key }));
  } catch (e) {
    throw new RegistryError(`${describeS3Error(e, `deleting ${objectName(l, prefix)}`)}; run gc again to finish`, "storage");
  }
}

/** Rewrites the pointer with `gc` changed and everything else as read; false when it changed meanwhile. */
async function rewriteMark(l: Location, state: PointerState, pointer: RegistryPointer, gc: RegistryPointer["gc"]): Promise<boolean> {
  const { gc: _old, ...rest } = pointer;
  try {
    await swapPointer(l, pointerBytes(gc ? { ...rest, gc } : rest), state.etag);
    return true;
  } catch (e) {
    if (e instanceof PointerConflictError) return false;
    throw new RegistryError((e as Error).message, "storage");
  }
}

export async function collectGarbage(l: Location, keep: GcKeep, actor: string, log: (line: string) => void): Promise<GcResult> {
  for (let attempt = 0; attempt < 4; attempt++) {
    const p = await plan(l, keep);
    const done = { ...p.plan, current: p.pointer.version, mark: p.pointer.gc ?? null, resumed: resumedOf(p.pointer, p.plan) };
    if (p.plan.remove.length === 0) {
      // Nothing to delete: a mark left by an interrupted gc names only versions these rules keep; drop it.
      if (p.pointer.gc && !(await rewriteMark(l, p.state, p.pointer, undefined))) continue;
      return { ...done, deleted: [] };
    }
    const mark = { deleting: p.plan.remove, startedAt: new Date().toISOString(), actor };
    if (!(await rewriteMark(l, p.state, p.pointer, mark))) continue; // moved since the plan: plan again
    for (const v of p.plan.remove) {
      await deleteVersion(l, v);
      log(`deleted ${l.name} ${v}`);
    }
    // Clear the mark, keeping whatever moves happened meanwhile.
    for (let i = 0; i < 8; i++) {
      const now = await readPointerState(l);
      if (!now.pointer?.gc) break;
      if (await rewriteMark(l, now, now.pointer, undefined)) break;
    }
    return { ...done, deleted: p.plan.remove };
  }
  throw new RegistryError(`the pointer of "${l.name}" kept moving while gc planned; nothing was deleted. Run gc again`, "pointer_moved");
}
