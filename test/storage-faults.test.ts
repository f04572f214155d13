/**
 * Storage faults, in workerd against a real R2 binding: interrupted publishes,
 * tampered or truncated objects, dangling or malformed pointers. The edge must
 * refuse the bad version, keep the last good one (or answer 503 when there is
 * none), say why in its logs and /healthz, and recover once storage is fixed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../shared/artifact.ts";
import { sha256Hex } from "../shared/hash.ts";
import { publishTo } from "../train/job.ts";
import type { Artifact } from "../train/store/package.ts";
import { asNewVersion, fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const applicant = { Seniority: 9, Home: "rent", Time: 60, Age: 30, Marital: "married", Records: "no", Job: "freelance", Expenses: 73, Income: 129, Assets: 0, Debt: 0, Amount: 800, Price: 846 };

interface Health { models: Record<string, { version?: string; lastError?: string }> }

async function served(w: TestWorker): Promise<{ status: number; version?: string; code?: string; retryAfter: string | null }> {
  const res = await w.post("/predict?explain=false", { instances: [applicant] });
  const body = (await res.json()) as { model?: { version: string }; error?: { code: string } };
  return { status: res.status, version: body.model?.version, code: body.error?.code, retryAfter: res.headers.get("retry-after") };
}

/** Requests until the background pointer check has run, then the /healthz view. */
async function settle(w: TestWorker): Promise<Health> {
  for (let i = 0; i < 3; i++) await served(w);
  return (await (await w.fetch("/healthz")).json()) as Health;
}

async function putPointer(w: TestWorker, version: string, manifestSha256: string): Promise<void> {
  await (await w.bucket()).put("credit-risk/current.json", JSON.stringify({ name: "credit-risk", version, manifestSha256, publishedAt: new Date().toISOString() }));
}


describe("storage faults at the edge", () => {
  let w: TestWorker;
  let good: Artifact;
  let goodSha: string;
  beforeAll(async () => {
    w = await startWorker({ MODEL_REFRESH_SECONDS: "0" });
    good = readArtifact(fixtures().artifactDirs[0]);
    goodSha = await sha256Hex(good.files.get("manifest.json")!);
  });
  afterAll(async () => { await w.dispose(); });

  it("with nothing good published, a malformed pointer gives 503 with Retry-After, and the next request after a fix serves", async () => {
    await (await w.bucket()).put("credit-risk/current.json", "{not json");
    const first = await served(w);
    expect(first).toMatchObject({ status: 503, code: "model_unavailable", retryAfter: "5" });
    const health = (await (await w.fetch("/healthz")).json()) as Health;
    expect(health.models["credit-risk"]?.lastError).toMatch(/pointer is not valid JSON/);
    await (await w.bucket()).delete("credit-risk/current.json");
    await publishTo(w.s3, good);
    expect(await served(w)).toMatchObject({ status: 200, version: good.version });
  });

  it.each([
    ["after model.json", 1],
    ["after weights.bin", 2],
    ["after manifest.json, before the pointer", 3],
  ])("a publish interrupted %s leaves the previous version serving, and the next publish is clean", async (_step, afterPuts) => {
    const next = asNewVersion(readArtifact(fixtures().artifactDirs[1]), `0000000${afterPuts}`);
    let puts = 0;
    await expect(publishTo(w.s3, next, { afterPut: () => { if (++puts === afterPuts) throw new Error("simulated crash"); } })).rejects.toThrow("simulated crash");
    await settle(w);
    expect(await served(w)).toMatchObject({ status: 200, version: good.version });
    const pointer = JSON.parse(await (await (await w.bucket()).get("credit-risk/current.json"))!.text()) as { version: string };
    expect(pointer.version).toBe(good.version);
  });

  const faults: [string, (w: TestWorker) => Promise<void>, RegExp][] = [
    ["a pointer to a version that does not exist", (w) => putPointer(w, "20990101T000000Z-deadbeef", goodSha), /manifest\.json is missing/],
    ["a pointer whose manifest hash does not match", (w) => putPointer(w, good.version, "0".repeat(64)), /sha256 does not match the pointer/],
    ["a pointer that is not JSON", async (w) => { await (await w.bucket()).put("credit-risk/current.json", "]["); }, /pointer is not valid JSON/],
    ["a pointer with the wrong shape", async (w) => { await (await w.bucket()).put("credit-risk/current.json", '{"version": 5}'); }, /pointer is malformed/],
    ["a manifest that is not JSON", async (w) => {
      const v = "20990102T000000Z-0badf00d";
      const bytes = new TextEncoder().encode("{ broken");
      await (await w.bucket()).put(keys.file("credit-risk", v, "manifest.json"), bytes);
      await putPointer(w, v, await sha256Hex(bytes));
    }, /manifest is not valid JSON/],
    ["a manifest that does not validate", async (w) => {
      const v = "20990103T000000Z-0badf00d";
      const bytes = new TextEncoder().encode(JSON.stringify({ ...good.manifest, version: v, thresholds: { refer: 2, decline: 0.5 } }));
      await (await w.bucket()).put(keys.file("credit-risk", v, "manifest.json"), bytes);
      await putPointer(w, v, await sha256Hex(bytes));
    }, /manifest is malformed/],
    ["truncated weights", async (w) => {
      const a = asNewVersion(good, "0000000a");
      a.files.set("weights.bin", a.files.get("weights.bin")!.slice(0, 100));
      await publishTo(w.s3, a);
    }, /weights\.bin: size or sha256 does not match the manifest/],
    ["a tampered model.json", async (w) => {
      const a = asNewVersion(good, "0000000b");
      const text = new TextDecoder().decode(a.files.get("model.json")).replace('"relu"', '"linear"');
      a.files.set("model.json", new TextEncoder().encode(text));
      await publishTo(w.s3, a);
    }, /model\.json: size or sha256 does not match the manifest/],
  ];

  it.each(faults)("refuses %s, keeps the last good version and says why", async (_name, inject, why) => {
    await inject(w);
    const health = await settle(w);
    expect(await served(w)).toMatchObject({ status: 200, version: good.version });
    expect(health.models["credit-risk"]?.version).toBe(good.version);
    expect(health.models["credit-risk"]?.lastError).toMatch(why);
    expect(w.logs.some((l) => l.includes("model_load_failed") && why.test(l))).toBe(true);
    // Storage fixed: the pointer back on the good version (a new ETag), and the error clears.
    await putPointer(w, good.version, goodSha);
    const healed = await settle(w);
    expect(healed.models["credit-risk"]?.lastError).toBeUndefined();
  });
});
