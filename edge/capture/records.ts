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
  /** The instances as validated, in request order (they may still hold the pass-through key: it is left out of `features`). */
  rows: readonly Row[];
  /** The model's pass-through key ("" for none): `model.instances.passThroughKey`. */
  passThroughKey: string;
  /** Each instance's pass-through value (undefined: none sent). */
  passThrough: readonly (string | number | undefined)[];
  /** How many instances were answered. */
  count: number;
  /**
   * The answers without the pass-through key (shared/predict.ts `predictionsOf`), in request
   * order: built on demand, in `waitUntil`, since the response itself is written as bytes.
   */
  predictions: () => readonly Prediction[];
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

/** The row without the pass-through key (recorded as `passThrough`; not a feature). */
function featuresOf(row: Row, passThroughKey: string): Row {
  if (!passThroughKey || !Object.hasOwn(row, passThroughKey)) return row;
  const { [passThroughKey]: _echo, ...features } = row;
  return features;
}

export function buildRecords(a: Answers, r: RequestFacts, mode: Exclude<CaptureMode, "off">): DecisionRecord[] {
  return a.predictions().map((answer, index) => ({
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
    ...(mode === "full" ? { features: featuresOf(a.rows[index] as Row, a.passThroughKey) } : {}),
    answer: mode === "full" ? answer : withoutFeatureValues(answer),
    latencyMs: r.latencyMs,
  }));
}
