/**
 * Reason-code impacts without k+1 full forward passes. For a stack of Dense
 * layers the first layer is linear in its input, and resetting feature j to
 * its baseline changes only j's segment of the encoded row. So
 *   h_j = h + (baseline[seg j] - x[seg j]) · W1[seg j]
 * costs |seg j| × units instead of width × units, and only the (small) layers
 * after it run in full. The probability a client receives comes from the
 * scorer's forward pass (tfjs here: a network the SIMD kernel runs gets its
 * answers and impacts from shared/impact-kernel.ts); this computes how much
 * each feature moves it.
 */
import type * as tfl from "@tensorflow/tfjs-layers";

type Activation = (x: number) => number;

/** Every activation `npm run train --activation` can store (tfjs's elu has alpha 1). */
export const ACTIVATIONS: Readonly<Record<string, Activation>> = {
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
  /** Its name (e.g. "relu"): the hot loop inlines the common one. */
  kind: string;
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
    out.push({ w: kernel.dataSync() as Float32Array, b: bias ? (bias.dataSync() as Float32Array) : new Float32Array(units), inputs, units, activation, kind: config.activation ?? "linear" });
  }
  const last = out[out.length - 1];
  return last && last.units === 1 ? out : undefined;
}

/**
 * Buffers for {@link denseImpacts}, made once per batch: the impacts of a
 * 256-applicant batch then allocate nothing per applicant.
 */
export interface ExplainScratch {
  /** First layer's pre-activation for the applicant. */
  pre: Float64Array;
  /** Activations of layers 1.. (index l holds layer l's output), for networks deeper than one hidden layer. */
  acts: Float64Array[];
  /** Non-zero deltas of one segment: input index and baseline − applicant. */
  deltaIndex: Int32Array;
  deltaValue: Float64Array;
}

export function explainScratch(layers: DenseLayer[]): ExplainScratch {
  const widest = Math.max(...layers.map((l) => l.inputs));
  return {
    pre: new Float64Array((layers[0] as DenseLayer).units),
    acts: layers.map((l) => new Float64Array(l.units)),
    deltaIndex: new Int32Array(widest),
    deltaValue: new Float64Array(widest),
  };
}

/** The network's output given the first layer's pre-activation `pre` plus the `k` deltas in scratch. */
function outputWith(layers: DenseLayer[], s: ExplainScratch, k: number): number {
  const first = layers[0] as DenseLayer;
  const { w, units, activation } = first;
  const { pre, deltaIndex, deltaValue } = s;
  if (layers.length === 2 && (layers[1] as DenseLayer).units === 1) {
    // One hidden layer (the reference network): fuse the delta, the activation and the output dot product.
    const out = layers[1] as DenseLayer;
    const ow = out.w;
    let sum = out.b[0] as number;
    if (first.kind === "relu" && k <= 2) {
      // The reference network's common case, written out: at most two changed inputs (one-hot swap or one number).
      const r0 = k > 0 ? (deltaIndex[0] as number) * units : 0;
      const r1 = k > 1 ? (deltaIndex[1] as number) * units : 0;
      const d0 = k > 0 ? (deltaValue[0] as number) : 0;
      const d1 = k > 1 ? (deltaValue[1] as number) : 0;
      for (let u = 0; u < units; u++) {
        const v = (pre[u] as number) + d0 * (w[r0 + u] as number) + d1 * (w[r1 + u] as number);
        if (v > 0) sum += v * (ow[u] as number);
      }
      return out.activation(sum);
    }
    for (let u = 0; u < units; u++) {
      let v = pre[u] as number;
      for (let d = 0; d < k; d++) v += (deltaValue[d] as number) * (w[(deltaIndex[d] as number) * units + u] as number);
      sum += activation(v) * (ow[u] as number);
    }
    return out.activation(sum);
  }
  let a = s.acts[0] as Float64Array;
  for (let u = 0; u < units; u++) {
    let v = pre[u] as number;
    for (let d = 0; d < k; d++) v += (deltaValue[d] as number) * (w[(deltaIndex[d] as number) * units + u] as number);
    a[u] = activation(v);
  }
  for (let l = 1; l < layers.length; l++) {
    const { w: lw, b, inputs, units: lu, activation: act } = layers[l] as DenseLayer;
    const next = s.acts[l] as Float64Array;
    for (let u = 0; u < lu; u++) {
      let sum = b[u] as number;
      for (let i = 0; i < inputs; i++) sum += (a[i] as number) * (lw[i * lu + u] as number);
      next[u] = act(sum);
    }
    a = next;
  }
  return a[0] as number;
}

/**
 * For the encoded row `x`, writes into `out[j]` how much the output drops when
 * segment j is reset to `baseline` (positive: the applicant's value raised it).
 * `output`, when given, maps the network's output to the answer's units first,
 * so impacts are in them. Pass one `scratch` for a whole batch.
 */
export function denseImpacts(
  layers: DenseLayer[], x: Float32Array, baseline: Float32Array, segments: [number, number][], out: Float64Array,
  output?: (z: number) => number, scratch: ExplainScratch = explainScratch(layers),
): void {
  const { w, b, inputs, units } = layers[0] as DenseLayer;
  const { pre, deltaIndex, deltaValue } = scratch;
  for (let u = 0; u < units; u++) pre[u] = b[u] as number;
  for (let i = 0; i < inputs; i++) {
    const xi = x[i] as number;
    if (xi === 0) continue;
    for (let u = 0; u < units; u++) pre[u] = (pre[u] as number) + xi * (w[i * units + u] as number);
  }
  const at = output ?? ((z: number) => z);
  const p = at(outputWith(layers, scratch, 0));
  for (let j = 0; j < segments.length; j++) {
    const [start, end] = segments[j] as [number, number];
    let k = 0;
    for (let i = start; i < end; i++) {
      const d = (baseline[i] as number) - (x[i] as number);
      if (d === 0) continue;
      deltaIndex[k] = i;
      deltaValue[k++] = d;
    }
    out[j] = k === 0 ? 0 : p - at(outputWith(layers, scratch, k));
  }
}

/**
 * Impacts from an impact kernel's sums (shared/impact-kernel.ts): the answer
 * for the row minus the answer with each feature at its baseline, through the
 * output layer's bias and activation and `output` as denseImpacts does. A
 * feature at its baseline has exactly the row's own sum, so its impact is 0.
 *
 * `risesOnly` (the answer increases with the sum: a sigmoid, no `output`)
 * leaves every feature whose baseline sum is not below the row's at 0
 * without computing it: a fall, which a classifier's reasons never show
 * (they show impacts above 1e-6), and an exp saved. The rises are the same
 * numbers, so the reasons and their bytes are too.
 */
export function impactsFromSums(sums: Float32Array, n: number, features: number, last: DenseLayer, out: Float64Array, output?: (z: number) => number, risesOnly = false): void {
  const bias = last.b[0] as number;
  const at = output ?? ((z: number) => z);
  const answer = (s: number) => at(last.activation(s + bias));
  for (let r = 0; r < n; r++) {
    const o = r * (features + 1);
    const own = sums[o] as number;
    const p = answer(own);
    for (let j = 0; j < features; j++) {
      const s = sums[o + 1 + j] as number;
      out[r * features + j] = s === own || (risesOnly && s > own) ? 0 : p - answer(s);
    }
  }
}
