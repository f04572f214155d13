/**
 * Everything that shapes a model and its training, in one type: the CLI builds
 * it from flags, `tuned.json` stores it, the tuner searches over it and the
 * model card records it. The allowed values live here once, so flags, the
 * search space file and tuned.json are validated against the same lists.
 */
import type { EngineChoice } from "./engine.ts";

export const ACTIVATIONS = ["relu", "tanh", "sigmoid", "elu"] as const;
export const OPTIMIZERS = ["adam", "sgd", "rmsprop"] as const;
export const CLASS_WEIGHTS = ["none", "balanced"] as const;
/** A regression's training loss: mean squared error, or Huber (δ = 1 on the standardized target) for heavy tails. */
export const REGRESSION_LOSSES = ["mse", "huber"] as const;
export const TARGET_TRANSFORM_CHOICES = ["none", "log1p"] as const;

export type Activation = (typeof ACTIVATIONS)[number];
export type OptimizerName = (typeof OPTIMIZERS)[number];
export type ClassWeight = (typeof CLASS_WEIGHTS)[number];
export type RegressionLoss = (typeof REGRESSION_LOSSES)[number];

/** The network: what the edge serves. */
export interface ModelOptions {
  /** Hidden layer sizes; [] is logistic regression (one Dense(1, sigmoid) on the encoded row). */
  hidden: number[];
  /** Activation of the hidden layers. */
  activation: Activation;
}

/** How it is fitted: none of this changes the served topology. */
export interface FitOptions {
  optimizer: OptimizerName;
  learningRate: number;
  /** Momentum for sgd and rmsprop (0 = none). */
  momentum: number;
  /** L2 penalty on the kernels: loss + l2 · Σ w². */
  l2: number;
  /** Share of hidden activations dropped per training step (0 = off); inference never drops. */
  dropout: number;
  batchSize: number;
  /** "balanced": each class weighs n / (2 · n_class) in the loss. */
  classWeight: ClassWeight;
  epochs: number;
  /** Stop after this many epochs without a better validation loss (0 = never stop early). */
  patience: number;
  seed: number;
  /** What runs the training arithmetic (train/fit/engine.ts); absent = auto: simd where it covers the head, else tfjs. */
  engine?: EngineChoice;
  /** Regression only: the training loss (absent: mean squared error). */
  loss?: RegressionLoss;
  /** Regression only: the target's transform (absent: the job's --target-transform, auto by default); the tuner searches it. */
  targetTransform?: (typeof TARGET_TRANSFORM_CHOICES)[number];
}

export type TrainOptions = ModelOptions & FitOptions;

/** `npm run train` without model flags. */
export const defaultTrainOptions: TrainOptions = {
  hidden: [64], activation: "relu", optimizer: "adam", learningRate: 0.001, momentum: 0, l2: 0, dropout: 0,
  batchSize: 32, classWeight: "none", epochs: 100, patience: 20, seed: 42,
};

/** The reference run the benchmarks use: the default network, every epoch, last weights. */
export const referenceTrainOptions: TrainOptions = { ...defaultTrainOptions, patience: 0 };

/** Options that may be searched or stored in tuned.json, with their kinds. */
export const OPTION_KINDS = {
  hidden: "layers", activation: "choice", optimizer: "choice", learningRate: "number", momentum: "number",
  l2: "number", dropout: "number", batchSize: "integer", classWeight: "choice", loss: "choice", targetTransform: "choice",
} as const satisfies Partial<Record<keyof TrainOptions, string>>;

export type SearchableOption = keyof typeof OPTION_KINDS;

/** Allowed values of each option, with the words an error message uses. */
export const OPTION_RULES: { [K in SearchableOption]: { ok: (v: unknown) => boolean; text: string } } = {
  hidden: { ok: (v) => Array.isArray(v) && v.every((u) => Number.isInteger(u) && u >= 1 && u <= 4096), text: "a list of layer sizes (whole numbers 1..4096); [] for logistic regression" },
  activation: { ok: (v) => (ACTIVATIONS as readonly unknown[]).includes(v), text: `one of ${ACTIVATIONS.join(", ")}` },
  optimizer: { ok: (v) => (OPTIMIZERS as readonly unknown[]).includes(v), text: `one of ${OPTIMIZERS.join(", ")}` },
  learningRate: { ok: (v) => typeof v === "number" && v > 0 && v < 10, text: "a number above 0 and below 10" },
  momentum: { ok: (v) => typeof v === "number" && v >= 0 && v < 1, text: "a number from 0 up to (not including) 1" },
  l2: { ok: (v) => typeof v === "number" && v >= 0 && v < 10, text: "a number from 0 up to 10" },
  dropout: { ok: (v) => typeof v === "number" && v >= 0 && v < 1, text: "a number from 0 up to (not including) 1" },
  batchSize: { ok: (v) => Number.isInteger(v) && (v as number) >= 1, text: "a whole number >= 1" },
  classWeight: { ok: (v) => (CLASS_WEIGHTS as readonly unknown[]).includes(v), text: `one of ${CLASS_WEIGHTS.join(", ")}` },
  loss: { ok: (v) => (REGRESSION_LOSSES as readonly unknown[]).includes(v), text: `one of ${REGRESSION_LOSSES.join(", ")}` },
  targetTransform: { ok: (v) => (TARGET_TRANSFORM_CHOICES as readonly unknown[]).includes(v), text: `one of ${TARGET_TRANSFORM_CHOICES.join(", ")}` },
};

/** Options that may be absent (regression only; tuned.json files from before them lack them). */
export const OPTIONAL_OPTIONS: readonly SearchableOption[] = ["loss", "targetTransform"];
/** Options that apply to a regression only (left out of a classifier's search). */
export const REGRESSION_OPTIONS: readonly SearchableOption[] = ["loss", "targetTransform"];

/** "64,32 relu adam lr 0.001", the short form logs and the leaderboard use (`regression`: no hidden layer reads "linear"). */
export function describeOptions(o: TrainOptions, regression = false): string {
  const net = o.hidden.length === 0 ? (regression ? "linear" : "logistic") : `${o.hidden.join(",")} ${o.activation}`;
  const opt = `${o.optimizer}${o.optimizer !== "adam" && o.momentum > 0 ? ` m${o.momentum}` : ""} lr ${fmtNum(o.learningRate)}`;
  const reg = [o.l2 > 0 ? `l2 ${fmtNum(o.l2)}` : "", o.hidden.length > 0 && o.dropout > 0 ? `dropout ${o.dropout}` : "", o.classWeight === "balanced" ? "balanced" : "",
    o.loss === "huber" ? "huber" : "", o.targetTransform ? (o.targetTransform === "log1p" ? "log1p target" : "target as is") : ""].filter(Boolean);
  return [net, opt, `batch ${o.batchSize}`, ...reg].join(" · ");
}

function fmtNum(x: number): string {
  return x >= 0.01 ? String(Number(x.toPrecision(2))) : x.toExponential(1);
}
