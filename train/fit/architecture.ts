/**
 * The network: a stack of Dense layers on the encoded row, then the output
 * head. Only Dense layers go into the saved topology (dropout is applied by the
 * training loop, not stored), so the edge's Dense shortcut for reason codes
 * and its small CPU kernel set serve every model built here.
 *
 * The head (output activation + loss) is the one place that says "binary
 * classification"; another task swaps the head, not the builder.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { ModelOptions } from "./options.ts";

export interface Head {
  /** Activation of the single output unit. */
  activation: "sigmoid" | "linear";
  /** Name stored in the model card. */
  loss: string;
  /** Mean loss over a batch; `weights` (one per row) scale each row's share. */
  lossFn(labels: tf.Tensor, predictions: tf.Tensor, weights?: tf.Tensor): tf.Scalar;
}

/** Probability of the positive class, trained with (weighted) binary cross-entropy. */
export const binaryHead: Head = {
  activation: "sigmoid",
  loss: "binary cross-entropy",
  lossFn: (labels, predictions, weights) => tf.losses.logLoss(labels, predictions, weights) as tf.Scalar,
};

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
