/**
 * The SIMD network of the reference architecture, Dense(U, relu) → Dense(1, ·):
 * shared/kernels/impacts.wat runs both the forward pass and the reason
 * impacts (what explain.ts's Dense shortcut does), four hidden units per
 * instruction, for a whole batch per call. A request's answers and its
 * reasons then come from the same sums, with no tfjs call on the request path
 * (tfjs's per-call dispatch cost more than the arithmetic of this network).
 * The caller supplies the compiled module (the edge imports it as a bundled
 * module, Node compiles the file), so this file stays free of platform APIs.
 * Any other architecture gets no kernel: tfjs runs it, and reasons keep the
 * JavaScript shortcut.
 */
import type { DenseLayer } from "./explain.ts";
import { align16, growTo } from "./wasm-memory.ts";

export interface ImpactKernel {
  /** Per row: the output layer's sum (before bias and activation) for the row, then for each feature reset to the baseline. */
  sums(x: Float32Array, n: number): Float32Array;
  /** The network's outputs for n rows (the forward pass alone): equal to what sums() gives for the rows themselves. */
  outputs(x: Float32Array, n: number): Float32Array;
  /** The outputs from sums() (row r's own sum at r × stride), through the output layer's bias and activation. */
  outputsOf(sums: Float32Array, n: number, stride: number): Float32Array;
  /**
   * Room for n encoded rows inside the kernel's memory: rows written here are
   * passed to sums() or outputs() without a copy. Valid until the next call.
   */
  input(n: number): Float32Array;
}

interface Exports {
  memory: WebAssembly.Memory;
  impacts: (...args: number[]) => void;
}


/** Whether the kernel runs this network: exactly Dense(U, relu) → Dense(1, any activation). */
export function kernelRuns(layers: DenseLayer[]): boolean {
  const [hidden, output] = layers;
  return layers.length === 2 && hidden !== undefined && output !== undefined && hidden.kind === "relu" && output.units === 1 && output.inputs === hidden.units;
}

export function impactKernel(module: WebAssembly.Module, layers: DenseLayer[], baseline: Float32Array, segments: [number, number][]): ImpactKernel | undefined {
  if (!kernelRuns(layers)) return undefined;
  const [hidden, output] = layers as [DenseLayer, DenseLayer];
  const { inputs: width, units } = hidden;
  const upad = Math.ceil(units / 16) * 16; // impacts.wat's loops take 16 units a turn
  const features = segments.length;
  const exports = new WebAssembly.Instance(module, {}).exports as unknown as Exports;

  // Fixed layout: weights, bias, output weights, baseline, segments, two scratch rows; then x and out per call.
  const w = 0;
  const b = align16(w + width * upad * 4);
  const ow = align16(b + upad * 4);
  const base = align16(ow + upad * 4);
  const seg = align16(base + width * 4);
  const pre = align16(seg + features * 8);
  const acc = align16(pre + upad * 4);
  const x = align16(acc + upad * 4);
  const f32 = () => new Float32Array(exports.memory.buffer);
  const ensure = (bytes: number) => growTo(exports.memory, bytes);
  ensure(x);
  {
    const m = f32();
    for (let i = 0; i < width; i++) m.set(hidden.w.subarray(i * units, (i + 1) * units), w / 4 + i * upad);
    m.set(hidden.b, b / 4);
    m.set(output.w.subarray(0, units), ow / 4);
    m.set(baseline, base / 4);
    new Int32Array(exports.memory.buffer, seg, features * 2).set(segments.flat());
  }
  const outAt = (n: number) => align16(x + n * width * 4);
  // Grown once for the widest call (every feature), so a view from input(n) stays attached through run().
  const reserve = (n: number) => ensure(outAt(n) + n * (features + 1) * 4);
  const run = (rows: Float32Array, n: number, nseg: number): Float32Array => {
    if (rows.length < n * width) throw new Error(`impact kernel: ${rows.length} values for ${n} rows of ${width}`);
    const out = outAt(n);
    reserve(n);
    if (rows.buffer !== exports.memory.buffer || rows.byteOffset !== x) f32().set(rows.subarray(0, n * width), x / 4);
    exports.impacts(n, width, upad, nseg, w, b, ow, base, seg, x, pre, acc, out);
    return f32().slice(out / 4, out / 4 + n * (nseg + 1));
  };
  const bias = output.b[0] as number;
  const activation = output.activation;
  const outputsOf = (sums: Float32Array, n: number, stride: number): Float32Array => {
    const y = new Float32Array(n);
    for (let r = 0; r < n; r++) y[r] = activation((sums[r * stride] as number) + bias);
    return y;
  };
  return {
    sums: (rows, n) => run(rows, n, features),
    // Zero features: the kernel stops after each row's own sum.
    outputs: (rows, n) => outputsOf(run(rows, n, 0), n, 1),
    outputsOf,
    input(n) {
      reserve(n);
      return new Float32Array(exports.memory.buffer, x, n * width);
    },
  };
}
