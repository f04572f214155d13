/**
 * Making a trained network smaller, measured: structured pruning with
 * fine-tuning, then weight quantization. Each step reports test AUC before and
 * after (a measurement for the card; nothing is chosen by it) and the sizes.
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
import { hiddenSizes } from "./architecture.ts";
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
}

export interface Compressed {
  /** The network to evaluate and serve (the input model is disposed if it was replaced). */
  model: tfl.LayersModel;
  files: ModelFiles;
  hidden: number[];
  report?: Record<string, unknown>;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

export async function compress(c: CompressInput): Promise<Compressed> {
  let model = c.model;
  const report: Record<string, unknown> = {};
  if (c.prune && hiddenSizes(model).length === 0) c.log("--prune: a logistic regression has no hidden units to remove; nothing pruned");
  else if (c.prune) {
    const hiddenBefore = hiddenSizes(model);
    const aucBefore = rocAuc(c.test.y, predictProba(model, c.test));
    const cut = pruneUnits(model, c.prune.sparsity, c.options);
    const aucCut = rocAuc(c.test.y, predictProba(cut.model, c.test));
    const epochs = c.prune.fineTuneEpochs ?? Math.max(2, Math.round(c.options.epochs / 4));
    const fine = await trainModel(c.train, c.validation, { ...c.options, hidden: cut.hidden, epochs }, c.onEpoch, cut.model);
    cut.model.dispose();
    model.dispose();
    model = fine.model;
    const aucAfter = rocAuc(c.test.y, predictProba(model, c.test));
    c.log(`pruned hidden units ${hiddenBefore.join(",")} → ${cut.hidden.join(",")}: test AUC ${aucBefore.toFixed(4)} before, ${aucCut.toFixed(4)} right after the cut, ${aucAfter.toFixed(4)} after ${fine.history.length} fine-tuning epochs`);
    report.prune = {
      sparsity: c.prune.sparsity, structured: true, hiddenBefore, hiddenAfter: cut.hidden,
      fineTuneEpochs: { allowed: epochs, run: fine.history.length, best: fine.bestEpoch },
      testAuc: { before: round(aucBefore), afterCut: round(aucCut), afterFineTuning: round(aucAfter) },
    };
  }
  const hidden = hiddenSizes(model);
  if (!c.quantize) return { model, files: await serializeModel(model), hidden, ...(c.prune ? { report } : {}) };

  const float = await serializeModel(model);
  const files = await serializeModel(model, c.quantize);
  const served = await networkFromFiles(files.modelJson, files.weights);
  const aucFloat = rocAuc(c.test.y, predictProba(model, c.test));
  const aucQuantized = rocAuc(c.test.y, predictProba(served, c.test));
  model.dispose();
  const ratio = float.weights.byteLength / files.weights.byteLength;
  c.log(`quantized weights to ${c.quantize}: weights.bin ${float.weights.byteLength} → ${files.weights.byteLength} bytes (${ratio.toFixed(2)}× smaller); test AUC ${aucFloat.toFixed(4)} → ${aucQuantized.toFixed(4)}`);
  report.quantization = {
    dtype: c.quantize, weightsBytes: { float32: float.weights.byteLength, quantized: files.weights.byteLength },
    testAuc: { float32: round(aucFloat), quantized: round(aucQuantized) },
  };
  return { model: served, files, hidden, report };
}
