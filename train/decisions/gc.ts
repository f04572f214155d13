/**
 * `decisions gc`: retention. Whole day partitions older than the cutoff go
 * (every object under `decisions/<model>/dt=<day>/` for a day before the
 * cutoff's day); the cutoff's own day and later stay, so nothing younger than
 * the retention period is ever deleted. Only keys under the model's decisions
 * prefix are listed and deleted: versions, pointers and history live under
 * `<model>/` and are never touched. A plan first (the dry run), deletion only
 * when asked.
 *
 * An object whose delete is refused (an R2 bucket lock still holding a
 * record the dead-letter queue wrote days late, or a policy) is kept, named,
 * and the rest of its day and the later days still go: one locked object
 * must not keep every other expired record past its retention. A run whose
 * first deletes are all refused stops (a token that may not delete at all);
 * any other failure (the network, a 5xx) stops it at once. Running gc again
 * finishes the job.
 */
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { decisionsPrefix } from "../../shared/decisions/record.ts";
import { describeS3Error, objectName, statusOf } from "../store/storage.ts";
import { dayOf } from "./dates.ts";
import { DecisionsError, listDayObjects, listDays, type DecisionsStore } from "./read.ts";

export interface GcDay { day: string; objects: number; bytes: number }

export interface GcPlan {
  model: string;
  cutoff: string;
  /** Days kept: the cutoff's day and later. */
  keptDays: number;
  delete: GcDay[];
}

export async function planGc(s: DecisionsStore, model: string, cutoff: Date): Promise<GcPlan> {
  const cut = dayOf(cutoff);
  const days = await listDays(s, model);
  const old = days.filter((d) => d < cut);
  const del: GcDay[] = [];
  for (const day of old) {
    const objects = await listDayObjects(s, model, day);
    del.push({ day, objects: objects.length, bytes: objects.reduce((n, o) => n + o.size, 0) });
  }
  return { model, cutoff: cutoff.toISOString(), keptDays: days.length - old.length, delete: del };
}

/** Refused deletes, with none done yet, after which gc stops: a token that may not delete, not a few locked objects. */
export const MAX_REFUSED_FIRST = 10;

/** An object gc could not delete, and why (the storage's own answer). */
export interface Refused { key: string; error: string }

export interface GcResult {
  objects: number;
  refused: Refused[];
}

/** A delete the storage answered with a 4xx: this object is not to be deleted now (a lock, a policy). */
function isRefusal(e: unknown): boolean {
  const status = statusOf(e);
  return status !== undefined && status >= 400 && status < 500;
}

/** Deletes the plan's days, re-listing each (objects written since the plan go too: they are in an expired day). */
export async function runGc(s: DecisionsStore, plan: GcPlan, log: (line: string) => void): Promise<GcResult> {
  let objects = 0;
  const refused: Refused[] = [];
  for (const { day } of plan.delete) {
    const prefix = decisionsPrefix(plan.model, day);
    const keys = (await listDayObjects(s, plan.model, day)).map((o) => o.key);
    let kept = 0;
    for (const key of keys) {
      if (!key.startsWith(prefix)) continue; // never anything outside the partition
      try {
        await s.client.send(new DeleteObjectCommand({ Bucket: s.bucket, Key: key }));
      } catch (e) {
        const error = describeS3Error(e, `deleting ${objectName(s, key)}`);
        const done = `${objects} objects were deleted before it${refused.length ? ` and ${refused.length} refused` : ""}, run gc again to finish`;
        if (!isRefusal(e)) throw new DecisionsError(`${error}; ${done}`, "storage");
        refused.push({ key, error });
        kept++;
        if (objects === 0 && refused.length >= MAX_REFUSED_FIRST) {
          throw new DecisionsError(`the first ${refused.length} deletes were all refused, the last: ${error}; stopped (may this token delete objects under ${decisionsPrefix(plan.model)}?); nothing was deleted`, "storage");
        }
        continue;
      }
      objects++;
    }
    log(`deleted ${prefix} (${keys.length - kept} objects${kept ? `; ${kept} refused and kept` : ""})`);
  }
  return { objects, refused };
}
