/**
 * A version's network read straight from its two stored files (tfjs
 * layers-model JSON + weights binary) when it is a plain stack of Dense
 * layers, without building a tfjs model: the edge serves such a network on
 * the SIMD kernel and never needs tfjs for it, which takes tfjs's layers
 * deserialization, backend start and warm-up off a fresh isolate's first
 * request. The weights decode exactly as tfjs decodes them (float32 as
 * stored, uint8/uint16 as v × scale + min, float16 widened exactly);
 * test/dense-files.test.ts checks that bit for bit against tfjs for every
 * option family.
 *
 * Anything else (another layer class, an unknown activation or quantization,
 * weights that do not add up) gives undefined: the caller then builds the
 * network with tfjs, which either runs it or says what is wrong with it.
 */
import { ACTIVATIONS, type DenseLayer } from "./explain.ts";

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
}

/** Layers that do nothing at inference: skipped (Dropout is an identity outside training). */
const INFERENCE_NO_OPS = new Set(["InputLayer", "Dropout"]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isShape = (v: unknown): v is number[] => Array.isArray(v) && v.every((d) => Number.isInteger(d) && d > 0);

export function denseFromFiles(modelJson: Uint8Array, weights: Uint8Array): DenseLayer[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(modelJson));
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || !isObject(parsed.modelTopology) || !Array.isArray(parsed.weightsManifest)) return undefined;
  const topology = parsed.modelTopology;
  if (topology.class_name !== "Sequential" || !isObject(topology.config) || !Array.isArray(topology.config.layers)) return undefined;

  const specs: WeightSpec[] = [];
  for (const group of parsed.weightsManifest) {
    if (!isObject(group) || !Array.isArray(group.weights)) return undefined;
    for (const w of group.weights) {
      if (!isObject(w) || typeof w.name !== "string" || !isShape(w.shape) || typeof w.dtype !== "string") return undefined;
      if (w.quantization !== undefined && !isObject(w.quantization)) return undefined;
      specs.push(w as unknown as WeightSpec);
    }
  }
  const values = decodeAll(specs, weights);
  if (!values) return undefined;

  const layers: DenseLayer[] = [];
  const used = new Set<string>();
  let inputs: number | undefined;
  for (const layer of topology.config.layers) {
    if (!isObject(layer) || typeof layer.class_name !== "string" || !isObject(layer.config)) return undefined;
    const c = layer.config;
    if (INFERENCE_NO_OPS.has(layer.class_name)) continue;
    if (layer.class_name !== "Dense" || typeof c.name !== "string") return undefined;
    const kind = c.activation ?? "linear";
    if (typeof kind !== "string" || !Object.hasOwn(ACTIVATIONS, kind)) return undefined;
    const kernel = values.get(`${c.name}/kernel`);
    if (!kernel || kernel.shape.length !== 2) return undefined;
    const [rows, units] = kernel.shape as [number, number];
    if (c.units !== units || (inputs !== undefined && rows !== inputs)) return undefined;
    // A declared input shape must agree with the kernel, as tfjs would insist when loading the weights.
    const declared = c.batch_input_shape;
    if (declared !== undefined && (!Array.isArray(declared) || declared[declared.length - 1] !== rows)) return undefined;
    used.add(`${c.name}/kernel`);
    let b: Float32Array = new Float32Array(units);
    if (c.use_bias !== false) {
      const bias = values.get(`${c.name}/bias`);
      if (!bias || bias.shape.length !== 1 || bias.shape[0] !== units) return undefined;
      used.add(`${c.name}/bias`);
      b = bias.data;
    }
    layers.push({ w: kernel.data, b, inputs: rows, units, activation: ACTIVATIONS[kind] as DenseLayer["activation"], kind });
    inputs = units;
  }
  // Every stored weight belongs to a layer read above, and the network ends in one output.
  if (used.size !== values.size || layers.length === 0 || layers[layers.length - 1]!.units !== 1) return undefined;
  return layers;
}

/** Each weight by name, decoded from the concatenated binary in manifest order; undefined unless the sizes add up exactly. */
function decodeAll(specs: WeightSpec[], weights: Uint8Array): Map<string, { shape: number[]; data: Float32Array }> | undefined {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  let offset = 0;
  for (const spec of specs) {
    if (spec.dtype !== "float32" || out.has(spec.name)) return undefined;
    const size = spec.shape.reduce((a, d) => a * d, 1);
    const q = spec.quantization;
    const bytesPer = q === undefined ? 4 : q.dtype === "uint8" ? 1 : q.dtype === "uint16" || q.dtype === "float16" ? 2 : 0;
    if (bytesPer === 0 || offset + size * bytesPer > weights.byteLength) return undefined;
    // A copy, aligned, so the network owns its weights whatever happens to the bytes read.
    const bytes = weights.slice(offset, offset + size * bytesPer);
    offset += size * bytesPer;
    let data: Float32Array;
    if (q === undefined) {
      data = new Float32Array(bytes.buffer);
    } else if (q.dtype === "float16") {
      data = float16ToFloat32(new Uint16Array(bytes.buffer));
    } else {
      const { min, scale } = q;
      if (typeof min !== "number" || typeof scale !== "number") return undefined;
      const quantized = q.dtype === "uint8" ? bytes : new Uint16Array(bytes.buffer);
      data = new Float32Array(size);
      // The expression tfjs's decodeWeights evaluates, in the same order.
      for (let i = 0; i < size; i++) data[i] = (quantized[i] as number) * scale + min;
    }
    out.set(spec.name, { shape: spec.shape, data });
  }
  return offset === weights.byteLength ? out : undefined;
}

/** IEEE half → single precision; exact (every half is a single), subnormals included. */
function float16ToFloat32(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const v = h[i] as number;
    const sign = v & 0x8000 ? -1 : 1;
    const exponent = (v >> 10) & 0x1f;
    const mantissa = v & 0x3ff;
    out[i] = exponent === 0 ? sign * mantissa * 2 ** -24
      : exponent === 31 ? (mantissa ? NaN : sign * Infinity)
      : sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return out;
}
