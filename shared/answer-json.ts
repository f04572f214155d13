/**
 * The predictions of a scored batch as JSON, written straight from the scored
 * arrays into UTF-8 bytes: the same bytes as `JSON.stringify` of the objects
 * shared/predict.ts's `predictionsOf` builds (keyed by `withPassThrough`),
 * without building them. For 256 applicants with reasons the objects (about
 * 1,000 reasons), their serialisation and its garbage were most of a
 * request's cost above parsing its body.
 *
 * How it stays byte-equal: every fixed text (a feature's name, its reason
 * texts, a category value, a decision) is `JSON.stringify`'s own output,
 * encoded once per scorer; numbers are `String(x)`, which is what
 * `JSON.stringify` writes for a finite number (`null` otherwise), or, for a
 * classifier's impact, the same digits from integer arithmetic; reasons are
 * picked by a top-k insertion that keeps the order of the object path's
 * stable sort (larger impact first, ties in feature order); anything rare
 * (input warnings, client strings outside the spec, a pass-through key named
 * like an answer field) goes through `JSON.stringify` itself.
 * test/answer-json.test.ts compares the two paths on generated batches.
 */
import { thresholdsOf } from "./artifact.ts";
import { decide, predictionsOf, withPassThrough, type ScoredRows } from "./predict.ts";
import { cellOf, type PreprocessState, type Row, type Step } from "./preprocess.ts";
import type { Scorer } from "./scorer.ts";
import { regressionInterval } from "./task.ts";
import { inputWarnings } from "./warnings.ts";
import { JsonBytes } from "./json-bytes.ts";
import { bytesOf, F, fragmentsOf, type Fragments } from "./answer-fragments.ts";
import type { KernelReasons } from "./reasons-writer.ts";

/** Keys of a prediction object: a pass-through key with one of these names is overwritten by the answer's own field. */
const ANSWER_KEYS = new Set(["probability", "decision", "reasons", "warnings", "value", "interval"]);

/** A reason's start up to its impact: feature, value (a cell of a validated row: number, string, null or missing), `,"impact":`. */
function writeHead(w: JsonBytes, f: Fragments, q: number, j: number, row: Row): void {
  // A validated row's own values are numbers, strings or null; what a missing feature named like an
  // Object.prototype member reads as (a function) is neither number nor string, so it is written as null, as cellOf would have it.
  const v = row[f.features[j] as string];
  if (typeof v === "string") {
    const piece = ((q ? f.nextValued : f.valued)[j] as Map<string, Uint8Array>).get(v);
    if (piece) { w.bytes(piece); return; }
  }
  w.bytes((q ? f.nextHead : f.head)[j] as Uint8Array);
  if (typeof v === "number") w.number(v);
  else if (typeof v === "string") w.string(v);
  else w.bytes(F.nul);
  w.bytes(F.impact);
}

/**
 * A row's input warnings, `JSON.stringify(inputWarnings(state, row))`: from the
 * per-feature pieces when every warning is an imputation (a null or left-out
 * value), through inputWarnings itself when a value was clipped (its message
 * quotes the value).
 */
function writeWarnings(w: JsonBytes, f: Fragments, state: PreprocessState, row: Row): void {
  const steps = state.steps;
  const imputed = f.imputed;
  let clipped = !imputed;
  for (let k = 0; k < steps.length && !clipped; k++) {
    const step = steps[k] as Step;
    const v = cellOf(row, step.name);
    clipped = step.kind === "numeric" && typeof v === "number" && (v < step.lo || v > step.hi);
  }
  if (clipped) { w.text(JSON.stringify(inputWarnings(state, row))); return; }
  w.bytes(F.arrayOpen);
  let first = true;
  for (let k = 0; k < steps.length; k++) {
    const v = cellOf(row, (steps[k] as Step).name);
    if (v !== null && v !== undefined) continue;
    if (!first) w.bytes(F.comma);
    w.bytes(imputed![k] as Uint8Array);
    first = false;
  }
  w.bytes(F.arrayClose);
}

