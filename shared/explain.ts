/**
 * Reason-code impacts without k+1 full forward passes. For a stack of Dense
 * layers the first layer is linear in its input, and resetting feature j to
 * its baseline changes only j's segment of the encoded row. So
 *   h_j = h + (baseline[seg j] - x[seg j]) · W1[seg j]
 * costs |seg j| × units instead of width × units, and only the (small) layers
 * after it run in full. The probability a client receives still comes from
 * tfjs; this computes how much each feature moves it.
 */
import type * as tfl from "@tensorflow/tfjs-layers";

type Activation = (x: number) => number;

/** Every activation `npm run train --activation` can store (tfjs's elu has alpha 1). */
const ACTIVATIONS: Record<string, Activation> = {
  linear: (x) => x,
  relu: (x) => (x > 0 ? x : 0),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
};

export interface DenseLayer {
  /** Kernel, row-major [inputs][units] as tfjs stores it. */
  w: Float32Array;
  b: Float32Array;
  inputs: number;
  units: number;
  activation: Activation;
}

/** The network as plain arrays, or undefined if it is not a stack of supported Dense layers. */
export function denseLayers(model: tfl.LayersModel): DenseLayer[] | undefined {
  const out: DenseLayer[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === "InputLayer") continue;
    if (layer.getClassName() !== "Dense") return undefined;
    const config = layer.getConfig() as { activation?: string; useBias?: boolean };
    const activation = ACTIVATIONS[config.activation ?? "linear"];
    const [kernel, bias] = layer.getWeights();
    if (!activation || !kernel || kernel.shape.length !== 2) return undefined;
    const [inputs, units] = kernel.shape as [number, number];
    out.push({ w: kernel.dataSync() as Float32Array, b: bias ? (bias.dataSync() as Float32Array) : new Float32Array(units), inputs, units, activation });
  }
  const last = out[out.length - 1];
  return last && last.units === 1 ? out : undefined;
}

/** Output of the layers after the first, given the first layer's pre-activation. */
function finish(layers: DenseLayer[], pre: Float64Array, scratch: Float64Array[]): number {
  const first = layers[0] as DenseLayer;
  let a = scratch[0] as Float64Array;
  for (let u = 0; u < first.units; u++) a[u] = first.activation(pre[u] as number);
  for (let l = 1; l < layers.length; l++) {
    const { w, b, inputs, units, activation } = layers[l] as DenseLayer;
    const next = scratch[l] as Float64Array;
    for (let u = 0; u < units; u++) {
      let s = b[u] as number;
      for (let i = 0; i < inputs; i++) s += (a[i] as number) * (w[i * units + u] as number);
      next[u] = activation(s);
    }
    a = next;
  }
  return a[0] as number;
}

/**
 * For the encoded row `x`, writes into `out[j]` how much the output drops when
 * segment j is reset to `baseline` (positive: the applicant's value raised it).
 * `output` maps the network's output to the answer's units first (a
 * regression's linear output to the target's units), so impacts are in them.
 */
export function denseImpacts(layers: DenseLayer[], x: Float32Array, baseline: Float32Array, segments: [number, number][], out: Float64Array, output?: (z: number) => number): void {
  const { w, b, inputs, units } = layers[0] as DenseLayer;
  const scratch = layers.map((l) => new Float64Array(l.units));
  const pre = new Float64Array(units);
  for (let u = 0; u < units; u++) pre[u] = b[u] as number;
  for (let i = 0; i < inputs; i++) {
    const xi = x[i] as number;
    if (xi === 0) continue;
    for (let u = 0; u < units; u++) pre[u] = (pre[u] as number) + xi * (w[i * units + u] as number);
  }
  const at = (z: number) => (output ? output(z) : z);
  const p = at(finish(layers, pre, scratch));
  const variant = new Float64Array(units);
  segments.forEach(([start, end], j) => {
    variant.set(pre);
    let changed = false;
    for (let i = start; i < end; i++) {
      const d = (baseline[i] as number) - (x[i] as number);
      if (d === 0) continue;
      changed = true;
      for (let u = 0; u < units; u++) variant[u] = (variant[u] as number) + d * (w[i * units + u] as number);
    }
    out[j] = changed ? p - at(finish(layers, variant, scratch)) : 0;
  });
}
