/**
 * Publishing through the S3 API (SigV4, conditional writes) to Miniflare's R2
 * S3 endpoint, read back through the Worker's R2 binding.
 */
import { readFileSync } from "node:fs";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys, parseManifest, parsePointer } from "../shared/artifact.ts";
import { sha256Hex } from "../shared/hash.ts";
import { publishTo, runJob } from "../train/job.ts";
import { RegistryError } from "../train/registry/errors.ts";
import { readPointerState } from "../train/registry/history.ts";
import { publishArtifact } from "../train/registry/publish.ts";
import { writeVersionObjects } from "../train/store/publish.ts";
import { createS3Client } from "../train/store/storage.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { quickJob } from "./helpers/train-fixture.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

describe("publishing a trained model to R2 through the S3 API", () => {
  let w: TestWorker;
  beforeAll(async () => { w = await startWorker(); });
  afterAll(async () => { await w.dispose(); });

  async function pointerVersion(): Promise<string | undefined> {
    const obj = await (await w.bucket()).get("credit-risk/current.json");
    if (!obj) return undefined;
    const p = parsePointer(await obj.text());
    return p.ok ? p.value.version : `malformed: ${p.error}`;
  }

  it("trains on the bundled data, publishes, and every object reads back through the binding with the manifest's sha256", async () => {
    const result = await runJob(quickJob({ train: { ...quickJob().train, epochs: 2 } }), { log: () => {} });
    const artifact = result.artifact!;
    const res = await publishTo(w.s3, artifact);
    expect(res.previous).toBeUndefined();
    expect(res.keys).toEqual([
      keys.file("credit-risk", artifact.version, "model.json"),
      keys.file("credit-risk", artifact.version, "weights.bin"),
      keys.file("credit-risk", artifact.version, "report.html"),
      keys.file("credit-risk", artifact.version, "manifest.json"),
      "credit-risk/current.json",
    ]);
    const bucket = await w.bucket();
    const pointer = parsePointer(await (await bucket.get("credit-risk/current.json"))!.text());
    if (!pointer.ok) throw new Error(pointer.error);
    expect(pointer.value.version).toBe(artifact.version);
    const manifestBytes = new Uint8Array(await (await bucket.get(keys.file("credit-risk", artifact.version, "manifest.json")))!.arrayBuffer());
    expect(await sha256Hex(manifestBytes)).toBe(pointer.value.manifestSha256);
    const manifest = parseManifest(new TextDecoder().decode(manifestBytes));
    if (!manifest.ok) throw new Error(manifest.error);
    for (const [file, entry] of Object.entries(manifest.value.files)) {
      const bytes = new Uint8Array(await (await bucket.get(keys.file("credit-risk", artifact.version, file)))!.arrayBuffer());
      expect(bytes.byteLength).toBe(entry.bytes);
      expect(await sha256Hex(bytes)).toBe(entry.sha256);
    }
    // The model card travels with the version.
    const card = manifest.value.card as { data: { sha256: string; rows: number }; metrics: { test: { auc: number } } };
    expect(card.data.rows).toBe(4454);
    expect(card.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(card.metrics.test.auc).toBeGreaterThan(0.75);
  });

  it("trains from a CSV object in the bucket (s3://) exactly as from the local file", async () => {
    const client = createS3Client(w.s3);
    await client.send(new PutObjectCommand({ Bucket: w.s3.bucket, Key: "datasets/credit.csv", Body: new Uint8Array(readFileSync("data/credit_data.csv")) }));
    client.destroy();
    const fromS3 = await runJob(quickJob({ data: `s3://${w.s3.bucket}/datasets/credit.csv`, train: { ...quickJob().train, epochs: 1 } }), { log: () => {}, dataTarget: w.s3 });
    const local = await runJob(quickJob({ train: { ...quickJob().train, epochs: 1 } }), { log: () => {} });
    expect(fromS3.profile.source).toBe(`s3://${w.s3.bucket}/datasets/credit.csv`);
    expect(fromS3.profile.sha256).toBe(local.profile.sha256);
    expect(fromS3.test!.auc).toBe(local.test!.auc);
    await expect(runJob(quickJob({ data: `s3://${w.s3.bucket}/datasets/missing.csv` }), { log: () => {}, dataTarget: w.s3 })).rejects.toThrow(/reading s3:\/\/edgescore-models\/datasets\/missing\.csv failed: NoSuchKey/);
  });

  it("moves the pointer on a second publish and names the version it replaced", async () => {
    const before = await pointerVersion();
    const b = readArtifact(fixtures().artifactDirs[1]);
    const res = await publishTo(w.s3, b);
    expect(res.previous).toBe(before);
    expect(await pointerVersion()).toBe(b.version);
  });

  it("refuses to write a version twice (If-None-Match: *) and leaves the pointer", async () => {
    const before = await pointerVersion();
    const b = readArtifact(fixtures().artifactDirs[1]);
    await expect(publishTo(w.s3, b)).rejects.toThrow(new RegExp(`s3://${w.s3.bucket}/credit-risk/versions/${b.version}/model\\.json already exists: version .* was published before; nothing changed`));
    // The local store (npm run train's default) is named as the other commands name it, not as an s3:// URL.
    const local = { client: createS3Client(w.s3), bucket: w.s3.bucket, where: `local R2 bucket "${w.s3.bucket}" (.wrangler/state/v3)` };
    await expect(writeVersionObjects(local, b)).rejects.toThrow(`credit-risk/versions/${b.version}/model.json in the local R2 bucket "${w.s3.bucket}" (.wrangler/state/v3) already exists`);
    expect(await pointerVersion()).toBe(before);
  });

  it("fails a publish whose pointer ETag is stale (another publisher moved it) and leaves the pointer as the other set it", async () => {
    const client = createS3Client(w.s3);
    const l = { client, bucket: w.s3.bucket, name: "credit-risk" };
    const stale = await readPointerState(l);
    const first = await runJob(quickJob({ seed: 11, train: { ...quickJob().train, epochs: 1 } }), { log: () => {} });
    const second = await runJob(quickJob({ seed: 12, train: { ...quickJob().train, epochs: 1 } }), { log: () => {} });
    await publishArtifact(l, first.artifact!, { state: stale });
    const err = await publishArtifact(l, second.artifact!, { state: stale }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).code).toBe("pointer_moved");
    expect((err as Error).message).toMatch(/moved while this command ran: .*was written but not promoted/);
    expect(await pointerVersion()).toBe(first.artifact!.version);
    client.destroy();
  });

  it("lets exactly one of two concurrent publishers win", async () => {
    const client = createS3Client(w.s3);
    const l = { client, bucket: w.s3.bucket, name: "credit-risk" };
    const current = await readPointerState(l);
    const jobs = await Promise.all([21, 22].map((seed) => runJob(quickJob({ seed, train: { ...quickJob().train, epochs: 1 } }), { log: () => {} })));
    const results = await Promise.allSettled(jobs.map((j) => publishArtifact(l, j.artifact!, { state: current })));
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    const winner = (won[0] as PromiseFulfilledResult<{ pointer: { version: string } }>).value.pointer.version;
    expect(await pointerVersion()).toBe(winner);
    client.destroy();
  });

  it("says which credentials to check when the secret is wrong, and writes nothing", async () => {
    const before = await pointerVersion();
    const b = readArtifact(fixtures().artifactDirs[0]);
    const err = await publishTo({ ...w.s3, secretAccessKey: "wrong-secret" }, b).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/SignatureDoesNotMatch|InvalidAccessKeyId|403/);
    expect((err as Error).message).toContain("check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY");
    expect((err as Error).message).not.toContain("wrong-secret");
    expect(await pointerVersion()).toBe(before);
  });
});
