/**
 * `decisions verify`: every decisions object of a range checked, not only
 * read: a signature by a trusted key (DECISIONS_SIGNING_KEYS) over its bytes,
 * its gzip, and every line a record of the model. Where the readers stop at
 * the first object they may not use, verify goes on and lists every one that
 * fails, as `aws cloudtrail validate-logs` does for a trail's log files: what
 * an auditor runs before relying on a range of records. It cannot show an
 * object that is gone (deleted objects leave nothing to check): the bucket
 * lock is what keeps them (README, Security and privacy).
 */
import type { TrustedKeys } from "../../shared/signing.ts";
import { DecisionsError, daysFor, fetchStored, listDayObjects, parseObject, prefetched, ReadStats, signatureProblem, type DecisionsStore, type ReadRange, type StoredObject } from "./read.ts";

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
}

type Checked = { records: number } | { problem: string } | undefined;

async function check(s: DecisionsStore, trusted: TrustedKeys, o: StoredObject, model: string): Promise<Checked> {
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
  try {
    return { records: parseObject(s, o.key, got.bytes, model).length };
  } catch (e) {
    if (e instanceof DecisionsError) return { problem: e.message };
    throw e;
  }
}

/** Checks every object of the days `r` covers; `onInvalid` hears of each failure as it is found. */
export async function verifyDecisions(s: DecisionsStore, trusted: TrustedKeys, r: ReadRange, onInvalid: (x: Invalid) => void = () => {}): Promise<VerifyResult> {
  const result: VerifyResult = { days: await daysFor(s, r, new ReadStats()), objects: 0, valid: 0, records: 0, invalid: [] };
  for (const day of result.days) {
    for await (const [o, checked] of prefetched(await listDayObjects(s, r.model, day), (x) => check(s, trusted, x, r.model))) {
      if (!checked) continue;
      result.objects++;
      if ("records" in checked) {
        result.valid++;
        result.records += checked.records;
        continue;
      }
      const invalid = { key: o.key, problem: checked.problem };
      result.invalid.push(invalid);
      onInvalid(invalid);
    }
  }
  return result;
}
