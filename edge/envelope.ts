/**
 * The request envelope, checked before any model work:
 * `{"instances": [ {...}, ... ], "id"?: "<client's request id>"}`
 * (the TensorFlow Serving / KServe convention). Mistakes a client developer
 * makes on the first try get a message that says what to change.
 */
import { withinCodePoints } from "../shared/validate.ts";
import { describeKey, describeValue, type ErrorDetail } from "./errors.ts";

export interface Envelope { ok: true; instances: unknown[]; id?: string }
export interface EnvelopeError { ok: false; status: 400 | 413; code: "invalid_request" | "batch_too_large"; message: string; details: ErrorDetail[] }

/** Characters as the OpenAPI document's maxLength counts them: code points. */
export const MAX_ID_LENGTH = 128;
const TOP_LEVEL = new Set(["instances", "id"]);

const isPrimitive = (v: unknown) => v === null || typeof v !== "object";

/** Up to `n` own keys not in `allowed`, without listing every key of a huge object. */
function extraKeys(o: object, n: number): string[] {
  const out: string[] = [];
  for (const k in o) {
    if (Object.prototype.hasOwnProperty.call(o, k) && !TOP_LEVEL.has(k) && out.push(k) >= n) break;
  }
  return out;
}

const invalid = (message: string, details: ErrorDetail[]): EnvelopeError => ({ ok: false, status: 400, code: "invalid_request", message, details });

export function readEnvelope(body: unknown, maxBatch: number): Envelope | EnvelopeError {
  if (Array.isArray(body)) {
    return invalid('the body is a JSON array: send an object, {"instances": [ ... ]}', [{ path: "$", expected: "an object", received: "an array" }]);
  }
  if (typeof body !== "object" || body === null) {
    return invalid('the body must be a JSON object like {"instances": [{...}]}', [{ path: "$", expected: "an object", received: describeValue(body) }]);
  }
  const extra = extraKeys(body, 5);
  const record = body as Record<string, unknown>;
  if (!("instances" in record) && extra.length && extra.every((k) => isPrimitive(record[k]))) {
    // Feature values at the top level: one applicant sent without the wrapper.
    return invalid('the body looks like one applicant\'s features: wrap it as {"instances": [ ... ]}', [
      { path: "$", expected: '{"instances": [ {applicant}, ... ]}', received: `an object with fields ${extra.slice(0, 3).map((k) => JSON.stringify(describeKey(k))).join(", ")}${extra.length > 3 ? ", ..." : ""}` },
    ]);
  }
  if (extra.length) {
    return invalid(`unknown top-level field${extra.length > 1 ? "s" : ""}: only "instances" and "id" are accepted`,
      extra.map((k) => ({ path: describeKey(k), expected: "no such field", received: "present" })));
  }
  const { instances, id } = record;
  if (id !== undefined && (typeof id !== "string" || id.length === 0 || !withinCodePoints(id, MAX_ID_LENGTH))) {
    return invalid(`"id" must be a string of 1 to ${MAX_ID_LENGTH} characters (it is echoed back)`, [{ path: "id", expected: `a string of 1 to ${MAX_ID_LENGTH} characters`, received: describeValue(id) }]);
  }
  if (!Array.isArray(instances)) {
    const one = typeof instances === "object" && instances !== null;
    return invalid(one ? '"instances" must be an array: wrap the applicant as {"instances": [ {...} ]}' : '"instances" must be an array of applicants',
      [{ path: "instances", expected: "an array", received: one ? "an object" : describeValue(instances) }]);
  }
  if (instances.length === 0) {
    return invalid('"instances" is empty', [{ path: "instances", expected: `1 to ${maxBatch} items`, received: "0 items" }]);
  }
  if (instances.length > maxBatch) {
    return { ok: false, status: 413, code: "batch_too_large", message: `at most ${maxBatch} instances per request`, details: [{ path: "instances", expected: `1 to ${maxBatch} items`, received: `${instances.length} items` }] };
  }
  return id === undefined ? { ok: true, instances } : { ok: true, instances, id };
}
