/**
 * The simd engine: the tfjs network's seeded initial weights trained in the
 * WebAssembly SIMD kernel (net.ts), with tfjs's arithmetic — its loss
 * definitions (log loss with ε = 1e-7, mean squared error, weights summed by
 * non-zero weights), its L2 penalty on the kernels, its dropout masks (the
 * same random stream, alea.ts) and its adam / sgd / momentum / rmsprop
 * updates in float32, op for op. The weights go back into the tfjs model at
 * the end (`sync`), so the artifact is written exactly as before.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { Random } from "../../../shared/random.ts";
import type { Matrix } from "../../data/matrix.ts";
import type { Head } from "../architecture.ts";
import type { Batch } from "../batches.ts";
import type { ClassWeights } from "../class-weights.ts";
import type { Engine, Snapshot } from "../engine.ts";
import type { TrainOptions } from "../options.ts";
import { predictProba } from "../predict.ts";
import { alea } from "./alea.ts";
import { SimdNet, type KernelActivation } from "./net.ts";

const f32 = Math.fround;
/** tfjs's backend epsilon for float32 (adam, rmsprop) and its log-loss epsilon. */
const EPSILON = 1e-7;
/** Rows per kernel call when predicting (validation, the training-AUC sample). */
export const PREDICT_ROWS = 512;

class BlockSnapshot implements Snapshot {
  constructor(readonly params: Float32Array) {}
  dispose(): void {}
}

/** The loss of one row and its derivative by the network's output. */
type RowLoss = (p: number, y: number) => [loss: number, grad: number];

function rowLoss(head: Head): RowLoss {
  if (head.loss === "binary cross-entropy") {
    return (p, y) => {
      const a = p + EPSILON;
      const b = 1 - p + EPSILON;
      return [-(y * Math.log(a)) - (1 - y) * Math.log(b), -y / a + (1 - y) / b];
    };
  }
  if (head.loss === "mean squared error") return (p, y) => [(y - p) * (y - p), 2 * (p - y)];
  throw new Error(`the simd engine has no ${head.loss} loss`);
}

/** One optimizer step over the whole parameter block, with tfjs's constants and defaults. */
function optimizerStep(net: SimdNet, o: TrainOptions): () => void {
  const { k, params: p, grads: g, state1: s1, state2: s2, paramFloats: count } = net;
  const neglr = f32(-o.learningRate);
  switch (o.optimizer) {
    case "adam": {
      // tf.train.adam(lr): β1 0.9, β2 0.999, ε the backend's; accβ starts at β and is multiplied after each step.
      const b1 = f32(0.9);
      const b2 = f32(0.999);
      let acc1 = b1;
      let acc2 = b2;
      return () => {
        k.adam(p, g, s1, s2, count, neglr, b1, f32(1 - 0.9), b2, f32(1 - 0.999), f32(1 - acc1), f32(1 - acc2), f32(EPSILON));
        acc1 = f32(acc1 * b1);
        acc2 = f32(acc2 * b2);
      };
    }
    case "sgd":
      return o.momentum > 0 ? () => k.momentum(p, g, s1, count, neglr, f32(o.momentum)) : () => k.sgd(p, g, count, neglr);
    case "rmsprop":
      // tf.train.rmsprop(lr, decay 0.9, momentum): ε the backend's, not centred.
      return () => k.rmsprop(p, g, s1, s2, count, f32(o.learningRate), f32(0.9), f32(1 - 0.9), f32(o.momentum), f32(EPSILON));
  }
}

export class SimdEngine implements Engine {
  readonly name = "simd";
  readonly net: SimdNet;
  private readonly loss: RowLoss;
  private readonly update: () => void;
  private readonly dropMask?: (layer: number, n: number) => void;
  private readonly cw?: { pos: number; neg: number };

  constructor(private readonly model: tfl.LayersModel, width: number, private readonly o: TrainOptions, private readonly head: Head, random: Random, cw: ClassWeights | undefined) {
    const units = [...o.hidden, 1];
    const activations = units.map((_, i) => (i < o.hidden.length ? o.activation : head.activation) as KernelActivation);
    const dropout = o.dropout > 0 && o.hidden.length > 0;
    const net = (this.net = new SimdNet(width, units, activations, o.batchSize, Math.max(o.batchSize, PREDICT_ROWS), dropout));
    net.writeWeights(model.getWeights().map((w) => w.dataSync() as Float32Array));
    this.loss = rowLoss(head);
    this.update = optimizerStep(net, o);
    if (dropout) {
      // tf.dropout: multiplier = floor(u + keep) / keep, u uniform from the layer's seed, in float32.
      const keep = f32(1 - o.dropout);
      const kept = f32(1 / keep);
      this.dropMask = (layer, n) => {
        const u = alea(String(Math.floor(random() * 2 ** 31)));
        const size = units[layer] as number;
        for (let r = 0; r < n; r++) for (let j = 0; j < size; j++) net.setMask(layer, r, j, Math.floor(f32(f32(u()) + keep)) > 0 ? kept : 0);
      };
    }
    // tfjs weighs row r by y · (pos − neg) + neg, in float32.
    if (cw) this.cw = { pos: f32(cw.pos - cw.neg), neg: f32(cw.neg) };
  }

  /** Forward and backward pass on a batch: the gradients (with L2's) in the kernel's gradient block; returns the objective. */
  backprop(b: Batch): number {
    const { net, cw } = this;
    const n = b.n;
    const encode = this.head.encode;
    net.setRows(b.x, n);
    net.forward(n, this.dropMask);
    let total = 0;
    for (let r = 0; r < n; r++) {
      const y = encode ? f32(encode(b.y[r]!)) : b.y[r]!;
      const w = cw ? f32(f32(y * cw.pos) + cw.neg) : 1;
      const [l, grad] = this.loss(net.output(r), y);
      total += w * l;
      net.setOutputDelta(r, (grad * w) / n);
    }
    net.backward(n);
    const l2 = this.o.l2 > 0 ? this.o.l2 : 0;
    return total / n + (l2 ? l2 * net.l2(2 * l2) : 0);
  }

  step(b: Batch): number {
    const objective = this.backprop(b);
    this.update();
    return objective;
  }

  predict(m: Matrix): Float32Array {
    return predictProba(this.model, m, this.net.cap, (x, n) => this.net.predict(x, n));
  }

  snapshot(): Snapshot {
    return new BlockSnapshot(this.net.snapshot());
  }

  restore(s: Snapshot): void {
    if (!(s instanceof BlockSnapshot)) throw new Error("the simd engine restores its own snapshots only");
    this.net.restore(s.params);
  }

  sync(): void {
    const shapes = this.model.getWeights().map((w) => w.shape);
    const tensors = this.net.readWeights().map((w, i) => tf.tensor(w, shapes[i]));
    this.model.setWeights(tensors);
    tensors.forEach((t) => t.dispose());
  }

  dispose(): void {}
}
