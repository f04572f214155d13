/**
 * The tfjs engine: tfjs-layers' own layers, gradients and optimizers, one op
 * at a time on the backend chosen by `--backend`. Covers every head; the simd
 * engine is measured against it.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { Random } from "../../shared/random.ts";
import type { Matrix } from "../data/matrix.ts";
import type { Head } from "./architecture.ts";
import type { Batch } from "./batches.ts";
import type { Engine, Snapshot } from "./engine.ts";
import { predictProba } from "./predict.ts";
import { makeOptimizer } from "./optimizer.ts";
import type { TrainOptions } from "./options.ts";
import type { ClassWeights } from "./class-weights.ts";

/** The forward pass used for training: each layer in turn, dropout after every hidden one. */
function trainingForward(model: tfl.LayersModel, xs: tf.Tensor, dropout: number, random: Random): tf.Tensor {
  let h = xs;
  model.layers.forEach((layer, i) => {
    h = layer.apply(h) as tf.Tensor;
    if (dropout > 0 && i < model.layers.length - 1) h = tf.dropout(h, dropout, undefined, Math.floor(random() * 2 ** 31));
  });
  return h;
}

class TensorSnapshot implements Snapshot {
  constructor(readonly weights: tf.Tensor[]) {}
  dispose(): void {
    this.weights.forEach((w) => w.dispose());
  }
}

export function tfjsEngine(model: tfl.LayersModel, width: number, o: TrainOptions, head: Head, random: Random, cw: ClassWeights | undefined): Engine {
  const optimizer = makeOptimizer(o);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const kernels = model.trainableWeights.filter((w) => w.originalName.endsWith("/kernel")).map((w) => w.read());
  const encode = head.encode;
  const labels = encode ? new Float32Array(o.batchSize) : undefined;
  return {
    name: "tfjs",
    step(b: Batch): number {
      let y = b.y;
      if (encode && labels) {
        for (let i = 0; i < b.n; i++) labels[i] = encode(b.y[i]!);
        y = labels.subarray(0, b.n);
      }
      const cost = tf.tidy((): tf.Scalar => {
        const xs = tf.tensor2d(b.x, [b.n, width]);
        const ys = tf.tensor2d(y, [b.n, 1]);
        const weights = cw ? tf.add(tf.mul(ys, cw.pos - cw.neg), cw.neg) : undefined;
        const c = optimizer.minimize(() => {
          const loss = head.lossFn(ys, trainingForward(model, xs, o.dropout, random), weights);
          if (!(o.l2 > 0)) return loss;
          return tf.add(loss, tf.mul(tf.addN(kernels.map((k) => tf.sum(tf.square(k)))), o.l2)) as tf.Scalar;
        }, true, vars);
        return c ?? tf.scalar(NaN);
      });
      const value = cost.dataSync()[0] ?? NaN;
      cost.dispose();
      return value;
    },
    predict: (m: Matrix) => predictProba(model, m),
    snapshot: () => new TensorSnapshot(model.getWeights().map((w) => w.clone())),
    restore(s: Snapshot): void {
      if (!(s instanceof TensorSnapshot)) throw new Error("the tfjs engine restores its own snapshots only");
      model.setWeights(s.weights);
    },
    sync(): void {},
    dispose(): void {
      optimizer.dispose();
    },
  };
}
