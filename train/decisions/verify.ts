/**
 * `decisions verify`: every decisions object of a range checked, not only
 * read: a signature by a trusted key (DECISIONS_SIGNING_KEYS) over its bytes,
 * its gzip, and every line a record of the model. Where the readers stop at
 * the first object they may not use, verify goes on and lists every one that
 * fails, as `aws cloudtrail validate-logs` does for a trail's log files: what
 * an auditor runs before relying on a range of records. An object that is
 * gone leaves nothing to check: with `--inventory` (inventory.ts), verify
 * remembers each valid object's digest outside the bucket and names any that
 * later disappears or changes; the bucket lock is what keeps them there.
 */
import { sha256Hex } from "../../shared/hash.ts";
import type { TrustedKeys } from "../../shared/signing.ts";
import { inventoryDays, loadDay, saveDay, type InventoryEntry } from "./inventory.ts";
import { DecisionsError, daysFor, fetchStored, listDayObjects, parseObject, prefetched, ReadStats, signatureProblem, wantedDays, type DecisionsStore, type ReadRange, type StoredObject } from "./read.ts";

/** An object that failed, and why. */
export interface Invalid { key: string; problem: string }

export interface VerifyResult {
  /** The day partitions verified (the range's days with one day of margin each side, as the readers read). */
  days: string[];
  objects: number;
  valid: number;
  /** Records in the valid objects (every line, duplicates included). */
  records: number;
  invalid: Invalid[];
  /** With an inventory: valid objects found in it unchanged, added to it, and listed in it but gone from the bucket. */
  inventory?: { dir: string; unchanged: number; added: number; gone: number };
}

export interface VerifyOptions {
  /** The inventory's directory (inventory.ts). */
  inventory?: string;
  /** Hears of each failure as it is found. */
  onInvalid?: (x: Invalid) => void;
  now?: Date;
}

/** A valid object's record count, and with an inventory its sha256 and size; or what is wrong with it. */
type Checked = { records: number; sha256?: string; size: number } | { problem: string } | undefined;

async function check(s: DecisionsStore, trusted: TrustedKeys, o: StoredObject, model: string, digest: boolean): Promise<Checked> {
  let got: Awaited<ReturnType<typeof fetchStored>>;
  try {
    got = await fetchStored(s, o);
  } catch (e) {
    // Too large to read is this object's problem; storage failing stops the run.
    if (e instanceof DecisionsError && e.code === "decisions_damaged") return { problem: e.message };
    throw e;
  }
  if (!got) return undefined; // deleted since the listing (gc)
  const unsigned = await signatureProblem(got, trusted);
  if (unsigned) return { problem: unsigned };
  let records: number;
  try {
    records = parseObject(s, o.key, got.bytes, model).length;
  } catch (e) {
    if (e instanceof DecisionsError) return { problem: e.message };
    throw e;
  }
  // Only an inventory compares digests: without one, no object is hashed.
  return { records, size: got.bytes.length, ...(digest ? { sha256: await sha256Hex(got.bytes) } : {}) };
}

/** Checks every object of the days `r` covers (and, with an inventory, every object it lists for them). */
export async function verifyDecisions(s: DecisionsStore, trusted: TrustedKeys, r: ReadRange, o: VerifyOptions = {}): Promise<VerifyResult> {
  const dir = o.inventory;
  const seen = (o.now ?? new Date()).toISOString();
  const wanted = wantedDays(r);
  // A day whose every object was deleted is still a day the inventory knows.
  const days = [...new Set([...(await daysFor(s, r, new ReadStats())), ...(dir ? inventoryDays(dir, r.model).filter((d) => wanted.has(d)) : [])])].sort();
  const result: VerifyResult = { days, objects: 0, valid: 0, records: 0, invalid: [], ...(dir ? { inventory: { dir, unchanged: 0, added: 0, gone: 0 } } : {}) };
  const fail = (key: string, problem: string) => {
    const invalid = { key, problem };
    result.invalid.push(invalid);
    o.onInvalid?.(invalid);
  };
  for (const day of days) {
    const known = dir ? loadDay(dir, r.model, day) : new Map<string, InventoryEntry>();
    const listed = new Set<string>();
    let added = 0;
    for await (const [x, checked] of prefetched(await listDayObjects(s, r.model, day), (y) => check(s, trusted, y, r.model, dir !== undefined))) {
      listed.add(x.key);
      if (!checked) continue;
      result.objects++;
      if (!("records" in checked)) { fail(x.key, checked.problem); continue; }
      // sha256 is there exactly when an inventory is kept; without one, `known` is empty.
      const { records, sha256, size } = checked;
      const before = known.get(x.key);
      if (before && before.sha256 !== sha256) {
        fail(x.key, `changed since verify first saw it on ${before.seen} (sha256 ${before.sha256.slice(0, 16)}…, now ${sha256?.slice(0, 16)}…), though signed by a trusted key`);
        continue;
      }
      result.valid++;
      result.records += records;
      if (before) result.inventory!.unchanged++;
      else if (sha256 !== undefined) { known.set(x.key, { key: x.key, sha256, size, seen }); added++; }
    }
    if (!dir) continue;
    for (const e of known.values()) {
      if (listed.has(e.key)) continue;
      result.inventory!.gone++;
      fail(e.key, `gone: verified on ${e.seen} (sha256 ${e.sha256.slice(0, 16)}…, ${e.size} bytes), no longer in the bucket`);
    }
    if (added) saveDay(dir, r.model, day, known);
    result.inventory!.added += added;
  }
  return result;
}
