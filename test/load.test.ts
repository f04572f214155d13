/**
 * Sustained load on the Worker in workerd: 8 connections sending a mix of
 * valid single and batch requests and invalid ones. Zero 5xx, zero connection
 * errors or timeouts, and no tensor leak in the isolate. CI runs a bounded
 * version; `LOAD_SECONDS=60 npx vitest run test/load.test.ts` runs the full one.
 */
import autocannon from "autocannon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishTo } from "../train/job.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const SECONDS = Number(process.env.LOAD_SECONDS ?? 5);

describe(`load: 8 connections for ${SECONDS} s`, () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker();
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
  });
  afterAll(async () => { await w.dispose(); });

  it("answers every request with 2xx or a deliberate 4xx, with no errors and no leaked tensors", async () => {
    const cases = fixtures().parity.map((c) => c.instance);
    const json = { "content-type": "application/json" };
    const requests = [
      { method: "POST" as const, path: "/predict", headers: json, body: JSON.stringify({ instances: [cases[0]] }) },
      { method: "POST" as const, path: "/predict?explain=false", headers: json, body: JSON.stringify({ instances: cases.slice(0, 32) }) },
      { method: "POST" as const, path: "/predict", headers: json, body: JSON.stringify({ instances: cases.slice(32, 288) }) },
      { method: "POST" as const, path: "/predict", headers: json, body: JSON.stringify({ instances: [{ ...cases[1], Home: "castle" }] }) },
      { method: "POST" as const, path: "/predict", headers: json, body: "{\"instances\": [" },
    ];
    // Warm the isolate (model load) before measuring.
    expect((await w.post("/predict", { instances: [cases[0]] })).status).toBe(200);
    const tensorsBefore = ((await (await w.fetch("/healthz")).json()) as { tensors: number }).tensors;
    const result = await autocannon({ url: w.url, connections: 8, duration: SECONDS, requests });
    const tensorsAfter = ((await (await w.fetch("/healthz")).json()) as { tensors: number }).tensors;
    console.log(
      `load: ${result.requests.total} requests in ${SECONDS} s, ${result["2xx"]} 2xx, ${result["4xx"]} 4xx, ${result["5xx"]} 5xx, ` +
        `${result.errors} errors, ${result.timeouts} timeouts; latency p50 ${result.latency.p50} ms, p90 ${result.latency.p90} ms, p99 ${result.latency.p99} ms; ` +
        `tensors ${tensorsBefore} -> ${tensorsAfter}`,
    );
    expect(result["5xx"]).toBe(0);
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result["2xx"]).toBeGreaterThan(0);
    expect(result["4xx"]).toBeGreaterThan(0);
    expect(tensorsAfter).toBe(tensorsBefore);
  }, (SECONDS + 60) * 1000);
});
