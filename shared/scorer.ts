/**
 * A network ready to score: the manifest's preprocessing, the tfjs network and
 * what reason codes need (the encoded baseline applicant, each feature's
 * segment of the encoded row, the Dense stack as plain arrays). Built once per
 * version, by the edge and by offline jobs alike, so both score identically.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import type { Manifest } from "./artifact.ts";
import { denseLayers, type DenseLayer } from "./explain.ts";
import { impactKernel, type ImpactKernel } from "./impact-kernel.ts";
import { forwardPass } from "./network.ts";
import { baselineValue, stepWidth, transform, type Row } from "./preprocess.ts";
import { reasonText, regressionReasonText } from "./spec.ts";
import { outputMap, taskOf, type Task } from "./task.ts";

export interface Scorer {
  manifest: Manifest;
  model: tfl.LayersModel;
  /** What the model predicts (classification unless the manifest says otherwise). */
  task: Task;
  /** Network output → the answer's units (a regression's value); undefined: the output is the answer (a probability). */
  output?: (z: number) => number;
  /** The network as plain arrays when it is a Dense stack (fast reason codes), else undefined. */
  dense?: DenseLayer[];
  /** The SIMD impact kernel, when the caller supplied its module and the network is Dense(U, relu) → Dense(1, ·). */
  impactKernel?: ImpactKernel;
  /** Reason text per feature, in spec order: the feature raised the risk (classification) or the value (regression). */
  reasonTexts: string[];
  /** Regression: the feature lowered the value. */
  loweredTexts?: string[];
  /** Encoded "typical applicant" (medians and modes): reason codes swap its segments in. */
  baseline: Float32Array;
  /** [start, end) of each feature's segment in the encoded vector, in spec order. */
  segments: [number, number][];
}

/**
 * Checks that the network fits the preprocessing (input width) and gives a
 * finite output for the baseline applicant, then precomputes what scoring
 * needs. Throws with a message naming what is wrong; the caller owns `model`
 * and disposes it on failure.
 */
export function createScorer(manifest: Manifest, model: tfl.LayersModel, kernelModule?: WebAssembly.Module): Scorer {
  const { width, steps } = manifest.preprocess;
  const inputWidth = model.inputs[0]?.shape[1];
  if (inputWidth !== width) {
    throw new Error(`${manifest.name}@${manifest.version}: the network takes ${inputWidth} inputs but preprocessing produces ${width}`);
  }
  const baselineRow: Record<string, number | string> = {};
  for (const s of steps) baselineRow[s.name] = baselineValue(s);
  const baseline = transform(manifest.preprocess, baselineRow as Row);
  const task = taskOf(manifest);
  const output = outputMap(task);
  const warm = forwardPass(model, baseline, 1, width)[0];
  if (warm === undefined || !Number.isFinite(warm) || (output && !Number.isFinite(output(warm)))) {
    throw new Error(`${manifest.name}@${manifest.version}: warm-up prediction is not a finite number`);
  }
  const segments: [number, number][] = [];
  let o = 0;
  for (const s of steps) { segments.push([o, o + stepWidth(s)]); o += stepWidth(s); }
  const dense = denseLayers(model);
  const features = manifest.spec.features;
  const texts = task.kind === "regression"
    ? { reasonTexts: features.map((f) => regressionReasonText(f, manifest.spec.target, true)), loweredTexts: features.map((f) => regressionReasonText(f, manifest.spec.target, false)) }
    : { reasonTexts: features.map(reasonText) };
  const impactKernelOf = dense && kernelModule ? impactKernel(kernelModule, dense, baseline, segments) : undefined;
  return {
    manifest, model, task, baseline, segments, ...texts, ...(output ? { output } : {}), ...(dense ? { dense } : {}),
    ...(impactKernelOf ? { impactKernel: impactKernelOf } : {}),
  };
}
