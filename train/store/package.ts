/**
 * Packs a trained model into the artifact's files: the standard tfjs
 * layers-model JSON, one weights binary and the manifest that lists the sha256
 * of both. The edge refuses any version whose bytes do not match.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { formatFor, MANIFEST_FILE, MODEL_FILE, WEIGHTS_FILE, versionId, type Manifest, type Thresholds } from "../../shared/artifact.ts";
import { sha256Hex } from "../../shared/hash.ts";
import type { PreprocessState } from "../../shared/preprocess.ts";
import type { FeatureSpec } from "../../shared/spec.ts";
import type { Task } from "../../shared/task.ts";
import { quantizeWeights, type WeightDtype } from "./quantize.ts";

export interface Artifact {
  name: string;
  version: string;
  manifest: Manifest;
  /** Every object of the version, by file name; manifest.json last. */
  files: Map<string, Uint8Array>;
}

function joinBuffers(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const parts = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) { out.set(new Uint8Array(p), o); o += p.byteLength; }
  return out;
}

export interface ModelFiles { modelJson: Uint8Array; weights: Uint8Array }

/** The network as model.json + weights.bin; `quantize` stores the weights as float16 or uint8 (dequantized on load). */
export async function serializeModel(model: tfl.LayersModel, quantize?: WeightDtype): Promise<ModelFiles> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  if (!saved?.weightData || !saved.weightSpecs) throw new Error("tfjs returned no weights when saving the model");
  let weights = joinBuffers(saved.weightData);
  let specs = saved.weightSpecs;
  if (quantize) ({ specs, data: weights } = quantizeWeights(specs, weights, quantize));
  const json = {
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_core}`,
    convertedBy: null,
    modelTopology: saved.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
  };
  return { modelJson: new TextEncoder().encode(JSON.stringify(json)), weights };
}

export interface PackageInput {
  name: string;
  createdAt: Date;
  spec: FeatureSpec;
  preprocess: PreprocessState;
  /** A classifier's decision thresholds (a regression has none). */
  thresholds?: Thresholds;
  /** A regression's task (v2 format); absent: a classifier (v1, readable by every edge). */
  task?: Task;
  card: Record<string, unknown>;
  /** The network's files as serializeModel wrote them (the very bytes the training side evaluated). */
  model: ModelFiles;
  /**
   * More files for the version (e.g. report.html), made once the version id
   * is known; each is listed in the manifest with its sha256 like the model files.
   */
  attach?: (draft: Omit<Manifest, "files">) => Promise<Map<string, Uint8Array>> | Map<string, Uint8Array>;
}

export async function packageArtifact(input: PackageInput): Promise<Artifact> {
  const { modelJson, weights } = input.model;
  const files = new Map<string, Uint8Array>([[MODEL_FILE, modelJson], [WEIGHTS_FILE, weights]]);
  // Unique even for two identical runs in the same second: weights hash plus a random nonce.
  const nonce = crypto.getRandomValues(new Uint8Array(8)).join(",");
  const version = versionId(input.createdAt, await sha256Hex(`${await sha256Hex(weights)}:${nonce}`));
  const regression = input.task?.kind === "regression";
  const draft: Omit<Manifest, "files"> = {
    format: formatFor(input.task ?? { kind: "classification" }), name: input.name, version, createdAt: input.createdAt.toISOString(),
    ...(regression ? { task: input.task } : {}),
    spec: input.spec, preprocess: input.preprocess, ...(input.thresholds && !regression ? { thresholds: input.thresholds } : {}), card: input.card,
  };
  for (const [file, bytes] of (await input.attach?.(draft)) ?? []) {
    if (file === MANIFEST_FILE || files.has(file) || !/^[a-z0-9][a-z0-9._-]*$/.test(file)) throw new Error(`packageArtifact: cannot attach a file named "${file}"`);
    files.set(file, bytes);
  }
  const entries: Manifest["files"] = {};
  for (const [file, bytes] of files) entries[file] = { sha256: await sha256Hex(bytes), bytes: bytes.byteLength };
  const { card, ...head } = draft;
  const manifest: Manifest = { ...head, files: entries, card };
  files.set(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify(manifest, null, 2)));
  return { name: input.name, version, manifest, files };
}
