/**
 * The decision records of one scored request: one per instance, built after
 * the answer was sent (in `waitUntil`), from the rows and predictions the
 * route already holds. Pure: the caller supplies ids and times.
 */
import { DECISION_FORMAT, recordId, type CaptureMode, type DecisionRecord, type Role } from "../../shared/decisions/record.ts";
import type { Prediction } from "../../shared/predict.ts";
import type { Row } from "../../shared/preprocess.ts";
import { withoutFeatureValues } from "./redact.ts";

/** What a route hands to capture: one model version's answers for a whole request. */
export interface Answers {
  model: string;
  version: string;
  manifestSha256: string;
  role: Role;
  /** The instances as validated, in request order. */
  rows: readonly Row[];
  /** Each instance's pass-through value (undefined: none sent). */
  passThrough: readonly (string | number | undefined)[];
  /** The answers without the pass-through key (shared/predict.ts `predict`), in request order. */
  predictions: readonly Prediction[];
  /** Reasons asked for (0 for `?explain=false`). */
  topK: number;
}

/** The request's side of every record. */
export interface RequestFacts {
  captureId: string;
  requestId: string;
  time: string;
  caller: string | null;
  latencyMs: number;
}

export function buildRecords(a: Answers, r: RequestFacts, mode: Exclude<CaptureMode, "off">): DecisionRecord[] {
  return a.predictions.map((answer, index) => ({
    format: DECISION_FORMAT,
    id: recordId(r.captureId, index, a.role),
    requestId: r.requestId,
    index,
    time: r.time,
    model: a.model,
    version: a.version,
    manifestSha256: a.manifestSha256,
    role: a.role,
    caller: r.caller,
    passThrough: a.passThrough[index] ?? null,
    topK: a.topK,
    capture: mode,
    ...(mode === "full" ? { features: a.rows[index] as Row } : {}),
    answer: mode === "full" ? answer : withoutFeatureValues(answer),
    latencyMs: r.latencyMs,
  }));
}
