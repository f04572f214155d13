/**
 * `decisions gc`: retention. Whole day partitions older than the cutoff go
 * (every object under `decisions/<model>/dt=<day>/` for a day before the
 * cutoff's day); the cutoff's own day and later stay, so nothing younger than
 * the retention period is ever deleted. Only keys under the model's decisions
 * prefix are listed and deleted: versions, pointers and history live under
 * `<model>/` and are never touched. A plan first (the dry run), deletion only
 * when asked.
 */
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { decisionsPrefix } from "../../shared/decisions/record.ts";
import { describeS3Error } from "../store/storage.ts";
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

/** Deletes the plan's days, re-listing each (objects written since the plan go too: they are in an expired day). */
export async function runGc(s: DecisionsStore, plan: GcPlan, log: (line: string) => void): Promise<{ objects: number }> {
  let objects = 0;
  for (const { day } of plan.delete) {
    const keys = (await listDayObjects(s, plan.model, day)).map((o) => o.key);
    for (const key of keys) {
      if (!key.startsWith(decisionsPrefix(plan.model, day))) continue; // never anything outside the partition
      try {
        await s.client.send(new DeleteObjectCommand({ Bucket: s.bucket, Key: key }));
      } catch (e) {
        throw new DecisionsError(`${describeS3Error(e, `deleting s3://${s.bucket}/${key}`)}; ${objects} objects were deleted before it, run gc again to finish`, "storage");
      }
      objects++;
    }
    log(`deleted ${decisionsPrefix(plan.model, day)} (${keys.length} objects)`);
  }
  return { objects };
}
