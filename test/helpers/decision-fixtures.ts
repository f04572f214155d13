/**
 * Decision records for tests, made the way the edge's capture makes them:
 * real answers from the Worker in workerd (POST /predict), the instance as the
 * edge validated it (shared/validate.ts), written as gzip NDJSON objects under
 * the fixed layout (shared/decisions/record.ts) through the S3 API, as the
 * queue consumer writes them to R2.
 */
import { randomBytes } from "node:crypto";
import { gzipSync, gunzipSync } from "node:zlib";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { sha256Hex } from "../../shared/hash.ts";
import { decisionsKey, DECISION_FORMAT, recordId, type DecisionRecord, type Role } from "../../shared/decisions/record.ts";
import type { Prediction } from "../../shared/predict.ts";
import { withoutFeatureValues } from "../../edge/capture/redact.ts";
import { instanceSchema } from "../../shared/validate.ts";
import type { Artifact } from "../../train/store/package.ts";
import { createS3Client, type S3Target } from "../../train/store/storage.ts";
import type { TestWorker } from "./worker.ts";

export const PASS_THROUGH_KEY = "_key";

export interface Asked {
  /** When the answer was given (ISO); default now. */
  time?: string;
  role?: Role;
  /** "decisions": no feature values kept. */
  capture?: "decisions" | "full";
  /** ?explain=false: no reasons. */
  explain?: boolean;
  /** X-Request-Id sent (default: the edge makes one). */
  requestId?: string;
}

/** One request to the edge and the records capture would make of its answer. */
export async function recordsFromEdge(w: TestWorker, artifact: Artifact, instances: Record<string, unknown>[], o: Asked = {}): Promise<DecisionRecord[]> {
  const explain = o.explain ?? true;
  const res = await w.post(`/predict${explain ? "" : "?explain=false"}`, { instances }, o.requestId ? { "x-request-id": o.requestId } : {});
  if (res.status !== 200) throw new Error(`POST /predict answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { model: { name: string; version: string }; predictions: (Prediction & Record<string, unknown>)[] };
  if (body.model.version !== artifact.version) throw new Error(`the edge answered with ${body.model.version}, not ${artifact.version}`);
  const requestId = res.headers.get("x-request-id") ?? "";
  const captureId = randomBytes(12).toString("hex");
  const schema = instanceSchema(artifact.manifest.spec, { passThroughKey: PASS_THROUGH_KEY });
  const manifestSha256 = await sha256Hex(artifact.files.get("manifest.json") as Uint8Array);
  const role = o.role ?? "champion";
  return body.predictions.map((p, index) => {
    const { [PASS_THROUGH_KEY]: pass, ...answer } = p;
    const checked = schema.check(instances[index], index);
    if (!checked.ok) throw new Error(`instance ${index} did not validate`);
    const { [PASS_THROUGH_KEY]: _drop, ...features } = checked.row;
    return {
      format: DECISION_FORMAT, id: recordId(captureId, index, role), requestId, index, time: o.time ?? new Date().toISOString(),
      model: body.model.name, version: body.model.version, manifestSha256, role, caller: "key:test",
      passThrough: (pass as string | number | undefined) ?? null, topK: explain ? 4 : 0, capture: o.capture ?? "full",
      // As the edge keeps them: "decisions" keeps no feature value, in the features or in the answer (reasons' value null).
      ...((o.capture ?? "full") === "full" ? { features, answer: answer as unknown as Prediction } : { answer: withoutFeatureValues(answer as unknown as Prediction) }), latencyMs: 1.5,
    } satisfies DecisionRecord;
  });
}

/** Writes `records` as one gzip NDJSON object (the consumer's batch) under the hour of the first; returns its key. */
export async function putDecisions(s3: S3Target, records: DecisionRecord[], batchId = randomBytes(6).toString("hex")): Promise<string> {
  const first = records[0] as DecisionRecord;
  const key = decisionsKey(first.model, first.time, batchId);
  const client = createS3Client(s3);
  try {
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: gzipSync(records.map((r) => JSON.stringify(r)).join("\n") + "\n") }));
  } finally {
    client.destroy();
  }
  return key;
}

/** Reads an object back, lets `edit` change its records, and writes it again under the same key. */
export async function editDecisions(s3: S3Target, key: string, edit: (r: DecisionRecord[]) => DecisionRecord[]): Promise<void> {
  const client = createS3Client(s3);
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    const text = gunzipSync(await out.Body!.transformToByteArray()).toString("utf8");
    const records = text.trim().split("\n").map((l) => JSON.parse(l) as DecisionRecord);
    const edited = edit(records).map((r) => JSON.stringify(r)).join("\n") + "\n";
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: gzipSync(edited) }));
  } finally {
    client.destroy();
  }
}
