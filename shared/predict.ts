/**
 * Scoring with reason codes. The probability of every applicant comes from one
 * tfjs forward pass over the batch. Each reason's impact is the drop in
 * probability when that feature is reset to its training baseline (median /
 * mode): for Dense networks computed by the shortcut in explain.ts, otherwise
 * by adding one variant row per feature to that same single forward pass.
 */
import * as tf from "@tensorflow/tfjs-core";
import { transformInto, type Row } from "./preprocess.ts";
import { denseImpacts, explainScratch } from "./explain.ts";
import type { Scorer } from "./scorer.ts";
import { inputWarnings, type InputWarning } from "./warnings.ts";

export type Decision = "approve" | "refer" | "decline";

export interface Reason {
  feature: string;
  value: number | string | null;
  /** Probability with the applicant's value minus probability with the baseline value. */
  impact: number;
  text: string;
}

export interface Prediction {
  probability: number;
  decision: Decision;
  reasons?: Reason[];
  /** Values preprocessing clipped or imputed for this applicant (empty when none). */
  warnings: InputWarning[];
}

/** A prediction as the API answers it: the client's pass-through value first, when it sent one. */
export type ApiPrediction = Prediction & Record<string, unknown>;

export function decide(p: number, t: { refer: number; decline: number }): Decision {
  return p >= t.decline ? "decline" : p >= t.refer ? "refer" : "approve";
}

/** Runs the network on `n` encoded rows. */
function forward(m: Scorer, x: Float32Array, n: number): Float32Array {
  return tf.tidy(() => (m.model.predict(tf.tensor2d(x, [n, m.manifest.preprocess.width])) as tf.Tensor).dataSync() as Float32Array);
}

/** Impacts (rows × features) and probabilities, with variant rows in the tfjs batch: any network. */
function batchedVariants(m: Scorer, rows: Row[], explain: boolean): { p: Float32Array; impacts?: Float64Array } {
  const { width, steps } = m.manifest.preprocess;
  const perRow = explain ? steps.length + 1 : 1;
  const x = new Float32Array(rows.length * perRow * width);
  rows.forEach((row, i) => {
    const base = i * perRow * width;
    transformInto(m.manifest.preprocess, row, x, base);
    if (!explain) return;
    const encoded = x.subarray(base, base + width);
    m.segments.forEach(([start, end], j) => {
      const o = base + (j + 1) * width;
      x.set(encoded, o);
      x.set(m.baseline.subarray(start, end), o + start);
    });
  });
  const all = forward(m, x, rows.length * perRow);
  if (!explain) return { p: all };
  const p = new Float32Array(rows.length);
  const impacts = new Float64Array(rows.length * steps.length);
  for (let i = 0; i < rows.length; i++) {
    const pi = all[i * perRow] as number;
    p[i] = pi;
    for (let j = 0; j < steps.length; j++) impacts[i * steps.length + j] = pi - (all[i * perRow + j + 1] as number);
  }
  return { p, impacts };
}

/** The same with the Dense shortcut: tfjs scores n rows, impacts come from explain.ts. */
function denseShortcut(m: Scorer, rows: Row[], explain: boolean): { p: Float32Array; impacts?: Float64Array } {
  const { width, steps } = m.manifest.preprocess;
  const x = new Float32Array(rows.length * width);
  rows.forEach((row, i) => transformInto(m.manifest.preprocess, row, x, i * width));
  const p = forward(m, x, rows.length);
  if (!explain || !m.dense) return { p };
  const impacts = new Float64Array(rows.length * steps.length);
  const scratch = explainScratch(m.dense);
  for (let i = 0; i < rows.length; i++) {
    denseImpacts(m.dense, x.subarray(i * width, (i + 1) * width), m.baseline, m.segments, impacts.subarray(i * steps.length, (i + 1) * steps.length), undefined, scratch);
  }
  return { p, impacts };
}

export function scoreWithImpacts(m: Scorer, rows: Row[], explain: boolean): { p: Float32Array; impacts?: Float64Array } {
  return m.dense ? denseShortcut(m, rows, explain) : batchedVariants(m, rows, explain);
}

/** Probabilities only, for offline jobs (the quality gate, batch scoring): the same forward pass the edge runs. */
export function scoreRows(m: Scorer, rows: Row[]): Float32Array {
  return scoreWithImpacts(m, rows, false).p;
}

export function predict(m: Scorer, rows: Row[], topK: number): Prediction[] {
  const { p, impacts } = scoreWithImpacts(m, rows, topK > 0);
  const features = m.manifest.spec.features;
  return rows.map((row, i) => {
    const probability = p[i] as number;
    const out: Prediction = { probability, decision: decide(probability, m.manifest.thresholds), warnings: inputWarnings(m.manifest.preprocess, row) };
    if (!impacts) return out;
    const reasons: Reason[] = [];
    features.forEach((f, j) => {
      const impact = impacts[i * features.length + j] as number;
      if (impact > 1e-6) reasons.push({ feature: f.name, value: row[f.name] ?? null, impact: Math.round(impact * 1e6) / 1e6, text: m.reasonTexts[j] as string });
    });
    // Reasons before warnings in the JSON, as documented.
    return { probability: out.probability, decision: out.decision, reasons: reasons.sort((a, b) => b.impact - a.impact).slice(0, topK), warnings: out.warnings };
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
