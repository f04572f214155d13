/**
 * The training loop. Written out (instead of `model.fit`) so that shuffling and
 * dropout are seeded, early stopping can restore the best weights, and a run
 * can be paused and resumed: the tuner trains a trial for a few epochs, judges
 * it, and continues only the promising ones (successive halving).
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { seededRandom, type Random } from "../../shared/random.ts";
import type { Matrix } from "../data/dataset.ts";
import { binaryHead, buildModel, type Head } from "./architecture.ts";
import { BatchFeeder } from "./batches.ts";
import { makeOptimizer } from "./optimizer.ts";
import type { TrainOptions } from "./options.ts";

export interface EpochLog {
  epoch: number;
  /** Training objective (loss + L2 penalty), mean over the epoch's rows. */
  loss: number;
  /** Absent when there is no validation split (a fixed-epoch refit on every training row). */
  valLoss?: number;
  /** Classification: validation AUC. */
  valAuc?: number;
  /** AUC on up to {@link TRAIN_AUC_ROWS} training rows (evenly spaced), for the report's train-vs-validation curve. */
  trainAuc?: number;
  /** Regression: R² and RMSE on the validation rows, and R² on the training sample (the target's own scale). */
  valR2?: number;
  valRmse?: number;
  trainR2?: number;
  seconds: number;
}

export interface Trained {
  model: tfl.LayersModel;
  history: EpochLog[];
  /** The epoch whose weights the model has (the last one without early stopping). */
  bestEpoch: number;
  stoppedEarly: boolean;
}

