/**
 * Reading a Dense network straight from its stored files (shared/dense-files.ts),
 * as the edge does for the SIMD kernel: every weight equals, bit for bit, what
 * tfjs decodes from the same files, for each architecture the trainer builds
 * and each stored weight format (float32, float16, uint8); anything it does
 * not recognise gives undefined, so tfjs builds (or refuses) the network.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { denseFromFiles } from "../shared/dense-files.ts";
import { denseLayers, type DenseLayer } from "../shared/explain.ts";
import { networkFromFiles } from "../shared/network.ts";
import { buildModel } from "../train/fit/architecture.ts";
import { useBackend } from "../train/fit/backend.ts";
import type { Activation } from "../train/fit/options.ts";
import { serializeModel, type ModelFiles } from "../train/store/package.ts";
import type { WeightDtype } from "../train/store/quantize.ts";

const WIDTH = 33;
const ARCHITECTURES: [string, number[], Activation][] = [
  ["reference Dense(64, relu)", [64], "relu"],
  ["logistic", [], "relu"],
  ["Dense(16, tanh)", [16], "tanh"],
  ["Dense(16, sigmoid) → Dense(8, sigmoid)", [16, 8], "sigmoid"],
  ["Dense(12, elu)", [12], "elu"],
];
const FORMATS: (WeightDtype | undefined)[] = [undefined, "float16", "uint8"];

const text = (files: ModelFiles) => new TextDecoder().decode(files.modelJson);
const bytes = (s: string) => new TextEncoder().encode(s);
/** The same files with model.json edited as an object. */
function edited(files: ModelFiles, edit: (json: { modelTopology: { class_name: string; config: { layers: { class_name: string; config: Record<string, unknown> }[] } }; weightsManifest: { weights: Record<string, unknown>[] }[] }) => void): Uint8Array {
  const json = JSON.parse(text(files));
  edit(json);
  return bytes(JSON.stringify(json));
}

function expectBitwiseEqual(ours: DenseLayer[], theirs: DenseLayer[], what: string) {
  expect(ours.map((l) => [l.inputs, l.units, l.kind]), what).toEqual(theirs.map((l) => [l.inputs, l.units, l.kind]));
  ours.forEach((l, i) => {
    const t = theirs[i]!;
    expect(Buffer.from(l.w.buffer, l.w.byteOffset, l.w.byteLength).equals(Buffer.from(t.w.buffer, t.w.byteOffset, t.w.byteLength)), `${what}: layer ${i} kernel`).toBe(true);
    expect(Buffer.from(l.b.buffer, l.b.byteOffset, l.b.byteLength).equals(Buffer.from(t.b.buffer, t.b.byteOffset, t.b.byteLength)), `${what}: layer ${i} bias`).toBe(true);
    expect([l.activation(0.7), l.activation(-0.3)]).toEqual([t.activation(0.7), t.activation(-0.3)]);
  });
}

describe("a Dense network read from its files without tfjs", () => {
  const stored: { name: string; format: string; files: ModelFiles }[] = [];
  beforeAll(async () => {
    await useBackend("cpu");
    for (const [name, hidden, activation] of ARCHITECTURES) {
      const model = buildModel(WIDTH, { hidden, activation, seed: 7 });
      // Biases are zeros when built: give them values so their decoding is checked too.
      for (const layer of model.layers) {
        const [k, b] = layer.getWeights();
        layer.setWeights([k!, tfl.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 3 }).apply(b!.shape)]);
      }
      for (const format of FORMATS) stored.push({ name, format: format ?? "float32", files: await serializeModel(model, format) });
      model.dispose();
    }
  });

  it("gives exactly tfjs's weights, shapes and activations for every architecture and weight format", async () => {
    expect(stored.length).toBe(ARCHITECTURES.length * FORMATS.length);
    for (const s of stored) {
      const model = await networkFromFiles(s.files.modelJson, s.files.weights);
      const theirs = denseLayers(model)!;
      model.dispose();
      const ours = denseFromFiles(s.files.modelJson, s.files.weights);
      expect(ours, `${s.name} (${s.format})`).toBeDefined();
      expectBitwiseEqual(ours!, theirs, `${s.name} (${s.format})`);
    }
  });

  it("skips Dropout layers in the topology (an identity at inference), as tfjs does", async () => {
    const s = stored.find((x) => x.name.startsWith("reference") && x.format === "float32")!;
    const withDropout = edited(s.files, (j) => { j.modelTopology.config.layers.splice(1, 0, { class_name: "Dropout", config: { name: "dropout_1", rate: 0.5 } }); });
    const model = await networkFromFiles(withDropout, s.files.weights);
    const theirs = denseLayers(model);
    model.dispose();
    expect(theirs).toBeUndefined(); // tfjs's model has a Dropout layer: not a pure Dense stack to explain.ts
    expectBitwiseEqual(denseFromFiles(withDropout, s.files.weights)!, denseFromFiles(s.files.modelJson, s.files.weights)!, "with Dropout");
  });

  it("gives undefined for anything it does not recognise, so that tfjs builds or refuses the network", () => {
    const s = stored.find((x) => x.name.startsWith("reference") && x.format === "float32")!;
    const { modelJson, weights } = s.files;
    const cases: [string, Uint8Array, Uint8Array][] = [
      ["not JSON", bytes("{"), weights],
      ["a functional model", edited(s.files, (j) => { j.modelTopology.class_name = "Model"; }), weights],
      ["another layer class", edited(s.files, (j) => { j.modelTopology.config.layers[0]!.class_name = "Conv1D"; }), weights],
      ["an unknown activation", edited(s.files, (j) => { j.modelTopology.config.layers[0]!.config.activation = "softmax"; }), weights],
      ["an inherited property as activation", edited(s.files, (j) => { j.modelTopology.config.layers[0]!.config.activation = "toString"; }), weights],
      ["an input shape that disagrees with the kernel", edited(s.files, (j) => { j.modelTopology.config.layers[0]!.config.batch_input_shape = [null, WIDTH + 1]; }), weights],
      ["units that disagree with the kernel", edited(s.files, (j) => { j.modelTopology.config.layers[0]!.config.units = 32; }), weights],
      ["a weight no layer uses", edited(s.files, (j) => { j.weightsManifest[0]!.weights.push({ name: "extra/kernel", shape: [1], dtype: "float32" }); }), new Uint8Array([...weights, 0, 0, 0, 0])],
      ["a missing bias", edited(s.files, (j) => { j.weightsManifest[0]!.weights.splice(1, 1); }), new Uint8Array([...weights.slice(0, WIDTH * 64 * 4), ...weights.slice((WIDTH * 64 + 64) * 4)])],
      ["an unknown quantization", edited(s.files, (j) => { j.weightsManifest[0]!.weights[0]!.quantization = { dtype: "int4" }; }), weights],
      ["int32 weights", edited(s.files, (j) => { j.weightsManifest[0]!.weights[0]!.dtype = "int32"; }), weights],
      ["weights.bin one byte short", modelJson, weights.slice(0, -1)],
      ["weights.bin one byte long", modelJson, new Uint8Array([...weights, 0])],
      ["two outputs", edited(s.files, (j) => {
        const last = j.modelTopology.config.layers.at(-1)!;
        last.config.units = 2;
      }), weights],
    ];
    for (const [what, json, w] of cases) expect(denseFromFiles(json, w), what).toBeUndefined();
  });
});
