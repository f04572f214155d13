/**
 * What travels on the queue: not one JSON record per instance, but one
 * *chunk* per request (or per slice of a large one), written after the
 * response from what the route already holds. The facts every record of the
 * request shares are written once; the answers are the very bytes the
 * caller received, sliced out of the response at the marks the writer left
 * (shared/answer-json.ts), not rebuilt as objects and `JSON.stringify`'d
 * again; the features are the instances' own text, copied out of the request
 * body where its scan found them (edge/body.ts), and serialised from the
 * validated rows only when the route kept no body. The consumer (`recordLines`)
 * expands a chunk into the records of shared/decisions/record.ts, so R2 and
 * every reader see exactly what a record-per-instance producer wrote
 * (test/capture-chunk.test.ts holds the two to the byte).
 *
 * Why: building 256 record objects and stringifying them cost the isolate
 * more than the request itself, and that work runs in front of the next
 * request. A chunk is ~60 % of the records' bytes and costs two slices and
 * a decode.
 *
 * "decisions" capture keeps no feature value, not even on the queue: its
 * chunks carry no rows and answers rebuilt as objects with the values removed
 * (redact.ts); so do answers the writer could not mark (odd pass-through keys).
 */
import { DECISION_FORMAT, recordId, type CaptureMode, type DecisionRecord } from "../../shared/decisions/record.ts";
import type { Prediction } from "../../shared/predict.ts";
import type { Row } from "../../shared/preprocess.ts";
import { MESSAGE_BYTES, utf8Length, type Line } from "./messages.ts";
import type { Answers, InstanceSource, RequestFacts } from "./records.ts";
import { withoutFeatureValues } from "./redact.ts";

export const CHUNK_FORMAT = "edgescore.decision-chunk/v1";

/** The fields every record of one request and role shares, in the records' key order. */
type Shared = Pick<DecisionRecord, "requestId" | "time" | "model" | "version" | "manifestSha256" | "role" | "caller" | "topK" | "capture" | "latencyMs">;

/** A chunk as the consumer parses it. */
interface Chunk {
  chunk: typeof CHUNK_FORMAT;
  captureId: string;
  record: Shared;
  /** Index of the chunk's first instance in the request. */
  first: number;
  /** Removed from `features`, and from `answers` where `echoed` and the instance sent one. */
  passThroughKey: string;
  /** The answers are the API's own, each holding the pass-through value first when one was sent. */
  echoed: boolean;
  passThrough: (string | number | null)[];
  features?: Row[];
  answers: Prediction[];
}

/** The answers of a request as pieces of JSON text, by instance. */
interface AnswerTexts {
  /** UTF-8 bytes of instances [a, b) as array elements. */
  bytes(a: number, b: number): number;
  /** Instances [a, b) as the elements of a JSON array (no brackets). */
  join(a: number, b: number): string;
  echoed: boolean;
}

const decoder = new TextDecoder();
const FEATURES_KEY = ',"features":';
const ANSWERS_KEY = ',"answers":[';

/** Slices of the response bytes, at the writer's marks (mark i: prediction i's `{`, or the `,` before it). */
function fromBytes(bytes: Uint8Array, marks: readonly number[]): AnswerTexts {
  const from = (a: number) => (marks[a] as number) + (a > 0 ? 1 : 0);
  return {
    bytes: (a, b) => (marks[b] as number) - from(a),
    join: (a, b) => decoder.decode(bytes.subarray(from(a), marks[b] as number)),
    echoed: true,
  };
}

function fromObjects(predictions: readonly Prediction[]): AnswerTexts {
  const texts = predictions.map((p) => JSON.stringify(p));
  const join = (a: number, b: number) => texts.slice(a, b).join(",");
  return { bytes: (a, b) => utf8Length(join(a, b)), join, echoed: false };
}

/** The features of instances [a, b) as a JSON array, and its UTF-8 bytes. */
type FeatureTexts = (a: number, b: number) => { text: string; bytes: number };

/**
 * Copied out of the request body: from the first instance's `{` to the last's
 * `}`, commas and the client's whitespace included. Line breaks there can only
 * be whitespace (JSON strings escape them), and a chunk is one line: they
 * become spaces.
 */
function fromSource(s: InstanceSource): FeatureTexts {
  return (a, b) => {
    let raw = s.text.slice(s.spans[2 * a], s.spans[2 * b - 1]);
    if (raw.includes("\n") || raw.includes("\r")) raw = raw.replace(/[\n\r]/g, " ");
    return { text: `[${raw}]`, bytes: (s.ascii ? raw.length : utf8Length(raw)) + 2 };
  };
}

function fromRows(rows: readonly Row[]): FeatureTexts {
  return (a, b) => {
    const text = JSON.stringify(rows.slice(a, b));
    return { text, bytes: utf8Length(text) };
  };
}

/** The body's copy when it holds exactly the rows the answers were scored from (the edge's validation keeps the parsed objects). */
function sourceFits(s: InstanceSource | undefined, rows: readonly Row[]): s is InstanceSource {
  if (!s || s.spans.length !== 2 * rows.length || s.instances.length !== rows.length) return false;
  for (let i = 0; i < rows.length; i++) if (rows[i] !== s.instances[i]) return false;
  return true;
}

/**
 * The chunk lines of one request's answers, each at most `maxBytes`
 * (MESSAGE_BYTES: a chunk is one queue message's worth), split by instance
 * into as few chunks as fit. `oversized` counts instances too large for any
 * chunk (never with a real model's spec).
 */
