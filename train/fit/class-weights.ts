/** Class weights for the loss: n / (2 · n_class) per class with "balanced", else none. */
import type { Head } from "./architecture.ts";
import type { TrainOptions } from "./options.ts";

export interface ClassWeights { pos: number; neg: number }

export function classWeights(y: Float32Array, mode: TrainOptions["classWeight"], head: Head): ClassWeights | undefined {
  if (mode !== "balanced") return undefined;
  if (head.spec.kind !== "binary") throw new Error("class weights (balanced) apply to classification; a regression target has no classes");
  const pos = y.reduce((s, v) => s + v, 0);
  return { pos: y.length / (2 * Math.max(1, pos)), neg: y.length / (2 * Math.max(1, y.length - pos)) };
}
