/**
 * The trained network's outputs as the edge will serve them: on the SIMD
 * kernel when it runs the network (the reference architecture), else on
 * tfjs (shared/scorer.ts makes the same choice). The card's test metrics, the
 * thresholds' validation scores and a regression's conformal interval come
 * from these, so they describe exactly what is served, to the bit.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { denseLayers } from "../../shared/explain.ts";
import { impactKernel } from "../../shared/impact-kernel.ts";
import type { Matrix } from "../data/matrix.ts";
import { impactKernelModule } from "../kernels/load.ts";
import { predictProba } from "./loop.ts";
import { FORWARD_BATCH } from "../../shared/network.ts";

export function servedOutputs(model: tfl.LayersModel, m: Matrix): Float32Array {
  const dense = denseLayers(model);
  // No reasons here: a zero baseline and no feature segments.
  const kernel = dense ? impactKernel(impactKernelModule(), dense, new Float32Array(m.width), []) : undefined;
  return predictProba(model, m, FORWARD_BATCH, kernel?.outputs);
}