/** A run in progress: `advance` adds epochs, `finish` hands over the model. */
export interface Session {
  readonly model: tfl.LayersModel;
  readonly options: TrainOptions;
  readonly head: Head;
  readonly history: EpochLog[];
  epoch: number;
  stoppedEarly: boolean;
  best?: { loss: number; epoch: number; auc: number; weights: tf.Tensor[] };
  step(batch: { x: Float32Array; y: Float32Array; n: number }): number;
  feeder: BatchFeeder;
  validation?: Matrix;
  /** Training rows whose AUC each epoch logs (set by trainModel; the tuner does without). */
  trainSample?: Matrix;
  optimizer: tf.Optimizer;
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


/** The forward pass used for training: each layer in turn, dropout after every hidden one. */
function trainingForward(model: tfl.LayersModel, xs: tf.Tensor, dropout: number, random: Random): tf.Tensor {
  let h = xs;
  model.layers.forEach((layer, i) => {
    h = layer.apply(h) as tf.Tensor;
    if (dropout > 0 && i < model.layers.length - 1) h = tf.dropout(h, dropout, undefined, Math.floor(random() * 2 ** 31));
  });
  return h;
}

/** Class weights n / (2 · n_class) for "balanced", else none. */
function classWeights(y: Float32Array, mode: TrainOptions["classWeight"], head: Head): { pos: number; neg: number } | undefined {
  if (mode !== "balanced") return undefined;
  if (head.spec.kind !== "binary") throw new Error("class weights (balanced) apply to classification; a regression target has no classes");
  const pos = y.reduce((s, v) => s + v, 0);
  return { pos: y.length / (2 * Math.max(1, pos)), neg: y.length / (2 * Math.max(1, y.length - pos)) };
}

/**
 * Starts a run: a fresh network, or `from` (its weights are copied: pruning
 * fine-tunes a smaller network this way).
 */
export function startSession(train: Matrix, validation: Matrix | undefined, o: TrainOptions, from?: tfl.LayersModel, head: Head = binaryHead): Session {
  const model = buildModel(train.width, o, head);
  if (from) model.setWeights(from.getWeights());
  const optimizer = makeOptimizer(o);
  const random = seededRandom(o.seed);
  const feeder = new BatchFeeder(train, o.batchSize, random);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const kernels = model.trainableWeights.filter((w) => w.originalName.endsWith("/kernel")).map((w) => w.read());
  const cw = classWeights(train.y, o.classWeight, head);
  const encode = head.encode;
  const labels = encode ? new Float32Array(o.batchSize) : undefined;
  const step = (b: { x: Float32Array; y: Float32Array; n: number }): number => {
    let y = b.y;
    if (encode && labels) {
      for (let i = 0; i < b.n; i++) labels[i] = encode(b.y[i]!);
      y = labels.subarray(0, b.n);
    }
    const cost = tf.tidy((): tf.Scalar => {
      const xs = tf.tensor2d(b.x, [b.n, train.width]);
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
  };
  return { model, options: o, head, history: [], epoch: 0, stoppedEarly: false, step, feeder, optimizer, ...(validation ? { validation } : {}) };
}

/**
 * Trains until epoch `upTo` (or early stopping). `cancelled()` is asked after
 * every epoch; a true answer leaves the run where it is and returns false.
 */
export function advance(s: Session, upTo: number, onEpoch?: (log: EpochLog) => void, cancelled?: () => boolean): boolean {
  const o = s.options;
  while (s.epoch < upTo && !s.stoppedEarly) {
    const started = performance.now();
    const epoch = s.epoch + 1;
    let lossSum = 0;
    for (const batch of s.feeder.epoch()) lossSum += s.step(batch) * batch.n;
    const loss = lossSum / s.feeder.rows;
    if (!Number.isFinite(loss)) {
      throw new Error(`training diverged: the loss became ${loss} in epoch ${epoch}; try a lower --learning-rate (now ${o.learningRate})`);
    }
    s.epoch = epoch;
    const log: EpochLog = { epoch, loss, seconds: 0 };
    if (s.validation) {
      const v = s.head.score(s.validation.y, predictProba(s.model, s.validation));
      log.valLoss = v.loss;
      if (v.auc !== undefined) log.valAuc = v.auc;
      if (v.r2 !== undefined) { log.valR2 = v.r2; log.valRmse = v.rmse ?? NaN; }
    }
    if (s.trainSample) {
      const t = s.head.score(s.trainSample.y, predictProba(s.model, s.trainSample));
      if (t.auc !== undefined) log.trainAuc = t.auc;
      if (t.r2 !== undefined) log.trainR2 = t.r2;
    }
    log.seconds = (performance.now() - started) / 1000;
    s.history.push(log);
    onEpoch?.(log);
    if (log.valLoss !== undefined) {
      if (!s.best || log.valLoss < s.best.loss) {
        s.best?.weights.forEach((w) => w.dispose());
        s.best = { loss: log.valLoss, epoch, auc: log.valAuc ?? NaN, weights: s.model.getWeights().map((w) => w.clone()) };
      } else if (o.patience > 0 && epoch - s.best.epoch >= o.patience) {
        s.stoppedEarly = true;
      }
    }
    if (cancelled?.()) return false;
  }
  return true;
}

/** Ends the run: the best weights restored when early stopping is in play; optimizer state freed. */
export function finish(s: Session): Trained {
  const restore = s.best && s.options.patience > 0 ? s.best : undefined;
  if (restore) s.model.setWeights(restore.weights);
  const bestEpoch = restore?.epoch ?? s.epoch;
  dispose(s, false);
  return { model: s.model, history: s.history, bestEpoch, stoppedEarly: s.stoppedEarly };
}

/** Frees a run's tensors (and its network unless `keepModel`). */
export function dispose(s: Session, withModel = true): void {
  s.best?.weights.forEach((w) => w.dispose());
  delete s.best;
  s.optimizer.dispose();
  if (withModel) s.model.dispose();
}

export function trainModel(train: Matrix, validation: Matrix | undefined, o: TrainOptions, onEpoch?: (log: EpochLog) => void, from?: tfl.LayersModel, head: Head = binaryHead): Trained {
  if (!validation && o.patience > 0) throw new Error("early stopping (patience > 0) needs a validation split");
  const s = startSession(train, validation, o, from, head);
  s.trainSample = everyKth(train, TRAIN_AUC_ROWS);
  try {
    advance(s, o.epochs, onEpoch);
  } catch (e) {
    dispose(s);
    throw e;
  }
  return finish(s);
}
