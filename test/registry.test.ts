/**
 * The edge's model registry against an R2 bucket that fails on demand (errors,
 * hangs), in Node with the tfjs CPU backend: transient storage faults become a
 * quick "unavailable" (503) or keep the cached model, never a hang, and the
 * next request retries. Concurrent first requests share one load.
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../train/fit/backend.ts";
import { ModelRegistry } from "../edge/registry.ts";
import { FlakyBucket, publish } from "./helpers/fake-bucket.ts";
import { fixtures } from "./helpers/fixtures.ts";

function registry(bucket: FlakyBucket, refreshMs = 0) {
  const logs: Record<string, unknown>[] = [];
  const deferred: Promise<unknown>[] = [];
  const r = new ModelRegistry(bucket as unknown as R2Bucket, { refreshMs, timeoutMs: 100, log: (e) => logs.push(e) });
  return { r, logs, get: () => r.get("credit-risk", (p) => deferred.push(p)), settle: () => Promise.all(deferred.splice(0)) };
}

describe("model registry under storage faults", () => {
  beforeAll(async () => { await useBackend("cpu"); });

  it("shares one load between concurrent first requests", async () => {
    const bucket = new FlakyBucket();
    const version = await publish(bucket, fixtures().artifactDirs[0]);
    const { get } = registry(bucket);
    const results = await Promise.all(Array.from({ length: 10 }, get));
    expect(results.every((x) => x.ok && x.model.version === version)).toBe(true);
    expect(bucket.gets.get(`credit-risk/versions/${version}/weights.bin`)).toBe(1);
  });

  it("answers unavailable quickly when R2 errors on the first load, and the next request retries", async () => {
    const bucket = new FlakyBucket();
    const version = await publish(bucket, fixtures().artifactDirs[0]);
    const { get, logs } = registry(bucket);
    bucket.mode = "error";
    const failed = await get();
    expect(failed).toMatchObject({ ok: false, reason: "unavailable" });
    expect(logs.some((l) => l.event === "model_load_failed" && String(l.error).includes("simulated"))).toBe(true);
    bucket.mode = "ok";
    const ok = await get();
    expect(ok.ok && ok.model.version).toBe(version);
  });

  it("times out a hanging R2 read instead of hanging the request", async () => {
    const bucket = new FlakyBucket();
    await publish(bucket, fixtures().artifactDirs[0]);
    const { get } = registry(bucket);
    bucket.mode = "hang";
    const started = Date.now();
    const failed = await get();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(failed).toMatchObject({ ok: false, reason: "unavailable" });
    expect(!failed.ok && failed.message).toMatch(/timed out after 100 ms/);
    bucket.mode = "ok";
    expect((await get()).ok).toBe(true);
  });

  it("keeps serving the cached model when a refresh meets R2 errors or hangs", async () => {
    const bucket = new FlakyBucket();
    const version = await publish(bucket, fixtures().artifactDirs[0]);
    const { r, get, settle } = registry(bucket);
    expect((await get()).ok).toBe(true);
    for (const mode of ["error", "hang"] as const) {
      bucket.mode = mode;
      const during = await get();
      expect(during.ok && during.model.version).toBe(version);
      await settle();
      expect(r.status()["credit-risk"]?.lastError).toMatch(mode === "error" ? /simulated/ : /timed out/);
    }
    bucket.mode = "ok";
    const next = await publish(bucket, fixtures().artifactDirs[1]);
    await get();
    await settle();
    const after = await get();
    expect(after.ok && after.model.version).toBe(next);
  });

  it("does not leak tensors across predictions and model swaps", async () => {
    const bucket = new FlakyBucket();
    await publish(bucket, fixtures().artifactDirs[0]);
    const { get, settle } = registry(bucket);
    const first = await get();
    if (!first.ok) throw new Error(first.message);
    const { predict } = await import("../shared/predict.ts");
    const row = { Seniority: 9, Home: "rent", Time: 60, Age: 30, Marital: "married", Records: "no", Job: "freelance", Expenses: 73, Income: 129, Assets: 0, Debt: 0, Amount: 800, Price: 846 };
    predict(first.model, [row], 4);
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) predict(first.model, Array.from({ length: 1 + (i % 7) }, () => row), i % 2 ? 4 : 0);
    expect(tf.memory().numTensors).toBe(baseline);
    await publish(bucket, fixtures().artifactDirs[1]);
    await get();
    await settle();
    const swapped = await get();
    if (!swapped.ok) throw new Error(swapped.message);
    predict(swapped.model, [row], 4);
    // The old model's weights were disposed when the new one was swapped in.
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it("disposes a model that finishes loading after its name was evicted: many published names, all loading at once", async () => {
    const bucket = new FlakyBucket();
    const names = Array.from({ length: 12 }, (_, i) => `model-${i}`);
    for (const n of names) await publish(bucket, fixtures().artifactDirs[0], n);
    const { r } = registry(bucket);
    const before = tf.memory().numTensors;
    const one = await r.get("model-0", () => {});
    if (!one.ok) throw new Error(one.message);
    const perModel = tf.memory().numTensors - before;
    expect(perModel).toBeGreaterThan(0);
    // 12 names into 8 slots, every load in flight at once: evictions happen mid-load.
    await Promise.all([...names, ...names].map((n) => r.get(n, () => {})));
    const loaded = Object.values(r.status()).filter((s) => s.version).length;
    expect(loaded).toBeLessThanOrEqual(8);
    expect(tf.memory().numTensors - before).toBe(loaded * perModel);
  });

  it("keeps unpublished names out of the model cache: the default model stays loaded, loaded once", async () => {
    const bucket = new FlakyBucket();
    const version = await publish(bucket, fixtures().artifactDirs[0]);
    const logs: Record<string, unknown>[] = [];
    const r = new ModelRegistry(bucket as unknown as R2Bucket, { refreshMs: 60_000, timeoutMs: 1_000, log: (e) => logs.push(e), pinned: "credit-risk" });
    expect((await r.get("credit-risk", () => {})).ok).toBe(true);
    const random = Array.from({ length: 1000 }, (_, i) => `nope-${i}`);
    const results = await Promise.all([...random, "nope-999", "nope-999"].map((n) => r.get(n, () => {})));
    expect(results.every((x) => !x.ok && x.reason === "not_published")).toBe(true);
    expect(r.peek("credit-risk")?.version).toBe(version);
    expect(Object.keys(r.status())).toEqual(["credit-risk"]);
    expect(logs.filter((l) => l.event === "model_loaded")).toHaveLength(1);
    // A recent name found unpublished is answered from the negative cache (256 names) until the refresh interval passes.
    await r.get("nope-999", () => {});
    expect(bucket.gets.get("nope-999/current.json")).toBe(1);
  });
});
