/**
 * The network and its training loop. The loop is written out (instead of
 * `model.fit`) so that shuffling is seeded, early stopping can restore the best
 * weights, and per-epoch work stays small.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { seededRandom, shuffleInPlace } from "../../shared/random.ts";
import type { Matrix } from "../data/dataset.ts";
import { logLoss, rocAuc } from "../evaluate/metrics.ts";

export interface TrainOptions {
  /** Hidden layer sizes; the reference is [64]. */
  hidden: number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Stop after this many epochs without a better validation loss (0 = never stop early). */
  patience: number;
  seed: number;
}

export const referenceTrainOptions: TrainOptions = { hidden: [64], epochs: 100, batchSize: 32, learningRate: 0.001, patience: 0, seed: 42 };

export interface EpochLog {
  epoch: number;
  loss: number;
  valLoss: number;
  valAuc: number;
  /** AUC on up to {@link TRAIN_AUC_ROWS} training rows (evenly spaced), for the train-vs-validation curve. */
  trainAuc: number;
  seconds: number;
}

export interface Trained {
  model: tfl.LayersModel;
  history: EpochLog[];
  bestEpoch: number;
  stoppedEarly: boolean;
}

export function buildModel(inputWidth: number, o: Pick<TrainOptions, "hidden" | "seed">): tfl.Sequential {
  const model = tfl.sequential();
  o.hidden.forEach((units, i) => {
    model.add(tfl.layers.dense({
      units,
      activation: "relu",
      kernelInitializer: tfl.initializers.glorotUniform({ seed: o.seed + i }),
      ...(i === 0 ? { inputShape: [inputWidth] } : {}),
    }));
  });
  model.add(tfl.layers.dense({
    units: 1,
    activation: "sigmoid",
    kernelInitializer: tfl.initializers.glorotUniform({ seed: o.seed + o.hidden.length }),
    ...(o.hidden.length === 0 ? { inputShape: [inputWidth] } : {}),
  }));
  return model;
}

/** Probabilities for every row, in chunks so memory stays bounded. */
export function predictProba(model: tfl.LayersModel, m: Matrix, chunk = 8192): Float32Array {
  const out = new Float32Array(m.n);
  for (let start = 0; start < m.n; start += chunk) {
    const end = Math.min(m.n, start + chunk);
    tf.tidy(() => {
      const x = tf.tensor2d(m.x.subarray(start * m.width, end * m.width), [end - start, m.width]);
      out.set((model.predict(x) as tf.Tensor).dataSync() as Float32Array, start);
    });
  }
  return out;
}

export const TRAIN_AUC_ROWS = 5000;

/** Every k-th row of a matrix so that at most `max` rows remain: a fixed, seed-free subsample. */
function everyKth(m: Matrix, max: number): Matrix {
  if (m.n <= max) return m;
  const x = new Float32Array(max * m.width);
  const y = new Float32Array(max);
  for (let k = 0; k < max; k++) {
    const row = Math.floor((k * m.n) / max);
    x.set(m.x.subarray(row * m.width, (row + 1) * m.width), k * m.width);
    y[k] = m.y[row] as number;
  }
  return { x, y, n: max, width: m.width };
}

export function trainModel(train: Matrix, validation: Matrix, o: TrainOptions, onEpoch?: (log: EpochLog) => void): Trained {
  const model = buildModel(train.width, o);
  const optimizer = tf.train.adam(o.learningRate);
  const random = seededRandom(o.seed);
  const order = Int32Array.from({ length: train.n }, (_, i) => i);
  const bx = new Float32Array(o.batchSize * train.width);
  const by = new Float32Array(o.batchSize);
  const history: EpochLog[] = [];
  let best: { loss: number; epoch: number; weights: tf.Tensor[] } | undefined;
  let stoppedEarly = false;
  const trainSample = everyKth(train, TRAIN_AUC_ROWS);
  const aucOrNaN = (m: Matrix) => {
    try {
      return rocAuc(m.y, predictProba(model, m));
    } catch {
      return NaN; // a sample without both classes has no AUC
    }
  };

  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const started = performance.now();
    shuffleInPlace(order, random);
    let lossSum = 0;
    for (let start = 0; start < train.n; start += o.batchSize) {
      const b = Math.min(o.batchSize, train.n - start);
      for (let k = 0; k < b; k++) {
        const row = order[start + k] as number;
        bx.set(train.x.subarray(row * train.width, (row + 1) * train.width), k * train.width);
        by[k] = train.y[row] as number;
      }
      const cost = tf.tidy((): tf.Scalar => {
        const xs = tf.tensor2d(bx.subarray(0, b * train.width), [b, train.width]);
        const ys = tf.tensor2d(by.subarray(0, b), [b, 1]);
        const c = optimizer.minimize(() => tf.losses.logLoss(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar, true);
        return c ?? tf.scalar(NaN);
      });
      lossSum += (cost.dataSync()[0] ?? NaN) * b;
      cost.dispose();
    }
    const loss = lossSum / train.n;
    if (!Number.isFinite(loss)) {
      throw new Error(`training diverged: the loss became ${loss} in epoch ${epoch}; try a lower --learning-rate (now ${o.learningRate})`);
    }
    const p = predictProba(model, validation);
    const log: EpochLog = { epoch, loss, valLoss: logLoss(validation.y, p), valAuc: rocAuc(validation.y, p), trainAuc: aucOrNaN(trainSample), seconds: (performance.now() - started) / 1000 };
    history.push(log);
    onEpoch?.(log);
    if (!best || log.valLoss < best.loss) {
      best?.weights.forEach((w) => w.dispose());
      best = { loss: log.valLoss, epoch, weights: model.getWeights().map((w) => w.clone()) };
    } else if (o.patience > 0 && epoch - best.epoch >= o.patience) {
      stoppedEarly = true;
      break;
    }
  }
  optimizer.dispose();
  // Restore the best weights only when stopping early is in play; the reference run keeps its last epoch.
  if (best && o.patience > 0) model.setWeights(best.weights);
  best?.weights.forEach((w) => w.dispose());
  return { model, history, bestEpoch: o.patience > 0 && best ? best.epoch : o.epochs, stoppedEarly };
}
