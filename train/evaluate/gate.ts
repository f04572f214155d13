/**
 * The "not worse than what is serving" gates: score the currently published
 * model on this run's own test rows (re-encoded with that model's own
 * preprocessing) and refuse to promote the new model if it is worse by more
 * than allowed: a classifier's AUC lower by more than --max-auc-drop, a
 * regression's RMSE higher by more than --max-rmse-increase (a share of the
 * serving model's RMSE). Compared on the same rows, or not at all.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { Row } from "../../shared/preprocess.ts";
import { scoreRows, type Scores } from "../../shared/predict.ts";
import { taskOf, type TaskKind } from "../../shared/task.ts";
import type { TestSample } from "../data/dataset.ts";
import { PublishError, type CurrentPointer } from "../store/publish.ts";
import { loadVersionScorer, readManifest, StoreError } from "../store/versions.ts";
import { rocAuc } from "./metrics.ts";
import { evaluateRegression } from "./regression.ts";

/**
 * The test rows the serving model is scored on, with their labels (or target
 * values) and the new model's AUC (classifier) or RMSE (regression) on exactly
 * these rows: every test row, or a uniform sample of them on large data
 * (train/data/dataset.ts MAX_KEPT_TEST_ROWS).
 */
export interface GateSample {
  rows: Row[];
  labels: Float32Array;
  newAuc?: number;
  newRmse?: number;
}

/** The gate's rows: the kept test rows, their labels, and the new model's AUC or RMSE on exactly them. */
export function gateSample(sample: TestSample, labels: Float32Array, answers: Scores, task: TaskKind): GateSample {
  const y = Float32Array.from(sample.positions, (p) => labels[p] as number);
  const a = Float64Array.from(sample.positions, (i) => answers[i] as number);
  return task === "classification"
    ? { rows: sample.rows, labels: y, newAuc: rocAuc(y, a) }
    : { rows: sample.rows, labels: y, newRmse: evaluateRegression(y, a).rmse };
}

export interface GateInput {
  rows: Row[];
  labels: Float32Array;
  newAuc: number;
  maxDrop: number;
}

export interface RmseGateInput {
  rows: Row[];
  labels: Float32Array;
  newRmse: number;
  /** Allowed increase as a share of the serving model's RMSE (0.05 = 5 %). */
  maxIncrease: number;
}

export interface GateResult { currentVersion?: string; currentAuc?: number; currentRmse?: number }

/** The serving version's answers on `rows`, or undefined when nothing is published; `flag` names the gate in messages. */
async function servingScores(client: S3Client, bucket: string, name: string, current: CurrentPointer, rows: Row[], task: TaskKind, flag: string): Promise<{ version: string; scores: Scores } | undefined> {
  const pointer = current.pointer;
  if (!pointer) return undefined; // nothing published yet: nothing to be worse than
  const l = { client, bucket, name };
  try {
    const m = await readManifest(l, pointer.version, pointer.manifestSha256);
    const serving = taskOf(m).kind;
    if (serving !== task) {
      throw new PublishError(`cannot compare with the current model ${pointer.version}: it is a ${serving} model and this one a ${task} model; drop ${flag} to publish anyway`);
    }
    const present = new Set(Object.keys(rows[0] ?? {}));
    const missing = m.spec.features.filter((f) => !present.has(f.name)).map((f) => f.name);
    if (missing.length) {
      throw new PublishError(`cannot compare with the current model ${pointer.version}: it uses ${missing.join(", ")}, which this data does not have; drop ${flag} to publish anyway`);
    }
    const loaded = await loadVersionScorer(l, pointer.version, pointer.manifestSha256);
    try {
      return { version: pointer.version, scores: scoreRows(loaded.scorer, rows) };
    } finally {
      loaded.dispose();
    }
  } catch (e) {
    if (e instanceof StoreError) throw new PublishError(`cannot compare with the current model: ${e.message}`);
    throw e;
  }
}

export async function checkNotWorse(client: S3Client, bucket: string, name: string, current: CurrentPointer, g: GateInput): Promise<GateResult> {
  const serving = await servingScores(client, bucket, name, current, g.rows, "classification", "--max-auc-drop");
  if (!serving) return {};
  const currentAuc = rocAuc(g.labels, serving.scores);
  if (g.newAuc < currentAuc - g.maxDrop) {
    throw new PublishError(
      `the new model's test AUC ${g.newAuc.toFixed(4)} is below the current model's (${serving.version}) ${currentAuc.toFixed(4)} on the same ${g.rows.length} test rows, by more than --max-auc-drop ${g.maxDrop}; not publishing`,
    );
  }
  return { currentVersion: serving.version, currentAuc };
}

export async function checkRmseNotWorse(client: S3Client, bucket: string, name: string, current: CurrentPointer, g: RmseGateInput): Promise<GateResult> {
  const serving = await servingScores(client, bucket, name, current, g.rows, "regression", "--max-rmse-increase");
  if (!serving) return {};
  const currentRmse = evaluateRegression(g.labels, serving.scores).rmse;
  if (g.newRmse > currentRmse * (1 + g.maxIncrease)) {
    throw new PublishError(
      `the new model's test RMSE ${g.newRmse.toPrecision(6)} is above the current model's (${serving.version}) ${currentRmse.toPrecision(6)} on the same ${g.rows.length} test rows, by more than --max-rmse-increase ${g.maxIncrease} (${(g.maxIncrease * 100).toFixed(1)} %); not publishing`,
    );
  }
  return { currentVersion: serving.version, currentRmse };
}