export function chunkLines(a: Answers, r: RequestFacts, mode: Exclude<CaptureMode, "off">, maxBytes = MESSAGE_BYTES): { lines: Line[]; oversized: number } {
  const marked = mode === "full" ? a.answerJson?.() : undefined;
  const source = mode === "full" && sourceFits(r.source, a.rows) ? r.source : undefined;
  const features = mode !== "full" ? undefined : source ? fromSource(source) : fromRows(a.rows);
  const answers = marked ? fromBytes(marked.bytes, marked.marks) : fromObjects(mode === "full" ? a.predictions() : a.predictions().map(withoutFeatureValues));
  const shared: Shared = {
    requestId: r.requestId, time: r.time, model: a.model, version: a.version, manifestSha256: a.manifestSha256, role: a.role,
    caller: r.caller, topK: a.topK, capture: mode, latencyMs: r.latencyMs,
  };
  const head = `{"chunk":"${CHUNK_FORMAT}","captureId":${JSON.stringify(r.captureId)},"record":${JSON.stringify(shared)},"passThroughKey":${JSON.stringify(a.passThroughKey)},"echoed":${answers.echoed},"first":`;
  const headBytes = utf8Length(head);
  const lines: Line[] = [];
  let oversized = 0;
  /** The chunk of instances [from, to), or undefined when it is larger than a message. */
  const build = (from: number, to: number): Line | undefined => {
    // JSON.stringify writes an undefined array element as null: no pass-through value.
    const rest = `${from},"passThrough":${JSON.stringify(a.passThrough.slice(from, to))}`;
    const f = features?.(from, to);
    const bytes = headBytes + utf8Length(rest) + (f ? f.bytes + FEATURES_KEY.length : 0) + ANSWERS_KEY.length + answers.bytes(from, to) + 2;
    return bytes <= maxBytes ? { line: `${head}${rest}${f ? `${FEATURES_KEY}${f.text}` : ""}${ANSWERS_KEY}${answers.join(from, to)}]}`, bytes, records: to - from } : undefined;
  };
  /** Whole when it fits, else halves. */
  const split = (from: number, to: number): void => {
    const chunk = build(from, to);
    if (chunk) { lines.push(chunk); return; }
    if (to - from === 1) { oversized++; return; }
    const mid = from + ((to - from) >> 1);
    split(from, mid);
    split(mid, to);
  };
  // A first guess at how many chunks (from the answers' size and the first row's), so a large request's rows are
  // stringified once, not once whole and again in halves: a 256-applicant request in "full" is two.
  const n = a.count;
  if (n === 0) return { lines, oversized };
  const rowsGuess = source ? (source.spans[2 * n - 1] as number) - (source.spans[0] as number) : features ? JSON.stringify(a.rows[0]).length * n * 1.25 : 0;
  const guess = n > 1 ? answers.bytes(0, n) + rowsGuess : 0;
  const parts = Math.max(1, Math.min(n, Math.ceil(guess / (maxBytes * 0.9))));
  for (let k = 0; k < parts; k++) split(Math.floor((k * n) / parts), Math.floor(((k + 1) * n) / parts));
  return { lines, oversized };
}

const isText = (x: unknown): x is string => typeof x === "string";

/** The chunk's fields the records are built from, checked; undefined for anything else. */
function asChunk(x: unknown): Chunk | undefined {
  const c = x as Partial<Chunk> | null;
  if (typeof c !== "object" || c === null || c.chunk !== CHUNK_FORMAT || !isText(c.captureId) || c.captureId === "") return undefined;
  const s = c.record as Partial<Shared> | undefined;
  if (typeof s !== "object" || s === null || !isText(s.model) || !isText(s.time)) return undefined;
  if (!Number.isInteger(c.first) || !Array.isArray(c.answers) || !Array.isArray(c.passThrough) || c.passThrough.length !== c.answers.length) return undefined;
  if (c.features !== undefined && (!Array.isArray(c.features) || c.features.length !== c.answers.length)) return undefined;
  if (!isText(c.passThroughKey) || typeof c.echoed !== "boolean") return undefined;
  return c as Chunk;
}

/** The record of each instance of a chunk (parsed from its line), in order; undefined when it is not a chunk. */
export function recordsOfChunk(parsed: unknown): DecisionRecord[] | undefined {
  const c = asChunk(parsed);
  if (!c) return undefined;
  const s = c.record;
  const key = c.passThroughKey;
  return c.answers.map((answer, k) => {
    const index = c.first + k;
    const passThrough = c.passThrough[k] ?? null;
    if (key && c.echoed && passThrough !== null && typeof answer === "object" && answer !== null) delete (answer as unknown as Record<string, unknown>)[key];
    let features: Row | undefined;
    if (c.features) {
      // Parsed from this chunk's line: ours to change.
      const row = c.features[k] as Record<string, unknown>;
      if (key && typeof row === "object" && row !== null && Object.hasOwn(row, key)) delete row[key];
      features = row as Row;
    }
    return {
      format: DECISION_FORMAT, id: recordId(c.captureId, index, s.role), requestId: s.requestId, index, time: s.time, model: s.model, version: s.version,
      manifestSha256: s.manifestSha256, role: s.role, caller: s.caller, passThrough, topK: s.topK, capture: s.capture,
      ...(features !== undefined ? { features } : {}), answer, latencyMs: s.latencyMs,
    };
  });
}
