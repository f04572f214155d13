/**
 * A network ready to score: the manifest's preprocessing, the network's
 * forward pass and what reason codes need (the encoded baseline applicant,
 * each feature's segment of the encoded row, the Dense stack as plain arrays).
 * Built once per version, by the edge and by offline jobs alike, so both
 * score identically: on the SIMD kernel when it runs the network (the
 * reference architecture), else on tfjs.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import type { Manifest } from "./artifact.ts";
import { denseLayers, type DenseLayer } from "./explain.ts";
import { impactKernel, kernelRuns, type ImpactKernel } from "./impact-kernel.ts";
import { forwardPass } from "./network.ts";
import { baselineValue, stepWidth, transform, type Row } from "./preprocess.ts";
import { reasonText, regressionReasonText } from "./spec.ts";
import { outputMap, taskOf, type Task } from "./task.ts";

/** What runs a scorer's forward pass. */
export type Engine = "simd" | "tfjs";

export interface Scorer {
  manifest: Manifest;
  /** The network's outputs for n encoded rows (width values each). */
  forward(x: Float32Array, n: number): Float32Array;
  engine: Engine;
  /** The tfjs network, when the scorer was built from one (the SIMD engine built from files has none). */
  model?: tfl.LayersModel;
  /** Frees the tfjs network, if any. */
  dispose(): void;
  /** What the model predicts (classification unless the manifest says otherwise). */
  task: Task;
  /** Network output → the answer's units (a regression's value); undefined: the output is the answer (a probability). */
  output?: (z: number) => number;
  /** The network as plain arrays when it is a Dense stack (fast reason codes), else undefined. */
  dense?: DenseLayer[];
  /** The SIMD kernel, when the caller supplied its module and the network is Dense(U, relu) → Dense(1, ·): it then runs forward() too. */
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
 * needs. The network is a tfjs model, or the Dense layers read from the files
 * (shared/dense-files.ts), which need the kernel module and an architecture
 * it runs. Throws with a message naming what is wrong; the caller owns `model`
 * and disposes it on failure.
 */
export function createScorer(manifest: Manifest, network: tfl.LayersModel | DenseLayer[], kernelModule?: WebAssembly.Module): Scorer {
  const { width, steps } = manifest.preprocess;
  const model = Array.isArray(network) ? undefined : network;
  const dense = model ? denseLayers(model) : (network as DenseLayer[]);
  if (!model && !(kernelModule && dense && kernelRuns(dense))) {
    throw new Error(`${manifest.name}@${manifest.version}: Dense layers alone are served only on the SIMD kernel, which does not run this network`);
  }
  const inputWidth = model ? model.inputs[0]?.shape[1] : dense?.[0]?.inputs;
  if (inputWidth !== width) {
    throw new Error(`${manifest.name}@${manifest.version}: the network takes ${inputWidth} inputs but preprocessing produces ${width}`);
  }
  // No prototype: every step name, whatever it is, is an own key of the baseline row.
  const baselineRow = Object.create(null) as Record<string, number | string>;
  for (const s of steps) baselineRow[s.name] = baselineValue(s);
  const baseline = transform(manifest.preprocess, baselineRow as Row);
  const task = taskOf(manifest);
  const output = outputMap(task);
  const segments: [number, number][] = [];
  let o = 0;
  for (const s of steps) { segments.push([o, o + stepWidth(s)]); o += stepWidth(s); }
  const kernel = dense && kernelModule ? impactKernel(kernelModule, dense, baseline, segments) : undefined;
  const forward = kernel ? kernel.outputs : (x: Float32Array, n: number) => forwardPass(model!, x, n, width);
  const warm = forward(baseline, 1)[0];
  if (warm === undefined || !Number.isFinite(warm) || (output && !Number.isFinite(output(warm)))) {
    throw new Error(`${manifest.name}@${manifest.version}: warm-up prediction is not a finite number`);
  }
  const features = manifest.spec.features;
  const texts = task.kind === "regression"
    ? { reasonTexts: features.map((f) => regressionReasonText(f, manifest.spec.target, true)), loweredTexts: features.map((f) => regressionReasonText(f, manifest.spec.target, false)) }
    : { reasonTexts: features.map(reasonText) };
  return {
    manifest, forward, engine: kernel ? "simd" : "tfjs", ...(model ? { model } : {}), dispose: () => model?.dispose(),
    task, baseline, segments, ...texts, ...(output ? { output } : {}), ...(dense ? { dense } : {}),
    ...(kernel ? { impactKernel: kernel } : {}),
  };
}