/** Scratch for the top-k selection, grown to the largest k asked for. */
let pickIdx = new Int32Array(16);
let pickKey = new Float64Array(16);

/**
 * Inserts candidate j (sort key `key`) into the first `count` picks, largest
 * key first and equal keys in arrival (feature) order, as a stable sort and
 * `slice(0, k)` would. Returns the new count.
 */
function insert(count: number, k: number, j: number, key: number): number {
  let at = count;
  while (at > 0 && (pickKey[at - 1] as number) < key) at--;
  if (at >= k) return count;
  for (let q = count < k ? count : k - 1; q > at; q--) { pickIdx[q] = pickIdx[q - 1] as number; pickKey[q] = pickKey[q - 1] as number; }
  pickIdx[at] = j;
  pickKey[at] = key;
  return count < k ? count + 1 : k;
}

/** A classifier's reasons for row i (inside the reasons array): raising features (impact > 1e-6) shown and ranked to 1e-6, at most k. */
function classifierReasons(w: JsonBytes, f: Fragments, impacts: Float64Array, i: number, nf: number, k: number, row: Row): void {
  let count = 0;
  const base = i * nf;
  for (let j = 0; j < nf; j++) {
    const impact = impacts[base + j] as number;
    if (impact > 1e-6) count = insert(count, k, j, Math.round(impact * 1e6) / 1e6);
  }
  for (let q = 0; q < count; q++) {
    const j = pickIdx[q] as number;
    writeHead(w, f, q, j, row);
    w.micros(pickKey[q] as number);
    w.bytes(f.raised[j] as Uint8Array);
  }
}

/** A regression's reasons (inside the reasons array): either sign above float noise, six significant digits, largest |impact| first. */
function regressionReasons(w: JsonBytes, f: Fragments, impacts: Float64Array, i: number, nf: number, k: number, row: Row, value: number): void {
  const floor = 1e-9 * Math.max(1, Math.abs(value));
  let count = 0;
  const base = i * nf;
  for (let j = 0; j < nf; j++) {
    const impact = impacts[base + j] as number;
    if (Math.abs(impact) > floor) count = insert(count, k, j, Math.abs(Number(impact.toPrecision(6))));
  }
  for (let q = 0; q < count; q++) {
    const j = pickIdx[q] as number;
    const impact = impacts[base + j] as number;
    writeHead(w, f, q, j, row);
    w.number(Number(impact.toPrecision(6)));
    // The raw sign picks the text, as the object path does.
    w.bytes((impact > 0 ? f.raised : (f.lowered as Uint8Array[]))[j] as Uint8Array);
  }
}

