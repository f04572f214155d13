/**
 * The simd engine's kernel (train/kernels/train.wat) against tfjs, piece by
 * piece: the compiled binary is its source's, the dropout random stream is
 * tfjs's, the gradients of random small networks equal tfjs's gradients for
 * each activation, loss, L2 and class weights (float32 tolerance), and one
 * optimizer step equals tfjs's for each optimizer.
 */
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../shared/random.ts";
import { binaryHead, buildModel, regressionHead, type Head } from "../train/fit/architecture.ts";
import { useBackend } from "../train/fit/backend.ts";
import { classWeights } from "../train/fit/class-weights.ts";
import { defaultTrainOptions, type TrainOptions } from "../train/fit/options.ts";
import { alea } from "../train/fit/simd/alea.ts";
import { SimdEngine } from "../train/fit/simd/engine.ts";
import { tfjsEngine } from "../train/fit/tfjs-engine.ts";
import { compileWat } from "../train/kernels/build.ts";

const WIDTH = 7;
const ROWS = 23;

/** A batch of ROWS random rows; labels 0/1 (about a third positive) or a standardized-looking target. */
function batch(seed: number, regression: boolean): { x: Float32Array; y: Float32Array; n: number } {
  const r = seededRandom(seed);
  const x = new Float32Array(ROWS * WIDTH).map(() => r() * 4 - 2);
  const y = new Float32Array(ROWS).map((_, i) => (regression ? x[i * WIDTH]! - 0.5 * x[i * WIDTH + 1]! + r() : r() < 0.35 ? 1 : 0));
  return { x, y, n: ROWS };
}

const regression = regressionHead({ transform: "none", mean: 0.2, std: 1.3, smearing: 1 });
const options = (o: Partial<TrainOptions>): TrainOptions => ({ ...defaultTrainOptions, batchSize: ROWS, learningRate: 0.01, patience: 0, seed: 7, ...o });

/** tfjs's gradients of the training objective (loss, weighted, + L2) by every trainable weight, in getWeights order. */
function tfjsGradients(model: tfl.LayersModel, b: { x: Float32Array; y: Float32Array; n: number }, o: TrainOptions, head: Head): { value: number; grads: Float32Array[] } {
  const cw = classWeights(b.y, o.classWeight, head);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const kernels = model.trainableWeights.filter((w) => w.originalName.endsWith("/kernel")).map((w) => w.read());
  return tf.tidy(() => {
    const labels = head.encode ? b.y.map((v) => head.encode!(v)) : b.y;
    const { value, grads } = tf.variableGrads(() => {
      const xs = tf.tensor2d(b.x, [b.n, WIDTH]);
      const ys = tf.tensor2d(labels, [b.n, 1]);
      let h: tf.Tensor = xs;
      for (const layer of model.layers) h = layer.apply(h) as tf.Tensor;
      const weights = cw ? tf.add(tf.mul(ys, cw.pos - cw.neg), cw.neg) : undefined;
      const loss = head.lossFn(ys, h, weights);
      return o.l2 > 0 ? (tf.add(loss, tf.mul(tf.addN(kernels.map((k) => tf.sum(tf.square(k)))), o.l2)) as tf.Scalar) : loss;
    }, vars);
    return { value: value.dataSync()[0] as number, grads: vars.map((v) => grads[v.name]!.dataSync() as Float32Array) };
  });
}

/** Largest |a − b| over every weight, relative to the largest |b| (gradients span orders of magnitude across layers). */
function worst(a: Float32Array[], b: Float32Array[]): { abs: number; scale: number } {
  let abs = 0;
  let scale = 0;
  a.forEach((w, i) => w.forEach((v, j) => { abs = Math.max(abs, Math.abs(v - b[i]![j]!)); scale = Math.max(scale, Math.abs(b[i]![j]!)); }));
  return { abs, scale };
}

