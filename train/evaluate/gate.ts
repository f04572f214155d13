/**
 * The "not worse than what is serving" gate: scores the currently published
 * model on this run's own test rows (re-encoded with that model's own
 * preprocessing) and refuses to promote the new model if its AUC is lower by
 * more than the allowed drop. Compared on the same rows, or not at all.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { Row } from "../../shared/preprocess.ts";
import { scoreRows } from "../../shared/predict.ts";
import { PublishError, type CurrentPointer } from "../store/publish.ts";
import { loadVersionScorer, readManifest, StoreError } from "../store/versions.ts";
import { rocAuc } from "./metrics.ts";

/**
 * The test rows the serving model is scored on, with their labels and the new
 * model's AUC on exactly these rows: every test row, or a uniform sample of
 * them on large data (train/data/dataset.ts MAX_KEPT_TEST_ROWS).
 */
export interface GateSample {
  rows: Row[];
  labels: Float32Array;
  newAuc: number;
}

export interface GateInput extends GateSample {
  maxDrop: number;
}

export interface GateResult { currentVersion?: string; currentAuc?: number }

export async function checkNotWorse(client: S3Client, bucket: string, name: string, current: CurrentPointer, g: GateInput): Promise<GateResult> {
  const pointer = current.pointer;
  if (!pointer) return {}; // nothing published yet: nothing to be worse than
  const l = { client, bucket, name };
  let scores: Float32Array;
  try {
    const m = await readManifest(l, pointer.version, pointer.manifestSha256);
    const present = new Set(Object.keys(g.rows[0] ?? {}));
    const missing = m.spec.features.filter((f) => !present.has(f.name)).map((f) => f.name);
    if (missing.length) {
      throw new PublishError(`cannot compare with the current model ${pointer.version}: it uses ${missing.join(", ")}, which this data does not have; drop --max-auc-drop to publish anyway`);
    }
    const loaded = await loadVersionScorer(l, pointer.version, pointer.manifestSha256);
    try {
      scores = scoreRows(loaded.scorer, g.rows);
    } finally {
      loaded.dispose();
    }
  } catch (e) {
    if (e instanceof StoreError) throw new PublishError(`cannot compare with the current model: ${e.message}`);
    throw e;
  }
  const currentAuc = rocAuc(g.labels, scores);
  if (g.newAuc < currentAuc - g.maxDrop) {
    throw new PublishError(
      `the new model's test AUC ${g.newAuc.toFixed(4)} is below the current model's (${pointer.version}) ${currentAuc.toFixed(4)} on the same ${g.rows.length} test rows, by more than --max-auc-drop ${g.maxDrop}; not publishing`,
    );
  }
  return { currentVersion: pointer.version, currentAuc };
}
