/**
 * The SIMD fast path of reason impacts: shared/kernels/impacts.wat run on a
 * network Dense(U, relu) → Dense(1, ·), the reference architecture. It does
 * what explain.ts's Dense shortcut does, four hidden units per instruction,
 * for a whole batch per call. The caller supplies the compiled module (the
 * edge imports it as a bundled module, Node compiles the file), so this file
 * stays free of platform APIs. Any other architecture gets no kernel and keeps
 * the JavaScript shortcut.
 */
import type { DenseLayer } from "./explain.ts";

export interface ImpactKernel {
  /** Per row: the output layer's sum (before bias and activation) for the row, then for each feature reset to the baseline. */
  sums(x: Float32Array, n: number): Float32Array;
}

interface Exports {
  memory: WebAssembly.Memory;
  impacts: (...args: number[]) => void;
}

const PAGE = 65536;
const align16 = (n: number) => Math.ceil(n / 16) * 16;

export function impactKernel(module: WebAssembly.Module, layers: DenseLayer[], baseline: Float32Array, segments: [number, number][]): ImpactKernel | undefined {
  const [hidden, output] = layers;
  if (layers.length !== 2 || !hidden || !output || hidden.kind !== "relu" || output.units !== 1) return undefined;
  const { inputs: width, units } = hidden;
  const upad = Math.ceil(units / 4) * 4;
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
  const ensure = (bytes: number) => {
    const have = exports.memory.buffer.byteLength;
    if (bytes > have) exports.memory.grow(Math.ceil((bytes - have) / PAGE));
  };
  ensure(x);
  {
    const m = f32();
    for (let i = 0; i < width; i++) m.set(hidden.w.subarray(i * units, (i + 1) * units), w / 4 + i * upad);
    m.set(hidden.b, b / 4);
    m.set(output.w.subarray(0, units), ow / 4);
    m.set(baseline, base / 4);
    new Int32Array(exports.memory.buffer, seg, features * 2).set(segments.flat());
  }
  return {
    sums(rows: Float32Array, n: number): Float32Array {
      const out = align16(x + n * width * 4);
      ensure(out + n * (features + 1) * 4);
      f32().set(rows.subarray(0, n * width), x / 4);
      exports.impacts(n, width, upad, features, w, b, ow, base, seg, x, pre, acc, out);
      return f32().slice(out / 4, out / 4 + n * (features + 1));
    },
  };
}
