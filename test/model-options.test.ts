/**
 * Model options, pruning and quantization on small synthetic data: what each
 * option does to the network and its training, checked by its effect.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import type * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { networkFromFiles } from "../shared/network.ts";
import { seededRandom } from "../shared/random.ts";
import type { Matrix } from "../train/data/dataset.ts";
import { buildModel, hiddenSizes, parameterCount } from "../train/fit/architecture.ts";
import { useBackend } from "../train/fit/backend.ts";
import { predictProba, trainModel } from "../train/fit/loop.ts";
import { makeOptimizer } from "../train/fit/optimizer.ts";
import { defaultTrainOptions, type TrainOptions } from "../train/fit/options.ts";
import { pruneUnits, unitsToKeep } from "../train/fit/prune.ts";
import { serializeModel } from "../train/store/package.ts";
import { float16Bits, quantizeWeights } from "../train/store/quantize.ts";

/** n rows of 4 features; y ~ Bernoulli(sigmoid(2·x0 − x1)), x2 and x3 are noise. */
function synthetic(n: number, seed: number): Matrix {
  const r = seededRandom(seed);
  const x = new Float32Array(n * 4).map(() => r() * 4 - 2);
  const y = new Float32Array(n).map((_, i) => (r() < 1 / (1 + Math.exp(-(2 * x[i * 4]! - x[i * 4 + 1]!))) ? 1 : 0));
  return { x, y, n, width: 4 };
}

const opts = (o: Partial<TrainOptions>): TrainOptions => ({ ...defaultTrainOptions, epochs: 5, patience: 0, batchSize: 32, learningRate: 0.01, ...o });
const kernelNorm = (model: tfl.LayersModel) =>
  model.getWeights().filter((w) => w.shape.length === 2).reduce((s, w) => s + (tf.sum(tf.square(w)).dataSync()[0] as number), 0);

describe("model options", () => {
  let train: Matrix;
  let validation: Matrix;
  beforeAll(async () => {
    await useBackend("cpu");
    train = synthetic(600, 1);
    validation = synthetic(200, 2);
  });

  it("--hidden 0 is logistic regression: one Dense(1, sigmoid) with width + 1 weights", () => {
    const m = buildModel(4, { hidden: [], activation: "relu", seed: 1 });
    expect(m.layers.map((l) => l.getConfig())).toMatchObject([{ units: 1, activation: "sigmoid" }]);
    expect(m.countParams()).toBe(parameterCount(4, []));
    expect(parameterCount(4, [])).toBe(5);
    m.dispose();
  });

  it("puts the hidden activation on every hidden layer and the sigmoid on the output", () => {
    const m = buildModel(4, { hidden: [8, 4], activation: "elu", seed: 1 });
    expect(m.layers.map((l) => (l.getConfig() as { activation: string }).activation)).toEqual(["elu", "elu", "sigmoid"]);
    expect(hiddenSizes(m)).toEqual([8, 4]);
    m.dispose();
  });

  it("builds the optimizer --optimizer names (sgd with momentum is tfjs's momentum optimizer)", () => {
    const name = (o: Partial<TrainOptions>) => makeOptimizer(opts(o)).getClassName();
    expect([name({}), name({ optimizer: "sgd" }), name({ optimizer: "sgd", momentum: 0.9 }), name({ optimizer: "rmsprop", momentum: 0.9 })])
      .toEqual(["Adam", "SGD", "Momentum", "RMSProp"]);
  });

  it("--l2 shrinks the kernels; the same seed without it gives the same run twice", async () => {
    const plain = await trainModel(train, validation, opts({ hidden: [8] }));
    const again = await trainModel(train, validation, opts({ hidden: [8] }));
    const penalised = await trainModel(train, validation, opts({ hidden: [8], l2: 0.05 }));
    expect(kernelNorm(again.model)).toBe(kernelNorm(plain.model));
    expect(kernelNorm(penalised.model)).toBeLessThan(0.7 * kernelNorm(plain.model));
    [plain, again, penalised].forEach((t) => t.model.dispose());
  });

  it("--dropout changes training only: seeded, and the trained network predicts deterministically", async () => {
    const a = await trainModel(train, validation, opts({ hidden: [16], dropout: 0.5 }));
    const b = await trainModel(train, validation, opts({ hidden: [16], dropout: 0.5 }));
    const none = await trainModel(train, validation, opts({ hidden: [16] }));
    expect(Array.from(predictProba(a.model, validation))).toEqual(Array.from(predictProba(b.model, validation)));
    expect(Array.from(predictProba(a.model, validation))).toEqual(Array.from(predictProba(a.model, validation)));
    expect(kernelNorm(a.model)).not.toBe(kernelNorm(none.model));
    expect(a.model.layers.map((l) => l.getClassName())).toEqual(["Dense", "Dense"]);
    [a, b, none].forEach((t) => t.model.dispose());
  });

  it("--class-weight balanced raises the predicted share of the rarer class toward one half", async () => {
    const rare = { ...train, y: train.y.map((v, i) => (v === 1 && i % 3 !== 0 ? 0 : v)) };
    const mean = (p: Float32Array) => p.reduce((s, v) => s + v, 0) / p.length;
    const none = await trainModel(rare, validation, opts({ hidden: [], epochs: 10 }));
    const balanced = await trainModel(rare, validation, opts({ hidden: [], epochs: 10, classWeight: "balanced" }));
    expect(mean(predictProba(balanced.model, validation))).toBeGreaterThan(mean(predictProba(none.model, validation)) + 0.1);
    [none, balanced].forEach((t) => t.model.dispose());
  });

  it("trains without a validation split when patience is 0 (a fixed-epoch refit), and refuses early stopping without one", async () => {
    const t = await trainModel(train, undefined, opts({ hidden: [4], epochs: 2 }));
    expect(t.history.map((h) => h.valLoss)).toEqual([undefined, undefined]);
    t.model.dispose();
    await expect(trainModel(train, undefined, opts({ hidden: [4], patience: 5 }))).rejects.toThrow(/early stopping \(patience > 0\) needs a validation split/);
  });
});

