/**
 * The network: a stack of Dense layers on the encoded row, then the output
 * head. Only Dense layers go into the saved topology (dropout is applied by the
 * training loop, not stored), so the edge's Dense shortcut for reason codes
 * and its small CPU kernel set serve every model built here.
 *
 * The head (output activation, loss, what a training label is and how an
 * epoch is judged) is the one place that says which task the network learns:
 * binary classification (sigmoid, cross-entropy) or regression (linear, mean
 * squared error on the standardized target). Another task swaps the head, not
 * the builder, the loop, pruning or the tuner.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { regressionValue, transformTarget, type RegressionTarget, type TargetTransform } from "../../shared/task.ts";
import { logLoss, rocAuc } from "../evaluate/metrics.ts";
import { smearingFactor } from "./target.ts";
import type { ModelOptions, RegressionLoss } from "./options.ts";

/** What a head is, as data: crosses to worker threads and into the card. */
export type HeadSpec = { kind: "binary" } | { kind: "regression"; target: RegressionTarget; alternatives?: Partial<Record<TargetTransform, RegressionTarget>> };

/** One epoch judged on labelled rows: the loss early stopping watches, and the task's metrics. */
export interface EpochScore {
  loss: number;
  /** Classification: ROC AUC (NaN with one class). */
  auc?: number;
  /** Regression, on the target's own scale: R² and RMSE. */
  r2?: number;
  rmse?: number;
}

export interface Head {
  spec: HeadSpec;
  /** Activation of the single output unit. */
  activation: "sigmoid" | "linear";
  /** Name stored in the model card. */
  loss: string;
  /** Mean loss over a batch; `weights` (one per row) scale each row's share. */
  lossFn(labels: tf.Tensor, predictions: tf.Tensor, weights?: tf.Tensor): tf.Scalar;
  /** The network's training label for a stored one (`Matrix.y`); undefined: the label itself. */
  encode?: (y: number) => number;
  /** Stored labels beside network outputs. */
  score(y: Float32Array, out: Float32Array): EpochScore;
}

function aucOrNaN(y: Float32Array, p: Float32Array): number {
  try {
    return rocAuc(y, p);
  } catch {
    return NaN;
  }
}

/** Probability of the positive class, trained with (weighted) binary cross-entropy. */
export const binaryHead: Head = {
  spec: { kind: "binary" },
  activation: "sigmoid",
  loss: "binary cross-entropy",
  lossFn: (labels, predictions, weights) => tf.losses.logLoss(labels, predictions, weights) as tf.Scalar,
  score: (y, p) => ({ loss: logLoss(y, p), auc: aucOrNaN(y, p) }),
};

/**
 * The target's value, standardized on the transformed scale (shared/task.ts),
 * trained with mean squared error: an unscaled target of a few hundred units
 * makes the first gradients huge and the fit diverge or stall. Epochs are
 * judged on the target's own scale (R², RMSE), with the smearing factor
 * estimated on the same rows as the trained model will have it.
 */
export function regressionHead(target: RegressionTarget): Head {
  const encode = (y: number) => (transformTarget(target.transform, y) - target.mean) / target.std;
  return {
    spec: { kind: "regression", target },
    activation: "linear",
    loss: "mean squared error",
    lossFn: (labels, predictions, weights) => tf.losses.meanSquaredError(labels, predictions, weights) as tf.Scalar,
    encode,
    score(y, out) {
      const n = y.length;
      const fitted = { ...target, smearing: smearingFactor(target, y, out) };
      let mse = 0;
      let mean = 0;
      for (let i = 0; i < n; i++) { const d = encode(y[i]!) - out[i]!; mse += d * d; mean += y[i]!; }
      mean /= n;
      let sse = 0;
      let sst = 0;
      for (let i = 0; i < n; i++) { sse += (y[i]! - regressionValue(fitted, out[i]!)) ** 2; sst += (y[i]! - mean) ** 2; }
      return { loss: mse / n, r2: sst > 0 ? 1 - sse / sst : NaN, rmse: Math.sqrt(sse / n) };
    },
  };
}

/**
 * A regression head trained with another loss (Huber: squared near 0, linear
 * beyond δ = 1 standard deviation, so a heavy tail pulls the fit less).
 * Epochs are still judged by the head's MSE and RMSE. A classifier has one loss.
 */
export function headWithLoss(head: Head, loss: RegressionLoss | undefined): Head {
  if (loss === undefined || loss === "mse") return head;
  if (head.spec.kind !== "regression") throw new Error(`the ${loss} loss applies to a regression target; a classifier trains on cross-entropy`);
  return { ...head, loss: "Huber (δ = 1, standardized target)", lossFn: (labels, predictions, weights) => tf.losses.huberLoss(labels, predictions, weights, 1) as tf.Scalar };
}

export function headFor(spec: HeadSpec, transform?: TargetTransform): Head {
  if (spec.kind === "binary") return binaryHead;
  const target = transform ? spec.alternatives?.[transform] : undefined;
  if (transform && !target) throw new Error(`the target transform ${transform} was not fitted for this search (a log1p target needs values ≥ 0)`);
  return regressionHead(target ?? spec.target);
}

/** Dense(hidden…, activation) → Dense(1, head.activation). Glorot-uniform initialisation, seeded per layer. */
export function buildModel(inputWidth: number, o: ModelOptions & { seed: number }, head: Head = binaryHead): tfl.Sequential {
  const model = tfl.sequential();
  const sizes = [...o.hidden, 1];
  sizes.forEach((units, i) => {
    const output = i === sizes.length - 1;
    model.add(tfl.layers.dense({
      units,
      activation: output ? head.activation : o.activation,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: o.seed + i }),
      ...(i === 0 ? { inputShape: [inputWidth] } : {}),
    }));
  });
  return model;
}

/** Weights (kernels + biases) of the network, the size of weights.bin in float32 / 4. */
export function parameterCount(inputWidth: number, hidden: number[]): number {
  let n = 0;
  let inputs = inputWidth;
  for (const units of [...hidden, 1]) { n += inputs * units + units; inputs = units; }
  return n;
}

/** The hidden sizes of a built (or loaded) Dense stack, output layer excluded. */
export function hiddenSizes(model: tfl.LayersModel): number[] {
  return model.layers.slice(0, -1).map((l) => (l.getConfig() as { units: number }).units);
}
