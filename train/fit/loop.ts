/**
 * The training loop. Written out (instead of `model.fit`) so that shuffling and
 * dropout are seeded, early stopping can restore the best weights, and a run
 * can be paused and resumed: the tuner trains a trial for a few epochs, judges
 * it, and continues only the promising ones (successive halving).
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { FORWARD_BATCH, forwardPass } from "../../shared/network.ts";
import { seededRandom, type Random } from "../../shared/random.ts";
import { pickRows, readRows, type Matrix } from "../data/matrix.ts";
import { binaryHead, buildModel, headWithLoss, type Head } from "./architecture.ts";
import { BatchFeeder, type Batch } from "./batches.ts";
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
  /** Sees the validation scores after each epoch (the tuner counts approvals by group with it). */
  onValidation?: (scores: Float32Array) => void;
  /** Training rows whose AUC each epoch logs (set by trainModel; the tuner does without). */
  trainSample?: Matrix;
  optimizer: tf.Optimizer;
  /** The epoch being trained when a time slice ran out in the middle of it. */
  partial?: { batches: Iterator<Batch>; lossSum: number; started: number };
}

/** A network's outputs for n encoded rows. */
export type Forward = (x: Float32Array, n: number) => Float32Array;

/**
 * Outputs for every row, in chunks so memory stays bounded: the tfjs forward
 * pass, or `forward` (train/fit/served.ts: the network as the edge serves it).
 */
export function predictProba(model: tfl.LayersModel, m: Matrix, chunk = FORWARD_BATCH, forward: Forward = (x, n) => forwardPass(model, x, n, m.width)): Float32Array {
  const out = new Float32Array(m.n);
  const buffer = m.x ? undefined : new Float32Array(Math.min(chunk, m.n) * m.width);
  for (let start = 0; start < m.n; start += chunk) {
    const end = Math.min(m.n, start + chunk);
    out.set(forward(readRows(m, start, end - start, buffer), end - start), start);
  }
  return out;
}

export const TRAIN_AUC_ROWS = 5000;

/** Every k-th row of a matrix so that at most `max` rows remain: a fixed, seed-free subsample. */
function everyKth(m: Matrix, max: number): Matrix {
  if (m.n <= max && m.x) return m;
  const k = Math.min(max, m.n);
  return pickRows(m, Int32Array.from({ length: k }, (_, i) => Math.floor((i * m.n) / k)));
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
export function startSession(train: Matrix, validation: Matrix | undefined, o: TrainOptions, from?: tfl.LayersModel, trainedHead: Head = binaryHead): Session {
  const head = headWithLoss(trainedHead, o.loss);
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

type Progress = "done" | "paused" | "cancelled";

/**
 * Trains until epoch `upTo` (or early stopping), or until `until`
 * (performance.now() ms) passes, possibly in the middle of an epoch: the next
 * call goes on from the same batch. `cancelled()` is asked after every epoch.
 */
function run(s: Session, upTo: number, onEpoch: ((log: EpochLog) => void) | undefined, cancelled: (() => boolean) | undefined, until: number): Progress {
  while (s.epoch < upTo && !s.stoppedEarly) {
    const p = (s.partial ??= { batches: s.feeder.epoch(), lossSum: 0, started: performance.now() });
    for (;;) {
      if (performance.now() > until) return "paused";
      const next = p.batches.next();
      if (next.done) break;
      p.lossSum += s.step(next.value) * next.value.n;
    }
    delete s.partial;
    endEpoch(s, p.lossSum / s.feeder.rows, p.started, onEpoch);
    if (cancelled?.()) return "cancelled";
  }
  return "done";
}

/** The bookkeeping after an epoch's last batch: divergence, validation, history, best weights, early stopping. */
function endEpoch(s: Session, loss: number, started: number, onEpoch?: (log: EpochLog) => void): void {
  const o = s.options;
  const epoch = s.epoch + 1;
  if (!Number.isFinite(loss)) {
    throw new Error(`training diverged: the loss became ${loss} in epoch ${epoch}; try a lower --learning-rate (now ${o.learningRate})`);
  }
  s.epoch = epoch;
  const log: EpochLog = { epoch, loss, seconds: 0 };
  if (s.validation) {
    const scores = predictProba(s.model, s.validation);
    s.onValidation?.(scores);
    const v = s.head.score(s.validation.y, scores);
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
  if (log.valLoss === undefined) return;
  if (!s.best || log.valLoss < s.best.loss) {
    s.best?.weights.forEach((w) => w.dispose());
    s.best = { loss: log.valLoss, epoch, auc: log.valAuc ?? NaN, weights: s.model.getWeights().map((w) => w.clone()) };
  } else if (o.patience > 0 && epoch - s.best.epoch >= o.patience) {
    s.stoppedEarly = true;
  }
}

/**
 * Trains until epoch `upTo` (or early stopping), without pausing (the tuner's
 * worker threads). `cancelled()` is asked after every epoch; a true answer
 * leaves the run where it is and returns false.
 */
export function advance(s: Session, upTo: number, onEpoch?: (log: EpochLog) => void, cancelled?: () => boolean): boolean {
  return run(s, upTo, onEpoch, cancelled, Infinity) === "done";
}

/**
 * The main thread trains in slices of this long and then lets the event loop
 * run, so Ctrl-C and a scheduler's SIGTERM stop a long run within moments
 * instead of after its last epoch.
 */
export const SLICE_MS = 100;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

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

export async function trainModel(train: Matrix, validation: Matrix | undefined, o: TrainOptions, onEpoch?: (log: EpochLog) => void, from?: tfl.LayersModel, head: Head = binaryHead): Promise<Trained> {
  if (!validation && o.patience > 0) throw new Error("early stopping (patience > 0) needs a validation split");
  const s = startSession(train, validation, o, from, head);
  s.trainSample = everyKth(train, TRAIN_AUC_ROWS);
  try {
    while (run(s, o.epochs, onEpoch, undefined, performance.now() + SLICE_MS) === "paused") await yieldToEventLoop();
  } catch (e) {
    dispose(s);
    throw e;
  }
  return finish(s);
}
