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
import { PublishError, type CurrentPointer } from "../store/publish.ts";
import { loadVersionScorer, readManifest, StoreError } from "../store/versions.ts";
import { rocAuc } from "./metrics.ts";
import { evaluateRegression } from "./regression.ts";

export interface GateInput {
  newAuc: number;
  testRows: Row[];
  testLabels: Float32Array;
  maxDrop: number;
}

export interface RmseGateInput {
  newRmse: number;
  testRows: Row[];
  testLabels: Float32Array;
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
  const serving = await servingScores(client, bucket, name, current, g.testRows, "classification", "--max-auc-drop");
  if (!serving) return {};
  const currentAuc = rocAuc(g.testLabels, serving.scores);
  if (g.newAuc < currentAuc - g.maxDrop) {
    throw new PublishError(
      `the new model's test AUC ${g.newAuc.toFixed(4)} is below the current model's (${serving.version}) ${currentAuc.toFixed(4)} on the same ${g.testRows.length} test rows, by more than --max-auc-drop ${g.maxDrop}; not publishing`,
    );
  }
  return { currentVersion: serving.version, currentAuc };
}

export async function checkRmseNotWorse(client: S3Client, bucket: string, name: string, current: CurrentPointer, g: RmseGateInput): Promise<GateResult> {
  const serving = await servingScores(client, bucket, name, current, g.testRows, "regression", "--max-rmse-increase");
  if (!serving) return {};
  const currentRmse = evaluateRegression(g.testLabels, serving.scores).rmse;
  if (g.newRmse > currentRmse * (1 + g.maxIncrease)) {
    throw new PublishError(
      `the new model's test RMSE ${g.newRmse.toPrecision(6)} is above the current model's (${serving.version}) ${currentRmse.toPrecision(6)} on the same ${g.testRows.length} test rows, by more than --max-rmse-increase ${g.maxIncrease} (${(g.maxIncrease * 100).toFixed(1)} %); not publishing`,
    );
  }
  return { currentVersion: serving.version, currentRmse };
}
