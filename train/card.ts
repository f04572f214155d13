/**
 * The model card stored in the manifest (and served at GET /models/:name):
 * where the data came from, how the model was built and fitted, how it
 * scores on the test split beside the constant baseline (a classifier's base
 * rate, a regression's training mean), a regression's prediction intervals,
 * and what compression and tuning did to it. Plain JSON; the edge only
 * passes it through.
 */
import * as tf from "@tensorflow/tfjs-core";
import { outputColumns } from "../shared/preprocess.ts";
import { redactUrlCredentials } from "../shared/redact.ts";
import { labelsOf, type FeatureSpec } from "../shared/spec.ts";
import type { RegressionTask } from "../shared/task.ts";
import type { Dataset } from "./data/dataset.ts";
import type { DataOptions } from "./data/prepare.ts";
import type { DataProfile } from "./data/profile.ts";
import { describePeriods, type Periods } from "./data/split.ts";
import type { CoverageBin } from "./evaluate/conformal.ts";
import { scoreDeciles, type Evaluation } from "./evaluate/metrics.ts";
import type { RegressionEvaluation } from "./evaluate/regression.ts";
import { parameterCount, type Head } from "./fit/architecture.ts";
import type { TrainBackend } from "./fit/backend.ts";
import type { Trained } from "./fit/loop.ts";
import type { TrainOptions } from "./fit/options.ts";
import { resolveRevision } from "./registry/provenance.ts";
import { plotVersion } from "./report/kit/index.ts";
import type { CardBase, ModelCard, RegressionCard } from "./report/model/card.ts";

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** What every card is made from, whatever the task. */
export interface BaseCardInput {
  o: DataOptions;
  spec: FeatureSpec;
  profile: DataProfile;
  ignored: string[];
  /** Near-constant columns left out, and protected columns (measured by group, never features). */
  constant: string[];
  protected: string[];
  /** Warnings raised while reading the data. */
  warnings: string[];
  data: Dataset;
  trained: Trained;
  train: TrainOptions;
  /** Hidden sizes of the network as served (after pruning). */
  servedHidden: number[];
  head: Head;
  backend: TrainBackend;
  fitSeconds: number;
  /** An out-of-time split's periods. */
  periods?: Periods;
  /** What pruning and quantization did, measured (absent when off). */
  compression?: Record<string, unknown>;
  /** The search that chose `train` (absent without --tune / --params). */
  tuning?: Record<string, unknown>;
  /** The code that trains; by default EDGESCORE_REVISION or the git commit (registry/provenance.ts). */
  codeRevision?: string;
}

export interface CardInput extends BaseCardInput {
  baseRate: number;
  test: Evaluation;
  baseline: Evaluation;
  scores: Float32Array;
  validationScores?: Float32Array;
}

export interface RegressionCardInput extends BaseCardInput {
  task: RegressionTask;
  targetReason: string;
  test: RegressionEvaluation;
  baseline: RegressionEvaluation;
  /** The training rows' mean target (the baseline's constant). */
  targetMean: number;
  /** Test-split predicted values, and the interval's coverage there. */
  values: Float64Array;
  validationValues?: Float64Array;
  interval: { calibrationRows: number; coverage: number; meanWidth: number; medianWidth: number; byDecile: CoverageBin[] };
}

function splitText(c: BaseCardInput): string {
  const o = c.o;
  if (c.periods) return describePeriods(c.periods);
  if (o.test) return `test file ${o.test}`;
  if (o.testRows) return `fixed test rows from ${o.testRows}`;
  return c.spec.positive === undefined ? `random, seed ${o.seed}` : `stratified random, seed ${o.seed}`;
}

