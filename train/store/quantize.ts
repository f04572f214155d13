/**
 * Post-training weight quantization in tfjs's own weight-manifest format: each
 * weight's manifest entry says how to dequantize it (`quantization: {dtype,
 * min, scale}`), and tfjs's loader does so on load, at the edge as in Node.
 * Nothing on the serving side changes; weights.bin gets 2× (float16) or 4×
 * (uint8) smaller. Only float32 weights are quantized.
 */
import type * as tf from "@tensorflow/tfjs-core";

export const WEIGHT_DTYPES = ["float16", "uint8"] as const;
export type WeightDtype = (typeof WEIGHT_DTYPES)[number];

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half-precision bits of `v`, rounded to nearest even; beyond ±65504 clamps to ±65504. */
export function float16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  const round = (value: number, shift: number) => {
    const rest = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    return rest > half || (rest === half && (value & 1)) ? value + 1 : value;
  };
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    return sign | round(mant >>> (14 - e), 14 - e);
  }
  if (e >= 0x1f) return sign | 0x7bff;
  const bits = round((e << 10) | (mant >>> 13), 13);
  return sign | Math.min(bits, 0x7bff);
}

/** The affine uint8 grid tfjs decodes as `q · scale + min`, nudged so that 0 is exact (pruned or zero weights stay 0). */
function uint8Grid(values: Float32Array): { min: number; scale: number } {
  let lo = 0;
  let hi = 0;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (hi === lo) return { min: 0, scale: 1 };
  const scale = (hi - lo) / 255;
  const zero = Math.round(-lo / scale);
  return { min: -zero * scale, scale };
}

/** Re-encodes float32 weights (`data` laid out as `specs` says) as `dtype`. */
export function quantizeWeights(specs: tf.io.WeightsManifestEntry[], data: Uint8Array, dtype: WeightDtype): { specs: tf.io.WeightsManifestEntry[]; data: Uint8Array } {
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((n, d) => n * d, 1);
    if (spec.dtype !== "float32" || spec.quantization) throw new Error(`weight ${spec.name}: only unquantized float32 weights can be quantized (found ${spec.quantization?.dtype ?? spec.dtype})`);
    const values = new Float32Array(data.slice(offset, offset + count * 4).buffer);
    offset += count * 4;
    if (dtype === "float16") {
      const q = new Uint16Array(count);
      values.forEach((v, i) => { q[i] = float16Bits(v); });
      parts.push(new Uint8Array(q.buffer));
      out.push({ ...spec, quantization: { dtype: "float16" } });
    } else {
      const { min, scale } = uint8Grid(values);
      const q = new Uint8Array(count);
      values.forEach((v, i) => { q[i] = Math.max(0, Math.min(255, Math.round((v - min) / scale))); });
      parts.push(q);
      out.push({ ...spec, quantization: { dtype: "uint8", min, scale } });
    }
  }
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) { joined.set(p, o); o += p.byteLength; }
  return { specs: out, data: joined };
}
