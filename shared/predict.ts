/**
 * Scoring with reason codes. The answer for every applicant comes from one
 * forward pass over the batch (the scorer's engine: the SIMD kernel or tfjs):
 * a classifier's probability, or a regression's value and prediction interval
 * (shared/task.ts maps the linear output back to the target's units). Each
 * reason's impact is the drop in that answer when the feature is reset to its
 * training baseline (median / mode): on the kernel from the same call that
 * gives the answers, for other Dense networks by the shortcut in explain.ts,
 * otherwise by adding one variant row per feature to that single forward pass.
 */
import { thresholdsOf } from "./artifact.ts";
import { cellOf, transformInto, type Row } from "./preprocess.ts";
import { denseImpacts, explainScratch, impactsFromSums, type DenseLayer } from "./explain.ts";
import type { Scorer } from "./scorer.ts";
import { regressionInterval } from "./task.ts";
import { inputWarnings, type InputWarning } from "./warnings.ts";

export type Decision = "approve" | "refer" | "decline";

export interface Reason {
  feature: string;
  value: number | string | null;
  /**
   * The answer with the applicant's value minus the answer with the baseline
   * value: probability for a classifier (only raising reasons are given), the
   * target's units for a regression (either sign).
   */
  impact: number;
  text: string;
}

export interface ClassificationPrediction {
  probability: number;
  decision: Decision;
  reasons?: Reason[];
  /** Values preprocessing clipped or imputed for this applicant (empty when none). */
  warnings: InputWarning[];
}

export interface RegressionPrediction {
  /** The estimated target, in its own units. */
  value: number;
  /** The prediction interval at the manifest's level (split conformal), [lo, hi]. */
  interval: [number, number];
  reasons?: Reason[];
  warnings: InputWarning[];
}

export type Prediction = ClassificationPrediction | RegressionPrediction;

/** The answer per row: probabilities (float32, as tfjs gives them) or regression values (float64). */
export type Scores = Float32Array | Float64Array;

export interface ScoredRows {
  /** The network's outputs: a classifier's probabilities, a regression's standardized values. */
  out: Float32Array;
  /** The answer per row: `out` itself for a classifier, the value in the target's units for a regression. */
  p: Scores;
  /** rows × features, in the answer's units, when asked for. */
  impacts?: Float64Array;
  /** 1 where preprocessing imputed, clipped or fell back for the row (only those can have input warnings). */
  adjusted: Uint8Array;
}

/** A prediction as the API answers it: the client's pass-through value first, when it sent one. */
export type ApiPrediction = Prediction & Record<string, unknown>;

export function decide(p: number, t: { refer: number; decline: number }): Decision {
  return p >= t.decline ? "decline" : p >= t.refer ? "refer" : "approve";
}

/** The answers for network outputs (a copy only for a regression). */
function answers(m: Scorer, out: Float32Array): Scores {
  const g = m.output;
  if (!g) return out;
  const p = new Float64Array(out.length);
  for (let i = 0; i < out.length; i++) p[i] = g(out[i] as number);
  return p;
}

/** Impacts (rows × features) and answers, with variant rows in the tfjs batch: any network. */
function batchedVariants(m: Scorer, rows: Row[], explain: boolean): ScoredRows {
  const { width, steps } = m.manifest.preprocess;
  const perRow = explain ? steps.length + 1 : 1;
  const x = new Float32Array(rows.length * perRow * width);
  const adjusted = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    const base = i * perRow * width;
    adjusted[i] = transformInto(m.manifest.preprocess, row, x, base) ? 1 : 0;
    if (!explain) return;
    const encoded = x.subarray(base, base + width);
    m.segments.forEach(([start, end], j) => {
      const o = base + (j + 1) * width;
      x.set(encoded, o);
      x.set(m.baseline.subarray(start, end), o + start);
    });
  });
  const all = m.forward(x, rows.length * perRow);
  if (!explain) return { out: all, p: answers(m, all), adjusted };
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = all[i * perRow] as number;
  const answered = answers(m, all);
  const impacts = new Float64Array(rows.length * steps.length);
  for (let i = 0; i < rows.length; i++) {
    const pi = answered[i * perRow] as number;
    for (let j = 0; j < steps.length; j++) impacts[i * steps.length + j] = pi - (answered[i * perRow + j + 1] as number);
  }
  return { out, p: answers(m, out), impacts, adjusted };
}

/** The same for Dense networks: answers and impacts from one kernel call, or the forward pass and explain.ts's shortcut. */
function denseShortcut(m: Scorer, rows: Row[], explain: boolean): ScoredRows {
  const { width } = m.manifest.preprocess;
  const n = rows.length;
  // On the kernel, rows are encoded straight into its memory (transformInto writes every value).
  const x = m.impactKernel ? m.impactKernel.input(n) : new Float32Array(n * width);
  const adjusted = new Uint8Array(n);
  for (let i = 0; i < n; i++) adjusted[i] = transformInto(m.manifest.preprocess, rows[i] as Row, x, i * width) ? 1 : 0;
  return scoreEncoded(m, x, n, adjusted, explain);
}