/** The parts every card has: data, network, training (curves named after the task's metric), code, libraries. */
function cardBase(c: BaseCardInput, description: string): CardBase {
  const { spec, profile, data, trained, o } = c;
  const hidden = c.servedHidden;
  const regression = c.head.spec.kind === "regression";
  const validated = trained.history[trained.bestEpoch - 1]?.valLoss !== undefined;
  const curve = (pick: (h: Trained["history"][number]) => number | undefined) => trained.history.map((h) => round(pick(h) ?? NaN));
  return {
    description,
    data: {
      source: redactUrlCredentials(profile.source), sha256: profile.sha256, bytes: profile.bytes, rows: profile.rows,
      used: { train: data.train.n, validation: data.validation.n, test: data.test.n },
      skipped: data.skipped.toJSON(), ignoredColumns: c.ignored, constantColumns: c.constant, protectedColumns: c.protected, warnings: c.warnings,
      split: splitText(c),
      ...(c.periods ? { periods: c.periods } : {}),
      profile: Object.fromEntries(spec.features.map((f) => {
        const col = profile.columns.find((x) => x.name === f.name);
        return [f.name, f.type === "numeric"
          ? { min: col?.min, max: col?.max, missing: col?.missing }
          : { counts: Object.fromEntries(col?.values ?? []), missing: col?.missing }];
      })),
    },
    model: {
      kind: hidden.length === 0 ? (regression ? "linear regression" : "logistic regression") : "neural network",
      layers: [...hidden.map((units) => `Dense(${units}, ${c.train.activation})`), `Dense(1, ${c.head.activation})`],
      parameters: parameterCount(data.state.width, hidden),
    },
    training: {
      backend: c.backend, engine: trained.engine, strictRanges: o.strictRanges ?? false, seconds: round(c.fitSeconds), epochsRun: trained.history.length, bestEpoch: trained.bestEpoch, stoppedEarly: trained.stoppedEarly,
      hyperparameters: { ...c.train, loss: c.head.loss, scaler: o.scaler, validationShare: o.validationShare },
      inputColumns: outputColumns(data.state),
      curves: regression
        ? { loss: curve((h) => h.loss), trainR2: curve((h) => h.trainR2), ...(validated ? { valLoss: curve((h) => h.valLoss), valR2: curve((h) => h.valR2) } : {}) }
        : { loss: curve((h) => h.loss), trainAuc: curve((h) => h.trainAuc), ...(validated ? { valLoss: curve((h) => h.valLoss), valAuc: curve((h) => h.valAuc) } : {}) },
      ...(c.compression ? { compression: c.compression } : {}),
      ...(c.tuning ? { tuning: c.tuning } : {}),
    },
    // The trainer's code revision, for the card and the audit log (EDGESCORE_REVISION or git; null when unknown).
    code: { revision: c.codeRevision ?? resolveRevision() },
    libraries: { "@tensorflow/tfjs-core": tf.version_core, "@observablehq/plot": plotVersion(), node: process.versions.node },
  };
}

export function modelCard(c: CardInput): ModelCard {
  const best = c.trained.history[c.trained.bestEpoch - 1];
  const base = cardBase(c, `Probability that an applicant's "${c.spec.target}" is "${labelsOf(c.spec).positive}".`);
  return {
    ...base,
    data: { ...base.data, baseRate: round(c.baseRate) },
    metrics: {
      test: c.test, baseRate: c.baseline,
      validation: best?.valLoss === undefined ? null : { auc: round(best.valAuc ?? NaN), logLoss: round(best.valLoss) },
    },
    scoreDeciles: { test: scoreDeciles(c.scores), ...(c.validationScores ? { validation: scoreDeciles(c.validationScores) } : {}) },
  };
}

export function regressionCard(c: RegressionCardInput): RegressionCard {
  const best = c.trained.history[c.trained.bestEpoch - 1];
  const { target, interval } = c.task;
  const level = `${Math.round(interval.level * 1000) / 10} %`;
  const base = cardBase(c, `Estimated "${c.spec.target}" in its own units, with a ${level} prediction interval.`);
  return {
    ...base,
    task: "regression",
    data: { ...base.data, targetMean: c.targetMean },
    target: { column: c.spec.target, transform: target.transform, transformReason: c.targetReason, mean: target.mean, std: target.std, smearing: target.smearing },
    metrics: {
      test: c.test, baseline: c.baseline,
      validation: best?.valLoss === undefined ? null : { r2: round(best.valR2 ?? NaN), rmse: round(best.valRmse ?? NaN), loss: round(best.valLoss) },
    },
    interval: {
      method: "split conformal: the conformal quantile of |t(y) − t(ŷ)| on the validation split, t the target transform",
      level: interval.level, halfWidth: interval.halfWidth, scale: target.transform === "none" ? `"${c.spec.target}" units` : `${target.transform}("${c.spec.target}")`,
      calibrationRows: c.interval.calibrationRows,
      test: { coverage: c.interval.coverage, meanWidth: c.interval.meanWidth, medianWidth: c.interval.medianWidth, byDecile: c.interval.byDecile },
    },
    scoreDeciles: { test: scoreDeciles(c.values), ...(c.validationValues ? { validation: scoreDeciles(c.validationValues) } : {}) },
  };
}
