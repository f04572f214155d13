/**
 * Scoring with reason codes in one forward pass. For each applicant the batch
 * holds its encoded row plus one variant per feature with that feature reset
 * to the training baseline (median / mode); the drop in probability when a
 * feature is reset is its impact. So k reasons cost one model call, not k+1.
 */
import * as tf from "@tensorflow/tfjs-core";
import { transformInto, type Row } from "../shared/preprocess.ts";
import { reasonText } from "../shared/spec.ts";
import type { LoadedModel } from "./loader.ts";

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
}

export function decide(p: number, t: { refer: number; decline: number }): Decision {
  return p >= t.decline ? "decline" : p >= t.refer ? "refer" : "approve";
}

/** Runs the network on `n` encoded rows. */
function forward(m: LoadedModel, x: Float32Array, n: number): Float32Array {
  return tf.tidy(() => (m.model.predict(tf.tensor2d(x, [n, m.manifest.preprocess.width])) as tf.Tensor).dataSync() as Float32Array);
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

export function predict(m: LoadedModel, rows: Row[], topK: number): Prediction[] {
  const { width, steps } = m.manifest.preprocess;
  const explain = topK > 0;
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
  const p = forward(m, x, rows.length * perRow);
  const features = m.manifest.spec.features;
  return rows.map((row, i) => {
    const probability = p[i * perRow] as number;
    const out: Prediction = { probability, decision: decide(probability, m.manifest.thresholds) };
    if (!explain) return out;
    const impacts: Reason[] = [];
    features.forEach((f, j) => {
      const impact = probability - (p[i * perRow + j + 1] as number);
      if (impact > 1e-6) impacts.push({ feature: f.name, value: row[f.name] ?? null, impact: round(impact, 6), text: reasonText(f) });
    });
    out.reasons = impacts.sort((a, b) => b.impact - a.impact).slice(0, topK);
    return out;
  });
}
