/**
 * Rebuilds a version's network from its two stored files (tfjs layers-model
 * JSON + weights binary). Used by the edge to serve and by the trainer to score
 * the serving model in the "not worse than current" gate.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

interface ModelJson {
  modelTopology: object;
  weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
}

export async function networkFromFiles(modelJson: Uint8Array, weights: Uint8Array): Promise<tfl.LayersModel> {
  let parsed: ModelJson;
  try {
    parsed = JSON.parse(new TextDecoder().decode(modelJson)) as ModelJson;
  } catch {
    throw new Error("model.json is not valid JSON");
  }
  if (typeof parsed?.modelTopology !== "object" || !Array.isArray(parsed.weightsManifest)) {
    throw new Error("model.json is not a tfjs layers-model (modelTopology / weightsManifest missing)");
  }
  return tfl.loadLayersModel(tf.io.fromMemory({
    modelTopology: parsed.modelTopology,
    weightSpecs: parsed.weightsManifest.flatMap((g) => g.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
  }));
}

/**
 * Largest batch handed to tfjs at once. `LayersModel.predict` otherwise cuts
 * its input into batches of 32 and concatenates the results, which made a
 * 256-row request pay 8 dispatches (0.33 ms instead of 0.09 ms on wasm) for
 * bitwise the same outputs; the cap bounds the activations of offline chunks.
 */
export const FORWARD_BATCH = 8192;

/** The network's outputs for `n` encoded rows of `width` values: the one forward pass the edge and offline jobs run. */
export function forwardPass(model: tfl.LayersModel, x: Float32Array, n: number, width: number): Float32Array {
  // Read after tidy: returned from inside it, the typed array would be walked element by element in search of tensors.
  const y = tf.tidy(() => model.predict(tf.tensor2d(x, [n, width]), { batchSize: Math.max(1, Math.min(n, FORWARD_BATCH)) }) as tf.Tensor);
  try {
    return y.dataSync() as Float32Array;
  } finally {
    y.dispose();
  }
}