describe("structured pruning", () => {
  beforeAll(async () => { await useBackend("cpu"); });

  it("keeps the units with the largest in × out weight norms and computes exactly what they computed", () => {
    const m = buildModel(4, { hidden: [6], activation: "relu", seed: 3 });
    const [k1, b1, k2, b2] = m.getWeights().map((w) => w.arraySync()) as [number[][], number[], number[][], number[]];
    // Units 1, 3 and 5 say nothing to the output: removing them changes nothing.
    for (const u of [1, 3, 5]) k2[u]![0] = 0;
    m.setWeights([tf.tensor2d(k1), tf.tensor1d(b1), tf.tensor2d(k2), tf.tensor1d(b2)]);
    expect(unitsToKeep(m, 0.5)).toEqual([[0, 2, 4]]);
    const { model: pruned, hidden } = pruneUnits(m, 0.5, { hidden: [6], activation: "relu", seed: 3 });
    expect(hidden).toEqual([3]);
    const x = synthetic(50, 9);
    const before = predictProba(m, x);
    const after = predictProba(pruned, x);
    before.forEach((p, i) => expect(after[i]).toBeCloseTo(p, 6));
    m.dispose();
    pruned.dispose();
  });

  it("never removes a layer's last unit", () => {
    const m = buildModel(4, { hidden: [2, 2], activation: "tanh", seed: 1 });
    expect(unitsToKeep(m, 0.9).map((k) => k.length)).toEqual([1, 1]);
    m.dispose();
  });
});

describe("weight quantization", () => {
  it("encodes float16 exactly as tfjs decodes it: round to nearest, subnormals, the largest finite value", () => {
    const decode = (bits: number[]) => Array.from(tf.io.decodeWeights(new Uint16Array(bits).buffer, [{ name: "w", shape: [bits.length], dtype: "float32", quantization: { dtype: "float16" } }]).w!.dataSync());
    expect(decode([0x3c00, 0xc000, 0x7bff, 0x0001]).map((v) => float16Bits(v))).toEqual([0x3c00, 0xc000, 0x7bff, 0x0001]);
    const r = seededRandom(5);
    const values = Array.from({ length: 2000 }, (_, i) => (r() - 0.5) * 10 ** ((i % 12) - 6));
    const back = decode(values.map(float16Bits));
    values.forEach((v, i) => {
      const ulp = Math.max(2 ** -24, 2 ** (Math.floor(Math.log2(Math.abs(v) || 1)) - 10));
      expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(ulp / 2 + 1e-12);
    });
    expect(float16Bits(1e6)).toBe(0x7bff);
    expect(float16Bits(-0)).toBe(0x8000);
  });

  it("stores uint8 weights 4× smaller, within half a step of the original, with zeros exact", async () => {
    await useBackend("cpu");
    const m = buildModel(4, { hidden: [8], activation: "relu", seed: 2 });
    const k = m.getWeights()[0]!.arraySync() as number[][];
    k[0]![0] = 0;
    m.setWeights([tf.tensor2d(k), ...m.getWeights().slice(1)]);
    const float = await serializeModel(m);
    const q = await serializeModel(m, "uint8");
    expect(q.weights.byteLength * 4).toBe(float.weights.byteLength);
    const loaded = await networkFromFiles(q.modelJson, q.weights);
    const specs = (JSON.parse(new TextDecoder().decode(q.modelJson)) as { weightsManifest: { weights: { quantization: { scale: number } }[] }[] }).weightsManifest[0]!.weights;
    loaded.getWeights().forEach((w, i) => {
      const original = m.getWeights()[i]!.dataSync();
      const step = specs[i]!.quantization.scale;
      w.dataSync().forEach((v, j) => expect(Math.abs(v - original[j]!)).toBeLessThanOrEqual(step / 2 + 1e-7));
    });
    expect((loaded.getWeights()[0]!.arraySync() as number[][])[0]![0]).toBe(0);
    m.dispose();
    loaded.dispose();
  });

  it("refuses to quantize weights twice", () => {
    expect(() => quantizeWeights([{ name: "w", shape: [1], dtype: "float32", quantization: { dtype: "uint8", min: 0, scale: 1 } }], new Uint8Array(1), "float16"))
      .toThrow(/only unquantized float32 weights can be quantized/);
  });
});
