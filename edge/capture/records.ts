/**
 * What capture is handed: one scored request's answers (from the route) and
 * its facts (ids, time, caller, latency). The records built from them are
 * shared/decisions/record.ts's; chunk.ts writes them for the queue.
 */
import type { Role } from "../../shared/decisions/record.ts";
import type { Prediction } from "../../shared/predict.ts";
import type { Row } from "../../shared/preprocess.ts";

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
  /**
   * The response's own bytes and where each prediction starts in them (shared/answer-json.ts
   * `marks`), for capture to slice the records' answers out of; undefined when the answer was
   * not written with marks (then capture builds them from `predictions()`).
   */
  answerJson?: () => { bytes: Uint8Array; marks: readonly number[] } | undefined;
  /** Reasons asked for (0 for `?explain=false`). */
  topK: number;
}

/**
 * The request body the instances were parsed from (edge/body.ts): its text,
 * whether it is all ASCII, where each instance's object is in it, and the
 * parsed instances. The records' features are copied out of the text: the
 * consumer's `JSON.parse` of a copied object gives the same object the
 * route validated, so nothing is serialised again on the request's isolate.
 */
export interface InstanceSource {
  text: string;
  ascii: boolean;
  /** [start, end) character offsets, two per instance. */
  spans: readonly number[];
  instances: readonly unknown[];
}

/** The request's side of every record. */
export interface RequestFacts {
  captureId: string;
  requestId: string;
  time: string;
  caller: string | null;
  latencyMs: number;
  /** Where the features are copied from, when the route kept the body (else the rows are serialised). */
  source?: InstanceSource;
}