/**
 * Scores n rows already encoded into `x` (on the kernel, into the memory
 * `impactKernel.input(n)` gave, as the edge's one-pass validation writes them;
 * shared/accept-into.ts), with `adjusted` as `transformInto` answered per row.
 * For a Dense network (`m.dense`); the same result as `scoreWithImpacts` on the rows. `reasonsOnly` (the
 * edge, which uses impacts only for the answer's reasons) lets a classifier's falls stay 0 (explain.ts).
 */
export function scoreEncoded(m: Scorer, x: Float32Array, n: number, adjusted: Uint8Array, explain: boolean, reasonsOnly = false): ScoredRows {
  const { width, steps } = m.manifest.preprocess;
  const impacts = explain ? new Float64Array(n * steps.length) : undefined;
  if (impacts && m.impactKernel) {
    // Each row's own sum is in the same call: the answer and its reasons come from one computation.
    const sums = m.impactKernel.sums(x, n);
    const last = m.dense![m.dense!.length - 1] as DenseLayer;
    // Only a classifier's rises become reasons; a regression shows falls too, and `output` may not increase.
    const risesOnly = reasonsOnly && !m.loweredTexts && !m.output && last.kind === "sigmoid";
    impactsFromSums(sums, n, steps.length, last, impacts, m.output, risesOnly);
    const out = m.impactKernel.outputsOf(sums, n, steps.length + 1);
    return { out, p: answers(m, out), impacts, adjusted };
  }
  const out = m.forward(x, n);
  const p = answers(m, out);
  if (!impacts || !m.dense) return { out, p, adjusted };
  const scratch = explainScratch(m.dense);
  for (let i = 0; i < n; i++) {
    denseImpacts(m.dense, x.subarray(i * width, (i + 1) * width), m.baseline, m.segments, impacts.subarray(i * steps.length, (i + 1) * steps.length), m.output, scratch);
  }
  return { out, p, impacts, adjusted };
}

export function scoreWithImpacts(m: Scorer, rows: Row[], explain: boolean): ScoredRows {
  return m.dense ? denseShortcut(m, rows, explain) : batchedVariants(m, rows, explain);
}

/** The answers only, for offline jobs (the quality gate, monitoring, batch scoring): the same forward pass the edge runs. */
export function scoreRows(m: Scorer, rows: Row[]): Scores {
  return scoreWithImpacts(m, rows, false).p;
}

/** Impacts of one row as reasons: a classifier's raising features, a regression's largest either way; at most `topK`. */
function reasonsOf(m: Scorer, row: Row, impacts: Float64Array, i: number, topK: number, value: number): Reason[] {
  const features = m.manifest.spec.features;
  const k = features.length;
  const reasons: Reason[] = [];
  if (!m.loweredTexts) {
    features.forEach((f, j) => {
      const impact = impacts[i * k + j] as number;
      if (impact > 1e-6) reasons.push({ feature: f.name, value: cellOf(row, f.name) ?? null, impact: Math.round(impact * 1e6) / 1e6, text: m.reasonTexts[j] as string });
    });
    return reasons.sort((a, b) => b.impact - a.impact).slice(0, topK);
  }
  // In the target's units, whatever its scale: six significant digits, and nothing below float noise.
  const floor = 1e-9 * Math.max(1, Math.abs(value));
  features.forEach((f, j) => {
    const impact = impacts[i * k + j] as number;
    if (Math.abs(impact) > floor) {
      reasons.push({ feature: f.name, value: cellOf(row, f.name) ?? null, impact: Number(impact.toPrecision(6)), text: (impact > 0 ? m.reasonTexts : m.loweredTexts!)[j] as string });
    }
  });
  return reasons.sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact)).slice(0, topK);
}

export function predict(m: Scorer, rows: Row[], topK: number): Prediction[] {
  return predictionsOf(m, rows, scoreWithImpacts(m, rows, topK > 0), topK);
}

/**
 * The predictions for rows already scored (`scoreWithImpacts(m, rows, topK > 0)`):
 * the objects the API's answer is the JSON of. shared/answer-json.ts writes
 * that JSON without building them; this stays the definition it is tested against.
 */
export function predictionsOf(m: Scorer, rows: Row[], scored: ScoredRows, topK: number): Prediction[] {
  const { out, p, impacts, adjusted } = scored;
  const task = m.task;
  const thresholds = task.kind === "classification" ? thresholdsOf(m.manifest) : undefined;
  return rows.map((row, i): Prediction => {
    const warnings = adjusted[i] ? inputWarnings(m.manifest.preprocess, row) : [];
    const answer = p[i] as number;
    const reasons = impacts ? { reasons: reasonsOf(m, row, impacts, i, topK, answer) } : {};
    // Reasons before warnings in the JSON, as documented.
    if (task.kind === "regression") return { value: answer, interval: regressionInterval(task, out[i] as number), ...reasons, warnings };
    return { probability: answer, decision: decide(answer, thresholds!), ...reasons, warnings };
  });
}

/**
 * The API's shape of each prediction: the instance's pass-through value (if
 * any) under `passThroughKey`, first, so a client can match answers to
 * applicants without relying on order.
 */
export function withPassThrough(predictions: Prediction[], passThroughKey: string, values: (string | number | undefined)[]): ApiPrediction[] {
  if (!passThroughKey) return predictions as ApiPrediction[];
  return predictions.map((p, i) => (values[i] === undefined ? p : { [passThroughKey]: values[i], ...p }) as ApiPrediction);
}