function writePredictions(w: JsonBytes, m: Scorer, a: AnswerInput, keyJson: Uint8Array | undefined, echoes: readonly (string | number | undefined)[], marks: number[] | undefined): void {
  const { rows, scored, topK, reasons: written } = a;
  const f = fragmentsOf(m);
  const { out, p, impacts, adjusted } = scored;
  const nf = f.features.length;
  const task = m.task;
  const regression = task.kind === "regression";
  const thresholds = task.kind === "classification" ? thresholdsOf(m.manifest) : undefined;
  const k = impacts ? Math.min(topK, nf) : 0;
  if (k > pickIdx.length) { pickIdx = new Int32Array(k); pickKey = new Float64Array(k); }
  // Fixed text is written in as few pieces as its order allows: `,{"probability":`, `,"decision":"refer","reasons":[`, `],"warnings":[]}`.
  const [first, next, field] = regression ? [F.openValue, F.nextValue, F.value] : [F.openProbability, F.nextProbability, F.probability];
  const decided = impacts ? F.decisionReasons : F.decision;
  w.bytes(F.arrayOpen);
  const n = rows.length;
  // With the kernel, a classifier's plain rows (no warnings, no pass-through value, a finite answer) are written
  // whole by it, and this loop writes the others.
  let whole: ((i: number, marks?: number[]) => number) | undefined;
  if (written && impacts && thresholds && p instanceof Float32Array) {
    const own = new Uint8Array(n);
    for (let i = 0; i < n; i++) own[i] = adjusted[i] || (keyJson && echoes[i] !== undefined) || !Number.isFinite(p[i]) ? 1 : 0;
    whole = written.rows(p, thresholds, own);
  }
  for (let i = 0; i < n; i++) {
    if (whole) {
      i = whole(i, marks);
      if (i >= n) break;
    }
    marks?.push(w.length);
    const row = rows[i] as Row;
    const answer = p[i] as number;
    const echo = keyJson ? echoes[i] : undefined;
    if (echo !== undefined) {
      w.bytes(i ? F.nextOpen : F.open);
      w.bytes(keyJson as Uint8Array);
      if (typeof echo === "number") w.number(echo);
      else w.string(echo);
      w.bytes(F.comma);
      w.bytes(field);
    } else w.bytes(i ? next : first);
    w.number(answer);
    if (task.kind === "regression") {
      const [lo, hi] = regressionInterval(task, out[i] as number);
      w.bytes(F.interval);
      w.number(lo);
      w.bytes(F.comma);
      w.number(hi);
      w.bytes(impacts ? F.intervalReasons : F.intervalEnd);
      if (impacts) regressionReasons(w, f, impacts, i, nf, k, row, answer);
    } else {
      w.bytes(decided[decide(answer, thresholds!)]);
      // The kernel writes the row's reasons in place when it can (into `w`, which is then its memory).
      if (impacts && !written?.row(i)) classifierReasons(w, f, impacts, i, nf, k, row);
    }
    if (adjusted[i]) {
      w.bytes(impacts ? F.reasonsWarnings : F.warnings);
      writeWarnings(w, f, m.manifest.preprocess, row);
      w.bytes(F.close);
    } else w.bytes(impacts ? F.reasonsNoWarnings : F.noWarnings);
  }
  marks?.push(w.length);
}

/** The batch's answers, as the route and the tests see them. */
export interface AnswerInput {
  rows: Row[];
  scored: ScoredRows;
  topK: number;
  passThroughKey?: string;
  echoes?: readonly (string | number | undefined)[];
  /** A classifier's reasons from the kernel (shared/reasons-writer.ts), for `scored`'s impacts and topK: the answer is written in its memory. */
  reasons?: KernelReasons;
}

/**
 * The whole answer as UTF-8 bytes: `JSON.stringify({...head, predictions})`
 * where `predictions` is `withPassThrough(predictionsOf(m, rows, scored,
 * topK), passThroughKey, echoes)` and `head` holds the answer's other fields
 * (`id`, `model`).
 *
 * `marks`, when given, receives where each prediction starts (prediction 0 at
 * its `{`, the others at the `,` before it) and, last, where the array's `]`
 * is: decision capture slices the answer's predictions out of these bytes
 * instead of building them again. Left empty when the answer was written
 * through `JSON.stringify` (the odd cases below).
 */
export function answerBytes(m: Scorer, head: Record<string, unknown>, a: AnswerInput, marks?: number[]): Uint8Array<ArrayBuffer> {
  const key = a.passThroughKey ?? "";
  const echoes = a.echoes ?? [];
  // A key named like an answer field keeps its place but not its value, and a topK other than a count slices
  // oddly: both are left to JSON.stringify of the objects.
  const odd = (key !== "" && ANSWER_KEYS.has(key) && echoes.some((e) => e !== undefined)) || (a.scored.impacts && !(Number.isInteger(a.topK) && a.topK >= 1));
  if (odd) return bytesOf(JSON.stringify({ ...head, predictions: withPassThrough(predictionsOf(m, a.rows, a.scored, a.topK), key, echoes as (string | number | undefined)[]) }));
  const w = a.reasons?.out ?? JsonBytes.shared();
  const h = JSON.stringify(head);
  w.text(h.length > 2 ? `${h.slice(0, -1)},"predictions":` : '{"predictions":');
  writePredictions(w, m, a, key ? bytesOf(`${JSON.stringify(key)}:`) : undefined, echoes, marks);
  w.bytes(F.end);
  return w.take();
}
