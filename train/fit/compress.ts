/**
 * Making a trained network smaller, measured: structured pruning with
 * fine-tuning, then weight quantization. Each step reports the test metric
 * (a classifier's AUC, a regression's R²) before and after (a measurement for
 * the card; nothing is chosen by it) and the sizes.
 * The network returned is exactly what the edge will load: after
 * quantization it is rebuilt from the stored bytes, so the training side
 * scores with the dequantized weights, as the edge does.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { networkFromFiles } from "../../shared/network.ts";
import type { Matrix } from "../data/dataset.ts";
import { rocAuc } from "../evaluate/metrics.ts";
import { serializeModel, type ModelFiles } from "../store/package.ts";
import type { WeightDtype } from "../store/quantize.ts";
import { binaryHead, hiddenSizes, type Head } from "./architecture.ts";
import { predictProba, trainModel, type EpochLog } from "./loop.ts";
import type { TrainOptions } from "./options.ts";
import { pruneUnits } from "./prune.ts";

export interface PruneRequest {
  /** Share of each hidden layer's units to remove (0 < s < 1). */
  sparsity: number;
  /**
   * Training epochs after pruning (early stopping as in training when there is a validation split);
   * default: a quarter of the epochs the network was trained for, at least 2.
   */
  fineTuneEpochs?: number;
}

export interface CompressInput {
  model: tfl.LayersModel;
  options: TrainOptions;
  train: Matrix;
  validation?: Matrix;
  test: Matrix;
  prune?: PruneRequest;
  quantize?: WeightDtype;
  onEpoch?: (log: EpochLog) => void;
  log: (line: string) => void;
  /** The network's head (default: binary classification); pruning rebuilds and fine-tunes with it. */
  head?: Head;
}

export interface Compressed {
  /** The network to evaluate and serve (the input model is disposed if it was replaced). */
  model: tfl.LayersModel;
  files: ModelFiles;
  hidden: number[];
  report?: Record<string, unknown>;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** The test metric compression reports: a classifier's AUC, a regression's R² (its smearing fitted on the same rows). */
function testMetric(head: Head, test: Matrix): { name: string; key: "testAuc" | "testR2"; of: (m: tfl.LayersModel) => number } {
  if (head.spec.kind === "binary") return { name: "AUC", key: "testAuc", of: (m) => rocAuc(test.y, predictProba(m, test)) };
  return { name: "R²", key: "testR2", of: (m) => head.score(test.y, predictProba(m, test)).r2 ?? NaN };
}

export async function compress(c: CompressInput): Promise<Compressed> {
  let model = c.model;
  const head = c.head ?? binaryHead;
  const metric = testMetric(head, c.test);
  const report: Record<string, unknown> = {};
  if (c.prune && hiddenSizes(model).length === 0) c.log(`--prune: a ${head.spec.kind === "binary" ? "logistic" : "linear"} regression has no hidden units to remove; nothing pruned`);
  else if (c.prune) {
    const hiddenBefore = hiddenSizes(model);
    const before = metric.of(model);
    const cut = pruneUnits(model, c.prune.sparsity, c.options, head);
    const afterCut = metric.of(cut.model);
    const epochs = c.prune.fineTuneEpochs ?? Math.max(2, Math.round(c.options.epochs / 4));
    const fine = await trainModel(c.train, c.validation, { ...c.options, hidden: cut.hidden, epochs }, c.onEpoch, cut.model, head);
    cut.model.dispose();
    model.dispose();
    model = fine.model;
    const after = metric.of(model);
    c.log(`pruned hidden units ${hiddenBefore.join(",")} → ${cut.hidden.join(",")}: test ${metric.name} ${before.toFixed(4)} before, ${afterCut.toFixed(4)} right after the cut, ${after.toFixed(4)} after ${fine.history.length} fine-tuning epochs`);
    report.prune = {
      sparsity: c.prune.sparsity, structured: true, hiddenBefore, hiddenAfter: cut.hidden,
      fineTuneEpochs: { allowed: epochs, run: fine.history.length, best: fine.bestEpoch },
      [metric.key]: { before: round(before), afterCut: round(afterCut), afterFineTuning: round(after) },
    };
  }
  const hidden = hiddenSizes(model);
  if (!c.quantize) return { model, files: await serializeModel(model), hidden, ...(c.prune ? { report } : {}) };

  const float = await serializeModel(model);
  const files = await serializeModel(model, c.quantize);
  const served = await networkFromFiles(files.modelJson, files.weights);
  const floatScore = metric.of(model);
  const quantizedScore = metric.of(served);
  model.dispose();
  const ratio = float.weights.byteLength / files.weights.byteLength;
  c.log(`quantized weights to ${c.quantize}: weights.bin ${float.weights.byteLength} → ${files.weights.byteLength} bytes (${ratio.toFixed(2)}× smaller); test ${metric.name} ${floatScore.toFixed(4)} → ${quantizedScore.toFixed(4)}`);
  report.quantization = {
    dtype: c.quantize, weightsBytes: { float32: float.weights.byteLength, quantized: files.weights.byteLength },
    [metric.key]: { float32: round(floatScore), quantized: round(quantizedScore) },
  };
  return { model: served, files, hidden, report };
}
