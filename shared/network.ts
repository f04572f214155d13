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
