/**
 * Model moves as the edge sees them, in workerd with the R2 bucket reachable
 * through Miniflare's S3 endpoint: a rollback or promote made with
 * `npm run models` is served within MODEL_REFRESH_SECONDS while requests are
 * in flight, none failing; and the operator's list of versions.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishTo } from "../train/job.ts";
import type { Artifact } from "../train/store/package.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { models, variant } from "./helpers/registry.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const applicant = { Seniority: 9, Home: "rent", Time: 60, Age: 30, Marital: "married", Records: "no", Job: "freelance", Expenses: 73, Income: 129, Assets: 0, Debt: 0, Amount: 800, Price: 846 };

describe("model moves at the edge", () => {
  let w: TestWorker;
  let base: Artifact;
  let other: Artifact;
  beforeAll(async () => {
    w = await startWorker({ MODEL_REFRESH_SECONDS: "1" });
    base = readArtifact(fixtures().artifactDirs[0]);
    other = readArtifact(fixtures().artifactDirs[1]);
  });
  afterAll(async () => { await w.dispose(); });

  const publish = (a: Artifact) => publishTo(w.s3, a, { actor: "ci@example.com", reason: "nightly" });

  it("serves a rollback and a promote within MODEL_REFRESH_SECONDS (1 s here) with zero failed requests while requests are in flight", async () => {
    const [a, b] = [variant(base, "credit-risk", "0000000a"), variant(other, "credit-risk", "0000000b")];
    await publish(a);
    await publish(b);
    const seen: { start: number; end: number; status: number; version?: string }[] = [];
    let stop = false;
    const loop = async () => {
      while (!stop) {
        const start = performance.now();
        const res = await w.post("/predict?explain=false", { instances: [applicant] });
        const body = (await res.json()) as { model?: { version: string } };
        seen.push({ start, end: performance.now(), status: res.status, ...(body.model ? { version: body.model.version } : {}) });
      }
    };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const loops = [loop(), loop(), loop(), loop()];
    while (!seen.some((s) => s.version === b.version)) await sleep(20);
    /** Moves the pointer with the CLI, then waits for the first response that shows `to`: seconds from the move's end. */
    const servedAfter = async (argv: string[], to: string): Promise<number> => {
      await sleep(300);
      const cmd = await models(w.s3, [...argv, "--reason", "edge switch test"]);
      expect(cmd.code).toBe(0);
      const moved = performance.now();
      while (!seen.some((s) => s.start >= moved && s.version === to) && performance.now() - moved < 15_000) await sleep(20);
      const first = seen.find((s) => s.start >= moved && s.version === to);
      expect(first).toBeDefined();
      // Once one request saw the new version, every request started after it does too (one isolate here).
      expect(seen.filter((s) => s.start > first!.end && s.version !== to)).toEqual([]);
      return (first!.end - moved) / 1000;
    };
    const rollback = await servedAfter(["rollback"], a.version);
    const promote = await servedAfter(["promote", b.version], b.version);
    stop = true;
    await Promise.all(loops);
    console.log(`edge switch: rollback served after ${rollback.toFixed(2)} s, promote after ${promote.toFixed(2)} s; ${seen.length} requests, ${seen.filter((s) => s.status !== 200).length} failed`);
    expect(seen.length).toBeGreaterThan(20);
    expect(seen.filter((s) => s.status !== 200)).toEqual([]);
    expect(new Set(seen.map((s) => s.version))).toEqual(new Set([a.version, b.version]));
    // The refresh interval plus one model load; the slack absorbs a loaded 2-core machine.
    expect(rollback).toBeLessThan(1 + 4);
    expect(promote).toBeLessThan(1 + 4);
  });

  it("GET /models/:name/versions lists the stored versions, newest first, and which is current", async () => {
    const [a, b] = [variant(base, "m-list", "00000001"), variant(base, "m-list", "00000002")];
    await publish(a);
    await publish(b);
    const res = await w.fetch("/models/m-list/versions");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { name: string; current: { version: string; historySeq: number; action: string }; versions: { version: string; createdAt: string; current: boolean }[] };
    expect(body.current).toMatchObject({ version: b.version, historySeq: 2, action: "publish" });
    expect(body.versions).toEqual([
      { version: b.version, createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), current: true },
      { version: a.version, createdAt: expect.any(String), current: false },
    ]);
    const never = await w.fetch("/models/never-published/versions");
    // The operator gets the hint every other model route gives.
    expect([never.status, ((await never.json()) as { error: { hint?: string } }).error.hint]).toEqual([404, expect.stringContaining("npm run train")]);
    expect((await w.fetch("/models/BAD%20NAME/versions")).status).toBe(404);
  });
});
