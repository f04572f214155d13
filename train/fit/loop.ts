/**
 * The training loop. Written out (instead of `model.fit`) so that shuffling and
 * dropout are seeded, early stopping can restore the best weights, and a run
 * can be paused and resumed: the tuner trains a trial for a few epochs, judges
 * it, and continues only the promising ones (successive halving).
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { seededRandom } from "../../shared/random.ts";
import { pickRows, type Matrix } from "../data/matrix.ts";
import { binaryHead, buildModel, headWithLoss, type Head } from "./architecture.ts";
import { BatchFeeder, type Batch } from "./batches.ts";
import { classWeights } from "./class-weights.ts";
import { chooseEngine, type Engine, type EngineName, type Snapshot } from "./engine.ts";
import type { TrainOptions } from "./options.ts";
import { SimdEngine } from "./simd/engine.ts";
import { tfjsEngine } from "./tfjs-engine.ts";

export { predictProba, type Forward } from "./predict.ts";

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
  /** The engine that trained it, and why not simd when `auto` chose tfjs. */
  engine: EngineName;
  engineReason?: string;
}

/** A run in progress: `advance` adds epochs, `finish` hands over the model. */
export interface Session {
  /** The tfjs network (what is saved); the simd engine trains a copy and writes it back in `finish`. */
  readonly model: tfl.LayersModel;
  readonly options: TrainOptions;
  readonly head: Head;
  readonly history: EpochLog[];
  epoch: number;
  stoppedEarly: boolean;
  best?: { loss: number; epoch: number; auc: number; weights: Snapshot };
  /** Runs the arithmetic: steps, predictions, best-weight snapshots (train/fit/engine.ts). */
  engine: Engine;
  engineReason?: string;
  feeder: BatchFeeder;
  validation?: Matrix;
  /** Sees the validation scores after each epoch (the tuner counts approvals by group with it). */
  onValidation?: (scores: Float32Array) => void;
  /** Training rows whose AUC each epoch logs (set by trainModel; the tuner does without). */
  trainSample?: Matrix;
  /** The epoch being trained when a time slice ran out in the middle of it. */
  partial?: { batches: Iterator<Batch>; lossSum: number; started: number };
}

export const TRAIN_AUC_ROWS = 5000;

/** Every k-th row of a matrix so that at most `max` rows remain: a fixed, seed-free subsample. */
function everyKth(m: Matrix, max: number): Matrix {
  if (m.n <= max && m.x) return m;
  const k = Math.min(max, m.n);
  return pickRows(m, Int32Array.from({ length: k }, (_, i) => Math.floor((i * m.n) / k)));
}

/**
 * Starts a run: a fresh network, or `from` (its weights are copied: pruning
 * fine-tunes a smaller network this way).
 */
export function startSession(train: Matrix, validation: Matrix | undefined, o: TrainOptions, from?: tfl.LayersModel, trainedHead: Head = binaryHead): Session {
  const head = headWithLoss(trainedHead, o.loss);
  const { engine: name, reason } = chooseEngine(o.engine, head);
  const model = buildModel(train.width, o, head);
  if (from) model.setWeights(from.getWeights());
  const random = seededRandom(o.seed);
  const feeder = new BatchFeeder(train, o.batchSize, random);
  const cw = classWeights(train.y, o.classWeight, head);
  const engine = name === "simd" ? new SimdEngine(model, train.width, o, head, random, cw) : tfjsEngine(model, train.width, o, head, random, cw);
  return {
    model, options: o, head, history: [], epoch: 0, stoppedEarly: false, engine, feeder,
    ...(reason ? { engineReason: reason } : {}), ...(validation ? { validation } : {}),
  };
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
      p.lossSum += s.engine.step(next.value) * next.value.n;
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
    const scores = s.engine.predict(s.validation);
    s.onValidation?.(scores);
    const v = s.head.score(s.validation.y, scores);
    log.valLoss = v.loss;
    if (v.auc !== undefined) log.valAuc = v.auc;
    if (v.r2 !== undefined) { log.valR2 = v.r2; log.valRmse = v.rmse ?? NaN; }
  }
  if (s.trainSample) {
    const t = s.head.score(s.trainSample.y, s.engine.predict(s.trainSample));
    if (t.auc !== undefined) log.trainAuc = t.auc;
    if (t.r2 !== undefined) log.trainR2 = t.r2;
  }
  log.seconds = (performance.now() - started) / 1000;
  s.history.push(log);
  onEpoch?.(log);
  if (log.valLoss === undefined) return;
  if (!s.best || log.valLoss < s.best.loss) {
    s.best?.weights.dispose();
    s.best = { loss: log.valLoss, epoch, auc: log.valAuc ?? NaN, weights: s.engine.snapshot() };
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
  if (restore) s.engine.restore(restore.weights);
  s.engine.sync();
  const bestEpoch = restore?.epoch ?? s.epoch;
  dispose(s, false);
  return { model: s.model, history: s.history, bestEpoch, stoppedEarly: s.stoppedEarly, engine: s.engine.name, ...(s.engineReason ? { engineReason: s.engineReason } : {}) };
}

/** Frees a run's tensors (and its network unless `keepModel`). */
export function dispose(s: Session, withModel = true): void {
  s.best?.weights.dispose();
  delete s.best;
  s.engine.dispose();
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