describe("the simd training kernel", () => {
  beforeAll(async () => {
    await useBackend("cpu");
  });

  it("train.wasm is what train.wat compiles to (npm run build:kernels)", async () => {
    expect(Buffer.from(await compileWat("train/kernels/train.wat")).equals(readFileSync("train/kernels/train.wasm"))).toBe(true);
  });

  it("draws dropout noise from tfjs's randomUniform stream (alea, seeded by the number's text)", () => {
    for (const seed of [0, 1, 2_000_000_011, 1_234_567]) {
      const expected = tf.tidy(() => tf.randomUniform([500], 0, 1, "float32", seed).dataSync());
      const u = alea(String(seed));
      expect(Array.from({ length: 500 }, () => Math.fround(u()))).toEqual(Array.from(expected));
    }
  });

  const cases: [string, Partial<TrainOptions>, Head][] = [
    ["relu, cross-entropy", { hidden: [16], activation: "relu" }, binaryHead],
    ["tanh, cross-entropy", { hidden: [6, 5], activation: "tanh" }, binaryHead],
    ["sigmoid, cross-entropy", { hidden: [9], activation: "sigmoid" }, binaryHead],
    ["elu, cross-entropy", { hidden: [5, 3], activation: "elu" }, binaryHead],
    ["logistic regression", { hidden: [] }, binaryHead],
    ["relu, mean squared error", { hidden: [16], activation: "relu" }, regression],
    ["tanh, mean squared error", { hidden: [6, 5], activation: "tanh" }, regression],
    ["sigmoid, mean squared error", { hidden: [9], activation: "sigmoid" }, regression],
    ["elu, mean squared error", { hidden: [5, 3], activation: "elu" }, regression],
    ["linear regression", { hidden: [] }, regression],
    ["L2 on the kernels, cross-entropy", { hidden: [8, 4], l2: 0.03 }, binaryHead],
    ["L2 on the kernels, mean squared error", { hidden: [8], l2: 0.01 }, regression],
    ["balanced class weights", { hidden: [8], classWeight: "balanced" }, binaryHead],
    ["balanced class weights and L2", { hidden: [], classWeight: "balanced", l2: 0.02 }, binaryHead],
  ];

  it.each(cases)("has tfjs's gradients and objective: %s", (_name, o, head) => {
    for (const seed of [1, 2, 3]) {
      const opts = options({ ...o, seed });
      const b = batch(seed, head !== binaryHead);
      const model = buildModel(WIDTH, opts, head);
      const expected = tfjsGradients(model, b, opts, head);
      const engine = new SimdEngine(model, WIDTH, opts, head, seededRandom(seed), classWeights(b.y, opts.classWeight, head));
      const value = engine.backprop(b);
      const w = worst(engine.net.readWeights(engine.net.grads), expected.grads);
      expect(w.scale).toBeGreaterThan(1e-3);
      expect(w.abs).toBeLessThan(2e-6 * w.scale);
      expect(Math.abs(value - expected.value)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected.value)));
      model.dispose();
    }
  });

  const steps: [string, Partial<TrainOptions>][] = [
    ["adam", { optimizer: "adam" }],
    ["sgd", { optimizer: "sgd" }],
    ["sgd with momentum (tfjs's momentum optimizer)", { optimizer: "sgd", momentum: 0.9 }],
    ["rmsprop", { optimizer: "rmsprop" }],
    ["rmsprop with momentum", { optimizer: "rmsprop", momentum: 0.5 }],
    ["adam with dropout (the same masks)", { optimizer: "adam", dropout: 0.4, hidden: [12, 6] }],
  ];

  it.each(steps)("takes tfjs's optimizer step, then the next: %s", (_name, o) => {
    const opts = options({ hidden: [10], ...o });
    const a = buildModel(WIDTH, opts, binaryHead);
    const b = buildModel(WIDTH, opts, binaryHead);
    const simd = new SimdEngine(a, WIDTH, opts, binaryHead, seededRandom(5), undefined);
    const tfjs = tfjsEngine(b, WIDTH, opts, binaryHead, seededRandom(5), undefined);
    const before = a.getWeights().map((w) => (w.dataSync() as Float32Array).slice());
    for (const seed of [11, 12]) {
      const rows = batch(seed, false);
      expect(Math.abs(simd.step(rows) - tfjs.step(rows))).toBeLessThan(1e-5);
      simd.sync();
      const got = a.getWeights().map((w) => w.dataSync() as Float32Array);
      const want = b.getWeights().map((w) => w.dataSync() as Float32Array);
      // The step moved the weights (by about the learning rate), and to where tfjs moved them.
      expect(worst(got, before).abs).toBeGreaterThan(1e-4);
      expect(worst(got, want).abs).toBeLessThan(1e-6);
    }
    tfjs.dispose();
    a.dispose();
    b.dispose();
  });
});
