/**
 * The model card stored in the manifest (and served at GET /models/:name):
 * where the data came from, how the model was built and fitted, how it
 * scores on the test split beside the base rate, and what compression and
 * tuning did to it. Plain JSON; the edge only passes it through.
 */
import * as tf from "@tensorflow/tfjs-core";
import { outputColumns } from "../shared/preprocess.ts";
import { redactUrlCredentials } from "../shared/redact.ts";
import type { FeatureSpec } from "../shared/spec.ts";
import type { Dataset } from "./data/dataset.ts";
import type { DataOptions } from "./data/prepare.ts";
import type { DataProfile } from "./data/profile.ts";
import { scoreDeciles, type Evaluation } from "./evaluate/metrics.ts";
import { parameterCount, type Head } from "./fit/architecture.ts";
import type { TrainBackend } from "./fit/backend.ts";
import type { Trained } from "./fit/loop.ts";
import type { TrainOptions } from "./fit/options.ts";
import { resolveRevision } from "./registry/provenance.ts";
import { plotVersion } from "./report/kit/index.ts";
import type { ModelCard } from "./report/model/card.ts";

const round = (x: number) => Math.round(x * 1e6) / 1e6;

export interface CardInput {
  o: DataOptions;
  spec: FeatureSpec;
  profile: DataProfile;
  ignored: string[];
  /** Warnings raised while reading the data. */
  warnings: string[];
  data: Dataset;
  baseRate: number;
  test: Evaluation;
  baseline: Evaluation;
  scores: Float32Array;
  validationScores?: Float32Array;
  trained: Trained;
  train: TrainOptions;
  /** Hidden sizes of the network as served (after pruning). */
  servedHidden: number[];
  head: Head;
  backend: TrainBackend;
  fitSeconds: number;
  /** What pruning and quantization did, measured (absent when off). */
  compression?: Record<string, unknown>;
  /** The search that chose `train` (absent without --tune / --params). */
  tuning?: Record<string, unknown>;
  /** The code that trains; by default EDGESCORE_REVISION or the git commit (registry/provenance.ts). */
  codeRevision?: string;
}

export function modelCard(c: CardInput): ModelCard {
  const { spec, profile, data, trained, o } = c;
  const best = trained.history[trained.bestEpoch - 1];
  const hidden = c.servedHidden;
  return {
    description: `Probability that an applicant's "${spec.target}" is "${spec.positive}".`,
    data: {
      source: redactUrlCredentials(profile.source), sha256: profile.sha256, bytes: profile.bytes, rows: profile.rows,
      used: { train: data.train.n, validation: data.validation.n, test: data.test.n },
      skipped: data.skipped.toJSON(), ignoredColumns: c.ignored, warnings: c.warnings,
      split: o.test ? `test file ${o.test}` : o.testRows ? `fixed test rows from ${o.testRows}` : `stratified random, seed ${o.seed}`,
      baseRate: round(c.baseRate),
      profile: Object.fromEntries(spec.features.map((f) => {
        const col = profile.columns.find((x) => x.name === f.name);
        return [f.name, f.type === "numeric"
          ? { min: col?.min, max: col?.max, missing: col?.missing }
          : { counts: Object.fromEntries(col?.values ?? []), missing: col?.missing }];
      })),
    },
    metrics: {
      test: c.test, baseRate: c.baseline,
      validation: best?.valLoss === undefined ? null : { auc: round(best.valAuc ?? NaN), logLoss: round(best.valLoss) },
    },
    scoreDeciles: { test: scoreDeciles(c.scores), ...(c.validationScores ? { validation: scoreDeciles(c.validationScores) } : {}) },
    model: {
      kind: hidden.length === 0 ? "logistic regression" : "neural network",
      layers: [...hidden.map((units) => `Dense(${units}, ${c.train.activation})`), `Dense(1, ${c.head.activation})`],
      parameters: parameterCount(data.state.width, hidden),
    },
    training: {
      backend: c.backend, strictRanges: o.strictRanges ?? false, seconds: round(c.fitSeconds), epochsRun: trained.history.length, bestEpoch: trained.bestEpoch, stoppedEarly: trained.stoppedEarly,
      hyperparameters: { ...c.train, loss: c.head.loss, scaler: o.scaler, validationShare: o.validationShare },
      inputColumns: outputColumns(data.state),
      curves: {
        loss: trained.history.map((h) => round(h.loss)),
        trainAuc: trained.history.map((h) => round(h.trainAuc ?? NaN)),
        ...(best?.valLoss === undefined ? {} : {
          valLoss: trained.history.map((h) => round(h.valLoss ?? NaN)),
          valAuc: trained.history.map((h) => round(h.valAuc ?? NaN)),
        }),
      },
      ...(c.compression ? { compression: c.compression } : {}),
      ...(c.tuning ? { tuning: c.tuning } : {}),
    },
    // The trainer's code revision, for the card and the audit log (EDGESCORE_REVISION or git; null when unknown).
    code: { revision: c.codeRevision ?? resolveRevision() },
    libraries: { "@tensorflow/tfjs-core": tf.version_core, "@observablehq/plot": plotVersion(), node: process.versions.node },
  };
}
