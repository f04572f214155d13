/**
 * A bench-only Worker (bundled by bench/model-time.ts with its own generated
 * wrangler config, never deployed): times the tfjs forward pass inside
 * workerd, with the edge's own backend initialisation, and the SIMD kernel
 * the edge serves the reference network on, against a plain Float32Array
 * forward pass of the same weights (the physical floor).
 *
 * POST a ModelTimeRequest; the answer is a ModelTimeResponse. Local workerd
 * advances performance.now() during computation (deployed Workers do not).
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { backendError, initBackend, type BackendName } from "../edge/backend.ts";
import { ACTIVATIONS, denseLayers, type DenseLayer } from "../shared/explain.ts";
import { impactKernel } from "../shared/impact-kernel.ts";
import { forwardPass } from "../shared/network.ts";
import { impactKernelModule } from "../edge/kernels.ts";

export interface ModelTimeRequest {
  backend: BackendName;
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightsBase64: string;
  /** rows × width encoded inputs, row-major. */
  x: number[];
  rows: number;
  /** Keep predicting until both this much time has passed and minIterations ran. */
  budgetMs: number;
  minIterations: number;
  /** With both, the kernel is timed with reasons for the first row (one sum per feature segment). */
  reasons?: { baseline: number[]; segments: [number, number][] };
}

export interface Timing { iterations: number; ms: number; msPerPrediction: number }

export interface ModelTimeResponse {
  backend: string;
  fallbackReason?: string;
  rows: number;
  tfjs: Timing;
  plain: Timing;
  /** The SIMD kernel (wasm request only, when it runs the network): the forward pass of all rows, or with reasons one row's sums. */
  kernel?: Timing;
  /** Largest |tfjs − plain| and |kernel − plain| probability: all three compute the same function. */
  maxAbsDiff: number;
}

/** The network as plain arrays (shared/explain.ts, as the edge reads it), or a clear refusal. */
function plainLayers(model: tfl.LayersModel): DenseLayer[] {
  const layers = denseLayers(model);
  if (!layers) throw new Error(`only a stack of Dense layers with one output and a supported activation (${Object.keys(ACTIVATIONS).join("/")}) can be timed`);
  return layers;
}

/** The same network as plain loops: h = act(x·W + b), layer by layer. */
function plainForward(layers: DenseLayer[], x: Float32Array, rows: number, out: Float32Array, scratch: Float32Array[]): void {
  const width = layers[0]?.inputs ?? 0;
  for (let r = 0; r < rows; r++) {
    let cur = x.subarray(r * width, (r + 1) * width);
    for (let l = 0; l < layers.length; l++) {
      const { inputs, units, w: kernel, b: bias, activation } = layers[l] as DenseLayer;
      const next = scratch[l] as Float32Array;
      next.set(bias);
      for (let i = 0; i < inputs; i++) {
        const xi = cur[i] as number;
        if (xi === 0) continue;
        const row = i * units;
        for (let j = 0; j < units; j++) next[j] = (next[j] as number) + xi * (kernel[row + j] as number);
      }
      for (let j = 0; j < units; j++) next[j] = activation(next[j] as number);
      cur = next;
    }
    out[r] = cur[0] as number;
  }
}

function time(budgetMs: number, minIterations: number, step: () => void): Timing {
  for (let i = 0; i < Math.max(5, minIterations >> 2); i++) step(); // warm-up: JIT, tfjs kernels, buffers
  let iterations = 0;
  const started = performance.now();
  let ms = 0;
  while (iterations < minIterations || ms < budgetMs) {
    for (let k = 0; k < 10; k++) step();
    iterations += 10;
    ms = performance.now() - started;
  }
  return { iterations, ms, msPerPrediction: ms / iterations };
}

function decodeBase64(text: string): ArrayBuffer {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes.buffer;
}

async function measure(req: ModelTimeRequest): Promise<ModelTimeResponse> {
  await initBackend("wasm");
  if (req.backend === "wasm" && backendError()) throw new Error(`wasm backend unavailable: ${backendError()}`);
  if (tf.getBackend() !== req.backend && !(await tf.setBackend(req.backend))) throw new Error(`tf.setBackend(${req.backend}) failed`);
  const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: req.modelTopology, weightSpecs: req.weightSpecs, weightData: decodeBase64(req.weightsBase64) }));
  try {
    const layers = plainLayers(model);
    const width = layers[0]?.inputs ?? 0;
    const x = Float32Array.from(req.x);
    if (x.length !== req.rows * width) throw new Error(`x has ${x.length} values; expected ${req.rows} × ${width}`);
    // Exactly the edge's forward pass (shared/predict.ts).
    let tfjsOut: Float32Array = new Float32Array(0);
    const tfjs = time(req.budgetMs, req.minIterations, () => {
      tfjsOut = forwardPass(model, x, req.rows, width);
    });
    const plainOut = new Float32Array(req.rows);
    const scratch = layers.map((l) => new Float32Array(l.units));
    const plain = time(req.budgetMs, req.minIterations, () => plainForward(layers, x, req.rows, plainOut, scratch));
    let maxAbsDiff = 0;
    for (let i = 0; i < req.rows; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs((tfjsOut[i] as number) - (plainOut[i] as number)));
    const kernel = req.backend === "wasm" ? await timeKernel(req, layers, x, plainOut) : undefined;
    if (kernel) maxAbsDiff = Math.max(maxAbsDiff, kernel.maxAbsDiff);
    const fallbackReason = backendError();
    return { backend: tf.getBackend(), ...(fallbackReason ? { fallbackReason } : {}), rows: req.rows, tfjs, plain, ...(kernel ? { kernel: kernel.timing } : {}), maxAbsDiff };
  } finally {
    model.dispose();
  }
}

/** The edge's kernel (shared/impact-kernel.ts) on the same rows, when it runs this network. */
async function timeKernel(req: ModelTimeRequest, layers: DenseLayer[], x: Float32Array, plainOut: Float32Array): Promise<{ timing: Timing; maxAbsDiff: number } | undefined> {
  const module = await impactKernelModule();
  if (!module) return undefined;
  const width = layers[0]!.inputs;
  const baseline = req.reasons ? Float32Array.from(req.reasons.baseline) : new Float32Array(width);
  const kernel = impactKernel(module, layers, baseline, req.reasons?.segments ?? []);
  if (!kernel) return undefined;
  const out = kernel.outputs(x, req.rows);
  let maxAbsDiff = 0;
  for (let i = 0; i < req.rows; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs((out[i] as number) - (plainOut[i] as number)));
  const first = x.subarray(0, width);
  const timing = req.reasons
    ? time(req.budgetMs, req.minIterations, () => kernel.sums(first, 1))
    : time(req.budgetMs, req.minIterations, () => kernel.outputs(x, req.rows));
  return { timing, maxAbsDiff };
}

export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method !== "POST") return new Response("POST a ModelTimeRequest\n", { status: 405 });
    try {
      return Response.json(await measure(await request.json<ModelTimeRequest>()));
    } catch (e) {
      return Response.json({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }, { status: 500 });
    }
  },
};
