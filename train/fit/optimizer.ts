/** The optimizers `--optimizer` names, with tfjs's defaults otherwise. */
import * as tf from "@tensorflow/tfjs-core";
import type { FitOptions } from "./options.ts";

export function makeOptimizer(o: Pick<FitOptions, "optimizer" | "learningRate" | "momentum">): tf.Optimizer {
  switch (o.optimizer) {
    case "adam":
      return tf.train.adam(o.learningRate);
    case "sgd":
      return o.momentum > 0 ? tf.train.momentum(o.learningRate, o.momentum) : tf.train.sgd(o.learningRate);
    case "rmsprop":
      return tf.train.rmsprop(o.learningRate, 0.9, o.momentum);
  }
}
