/**
 * Structured magnitude pruning: whole hidden units are removed, so the stored
 * network is smaller and the edge multiplies smaller matrices (zeros inside a
 * dense kernel would cost the same time). A unit's importance is the product of
 * the norms of its incoming and outgoing weights: a unit that barely listens or
 * barely speaks changes the output least. The smaller network then continues
 * training (fine-tuning) from the kept weights.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { binaryHead, buildModel, type Head } from "./architecture.ts";
import type { ModelOptions } from "./options.ts";

interface Dense { w: Float32Array; b: Float32Array; inputs: number; units: number }

function denseOf(model: tfl.LayersModel): Dense[] {
  return model.layers.map((layer) => {
    const [kernel, bias] = layer.getWeights();
    if (!kernel || !bias || kernel.shape.length !== 2) throw new Error(`pruning needs Dense layers with a bias; ${layer.name} is not one`);
    const [inputs, units] = kernel.shape as [number, number];
    return { w: kernel.dataSync() as Float32Array, b: bias.dataSync() as Float32Array, inputs, units };
  });
}

/** Units of each hidden layer to keep, by importance (ties: the lower index), in their original order. */
export function unitsToKeep(model: tfl.LayersModel, sparsity: number): number[][] {
  const layers = denseOf(model);
  const keep: number[][] = [];
  let inputs = Array.from({ length: layers[0]?.inputs ?? 0 }, (_, i) => i);
  for (let l = 0; l < layers.length - 1; l++) {
    const { w, units } = layers[l] as Dense;
    const next = layers[l + 1] as Dense;
    const score = Array.from({ length: units }, (_, u) => {
      let incoming = 0;
      for (const i of inputs) incoming += (w[i * units + u] as number) ** 2;
      let outgoing = 0;
      for (let v = 0; v < next.units; v++) outgoing += (next.w[u * next.units + v] as number) ** 2;
      return Math.sqrt(incoming * outgoing);
    });
    const k = Math.max(1, Math.round(units * (1 - sparsity)));
    const kept = Array.from({ length: units }, (_, u) => u).sort((a, b) => (score[b] as number) - (score[a] as number) || a - b).slice(0, k).sort((a, b) => a - b);
    keep.push(kept);
    inputs = kept;
  }
  return keep;
}

/**
 * A new, smaller network holding the kept units' weights exactly: before any
 * fine-tuning it computes what the original computes with the other units'
 * outputs removed. The original is left untouched.
 */
export function pruneUnits(model: tfl.LayersModel, sparsity: number, o: ModelOptions & { seed: number }, head: Head = binaryHead): { model: tfl.LayersModel; hidden: number[] } {
  const layers = denseOf(model);
  const keep = unitsToKeep(model, sparsity);
  const hidden = keep.map((k) => k.length);
  const pruned = buildModel(layers[0]?.inputs ?? 0, { ...o, hidden }, head);
  const tensors: tf.Tensor[] = [];
  let rows = Array.from({ length: layers[0]?.inputs ?? 0 }, (_, i) => i);
  layers.forEach((layer, l) => {
    const cols = keep[l] ?? Array.from({ length: layer.units }, (_, u) => u);
    const w = new Float32Array(rows.length * cols.length);
    rows.forEach((r, i) => cols.forEach((c, j) => { w[i * cols.length + j] = layer.w[r * layer.units + c] as number; }));
    tensors.push(tf.tensor2d(w, [rows.length, cols.length]), tf.tensor1d(cols.map((c) => layer.b[c] as number)));
    rows = cols;
  });
  pruned.setWeights(tensors);
  tensors.forEach((t) => t.dispose());
  return { model: pruned, hidden };
}
