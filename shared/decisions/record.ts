/**
 * One decision record: what the edge answered for one instance, by which
 * model version, in which role, and (in "full" capture) the validated features
 * it answered from. The edge writes them (edge/capture/), the Node commands
 * read them back (decisions, monitor --decisions, models compare). Delivery is
 * at-least-once (Cloudflare Queues retry), so every reader de-duplicates by
 * `id`. Records are gzip NDJSON objects in R2, Hive-partitioned by day so
 * DuckDB, Spark or R2 SQL read them as they are:
 *   decisions/<model>/dt=YYYY-MM-DD/<HH>-<batch id>.ndjson.gz
 */
import type { Prediction } from "../predict.ts";
import type { Row } from "../preprocess.ts";

export const DECISION_FORMAT = "edgescore.decision/v1";

/** Who answered: the pointer's version, the canary's, or a shadow scored after the answer was sent (never returned). */
export type Role = "champion" | "canary" | "shadow";

/** "decisions" keeps answers, versions and ids only; "full" also keeps the validated features (monitoring and replay need them). */
export type CaptureMode = "off" | "decisions" | "full";

export interface DecisionRecord {
  format: typeof DECISION_FORMAT;
  /**
   * Unique per instance and role: `<capture id>:<index>` (`:shadow` appended for a
   * shadow). The capture id is made by the edge per request, never the client's
   * X-Request-Id (a client may reuse one; de-duplication must not merge distinct requests).
   */
  id: string;
  /** The X-Request-Id of the answer (the client's, when well-formed, else generated). */
  requestId: string;
  /** The instance's position in the request's `instances`. */
  index: number;
  /** ISO 8601 time the request was answered. */
  time: string;
  model: string;
  version: string;
  /** The scored version's manifest sha256: replay checks it loaded the same bytes. */
  manifestSha256: string;
  role: Role;
  /** The caller's log id (key id or hashed JWT subject, as in the request log); never a key or token. */
  caller: string | null;
  /** The instance's pass-through value (PASS_THROUGH_KEY), if it sent one. */
  passThrough: string | number | null;
  /** Reasons asked for (0 when `?explain=false`): replay asks for the same. */
  topK: number;
  capture: Exclude<CaptureMode, "off">;
  /** The instance as validated (feature name → value); only in "full" capture. */
  features?: Row;
  /** The answer exactly as the API gave it, without the pass-through key. */
  answer: Prediction;
  /** Server time of the whole request, ms. */
  latencyMs: number;
}

/** The R2 prefix of a model's records, and of one day's. */
export const decisionsPrefix = (model: string, day?: string) => `decisions/${model}/${day ? `dt=${day}/` : ""}`;

/** The object key for a batch of records of one model and hour (`time` in that hour, UTC). */
export function decisionsKey(model: string, time: string, batchId: string): string {
  return `${decisionsPrefix(model, time.slice(0, 10))}${time.slice(11, 13)}-${batchId}.ndjson.gz`;
}

/** The day (YYYY-MM-DD) a key's partition holds, or undefined for a key that is not a decisions object. */
export function dayOfKey(key: string): string | undefined {
  return /\/dt=(\d{4}-\d{2}-\d{2})\/\d{2}-[^/]+\.ndjson\.gz$/.exec(key)?.[1];
}

export function recordId(captureId: string, index: number, role: Role): string {
  return `${captureId}:${index}${role === "shadow" ? ":shadow" : ""}`;
}
