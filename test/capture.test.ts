/**
 * Capture at the edge, in workerd: after each scored /predict the edge sends
 * one record per instance to the queue (in waitUntil), the same Worker's
 * queue() consumer writes them to R2 as gzip NDJSON under
 * decisions/<model>/dt=<day>/<hour>-<batch id>.ndjson.gz, and what is read
 * back is exactly what was answered.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePointer } from "../shared/artifact.ts";
import { DECISION_FORMAT, dayOfKey, decisionsKey, recordId } from "../shared/decisions/record.ts";
import { publishTo } from "../train/job.ts";
import { distinct, waitForDecisions } from "./helpers/decisions.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const applicant = { Seniority: 9, Home: "rent", Time: 60, Age: 30, Marital: "married", Records: "no", Job: "freelance", Expenses: 73, Income: 129, Assets: 0, Debt: 0, Amount: 800, Price: 846 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface PredictBody { model: { name: string; version: string }; predictions: Record<string, unknown>[] }

const parsedLines = (w: TestWorker) => w.logs.map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return {}; } });
const logLine = (w: TestWorker, id: string) => parsedLines(w).find((l) => l.id === id && l.path !== undefined);

/** A request's capture_failed lines (none when every record was sent). */
const failedLines = (w: TestWorker, id: string) => parsedLines(w).filter((l) => l.id === id && l.event === "capture_failed");

async function logLineOf(w: TestWorker, id: string): Promise<Record<string, unknown> | undefined> {
  for (let i = 0; i < 50 && !logLine(w, id); i++) await new Promise((r) => setTimeout(r, 100));
  return logLine(w, id);
}

describe("capture (CAPTURE=full)", () => {
  let w: TestWorker;
  let manifestSha256: string;
  beforeAll(async () => {
    w = await startWorker({ CAPTURE: "full" }, { capture: { batchTimeout: 0.5 } });
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
    const pointer = await (await w.bucket()).get("credit-risk/current.json");
    const parsed = parsePointer(await pointer!.text());
    if (!parsed.ok) throw new Error(parsed.error);
    manifestSha256 = parsed.value.manifestSha256;
  });
  afterAll(async () => { await w.dispose(); });

  it("writes one record per instance within the batch timeout, each field equal to what was answered", async () => {
    const instances: Record<string, unknown>[] = [{ _key: "app-1", ...applicant }, { ...applicant, Records: "yes", Income: null, _key: 42 }, { ...applicant, Age: 55 }];
    const before = new Date().toISOString();
    const res = await w.post("/predict", { instances }, { "x-request-id": "client-req-1" });
    const after = new Date().toISOString();
    expect(res.status).toBe(200);
    const body = (await res.json()) as PredictBody;
    const t0 = Date.now();
    const written = await waitForDecisions(w, (ws) => [...distinct(ws).values()].filter((r) => r.requestId === "client-req-1").length >= 3);
    // Batch timeout 0.5 s; delivery on a loaded machine takes longer, but not by seconds.
    expect(Date.now() - t0).toBeLessThan(10_000);
    const records = [...distinct(written).values()].filter((r) => r.requestId === "client-req-1").sort((a, b) => a.index - b.index);
    expect(records).toHaveLength(3);
    const captureId = records[0]!.id.split(":")[0]!;
    expect(captureId).toMatch(UUID);
    const line = await logLineOf(w, "client-req-1");
    records.forEach((r, i) => {
      const { _key, ...answer } = body.predictions[i]!;
      const { _key: sentKey, ...features } = instances[i]!;
      expect(r).toEqual({
        format: DECISION_FORMAT, id: recordId(captureId, i, "champion"), requestId: "client-req-1", index: i, time: r.time,
        model: "credit-risk", version: body.model.version, manifestSha256, role: "champion", caller: line?.caller ?? null,
        passThrough: sentKey ?? null, topK: 4, capture: "full", features, answer, latencyMs: r.latencyMs,
      });
      expect(_key).toBe(sentKey);
      expect(r.time >= before && r.time <= after).toBe(true);
      expect(r.latencyMs).toBeGreaterThanOrEqual(0);
      expect(r.latencyMs).toBeLessThan(Number(line?.ms) + 1);
    });
    expect(records[1]!.features!.Income).toBeNull();
    // The request's line carries the records it queued; only failed records get a line of their own.
    expect(line?.capture).toEqual({ records: 3 });
    expect(failedLines(w, "client-req-1")).toEqual([]);
    // Filed under the record's model, day and hour, as decisionsKey names it.
    const file = written.find((x) => x.records.some((r) => r.requestId === "client-req-1"))!;
    expect(file.key).toMatch(/^decisions\/credit-risk\/dt=\d{4}-\d{2}-\d{2}\/\d{2}-[0-9a-f-]{36}\.ndjson\.gz$/);
    expect(file.key.slice(0, -"x.ndjson.gz".length - 35)).toBe(decisionsKey("credit-risk", records[0]!.time, "x").slice(0, -"x.ndjson.gz".length));
    expect(dayOfKey(file.key)).toBe(records[0]!.time.slice(0, 10));
  });

  it("gives two requests with the same client X-Request-Id distinct record ids (the capture id is the server's)", async () => {
    for (let i = 0; i < 2; i++) expect((await w.post("/predict?explain=false", { instances: [applicant] }, { "x-request-id": "reused-id" })).status).toBe(200);
    const written = await waitForDecisions(w, (ws) => [...distinct(ws).values()].filter((r) => r.requestId === "reused-id").length >= 2);
    const records = [...distinct(written).values()].filter((r) => r.requestId === "reused-id");
    expect(records).toHaveLength(2);
    expect(records[0]!.id).not.toBe(records[1]!.id);
    for (const r of records) {
      expect(r.id.startsWith("reused-id")).toBe(false);
      expect(r.topK).toBe(0);
      expect(r.answer.reasons).toBeUndefined();
    }
  });

  it("captures a 1,000-instance request completely (split to fit the queue's message and batch limits)", async () => {
    const instances = Array.from({ length: 1000 }, (_, i) => ({ _key: `row-${i}`, ...applicant, Amount: 100 + i * 4, Age: 18 + (i % 50) }));
    const res = await w.post("/predict", { instances }, { "x-request-id": "big-1000" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as PredictBody;
    const written = await waitForDecisions(w, (ws) => [...distinct(ws).values()].filter((r) => r.requestId === "big-1000").length >= 1000, 30_000);
    const records = [...distinct(written).values()].filter((r) => r.requestId === "big-1000").sort((a, b) => a.index - b.index);
    expect(records.map((r) => r.index)).toEqual(instances.map((_, i) => i));
    records.forEach((r, i) => {
      const { _key, ...answer } = body.predictions[i]!;
      expect(r.passThrough).toBe(`row-${i}`);
      expect(r.features).toEqual({ ...applicant, Amount: 100 + i * 4, Age: 18 + (i % 50) });
      expect(r.answer).toEqual(answer);
    });
    const line = await logLineOf(w, "big-1000");
    expect(line?.capture).toEqual({ records: 1000 });
    expect(failedLines(w, "big-1000")).toEqual([]);
  });

  it("shows the mode and the records sent since the isolate started to an operator's /healthz", async () => {
    const health = (await (await w.fetch("/healthz")).json()) as { capture: { mode: string; sample: number; sent: number; failed: number; messages: number; problem?: string } };
    const { messages, ...records } = health.capture;
    expect(records).toEqual({ mode: "full", sample: 1, sent: 1005, failed: 0 });
    // 3 + 2 one-applicant requests + 1,000 instances (at least 6 messages of ≤ 120,000 bytes): never one message per record.
    expect(messages).toBeGreaterThanOrEqual(8);
    expect(messages).toBeLessThan(20);
  });

  it("does not capture a request that was refused (422): nothing was answered", async () => {
    const res = await w.post("/predict", { instances: [{ ...applicant, Age: "old" }] }, { "x-request-id": "refused-1" });
    expect(res.status).toBe(422);
    const line = await logLineOf(w, "refused-1");
    expect(line?.capture).toBeUndefined();
  });
});

describe("the isolate's outbox (records of requests answered together share queue messages)", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker({ CAPTURE: "full" }, { capture: { batchTimeout: 0.5 } });
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
  });
  afterAll(async () => { await w.dispose(); });

  it("sends 20 concurrent one-applicant requests' records in a few messages, every one landed, its request's line saying it queued one record and no failure logged", async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `together-${i}`);
    const answers = await Promise.all(ids.map((id, i) => w.post("/predict", { instances: [{ ...applicant, Amount: 500 + i }] }, { "x-request-id": id })));
    expect(answers.map((r) => r.status)).toEqual(ids.map(() => 200));
    const written = await waitForDecisions(w, (ws) => ids.every((id) => [...distinct(ws).values()].some((r) => r.requestId === id)));
    const records = [...distinct(written).values()].filter((r) => ids.includes(r.requestId));
    expect(records.map((r) => r.requestId).sort()).toEqual([...ids].sort());
    records.forEach((r) => expect(r.features?.Amount).toBe(500 + ids.indexOf(r.requestId)));
    for (const id of ids) expect((await logLineOf(w, id))?.capture).toEqual({ records: 1 });
    expect(ids.flatMap((id) => failedLines(w, id))).toEqual([]);
    const health = (await (await w.fetch("/healthz")).json()) as { capture: { sent: number; messages: number } };
    expect(health.capture.sent).toBe(20);
    // One message per request before the outbox; now those answered within LINGER_MS (20 ms) share one.
    expect(health.capture.messages).toBeLessThan(10);
  });
});

describe("capture without the queue binding (a wrangler.toml from before capture)", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker({ CAPTURE: "full" });
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
  });
  afterAll(async () => { await w.dispose(); });

  it("answers as before, captures nothing and says why in /healthz", async () => {
    expect((await w.post("/predict", { instances: [applicant] })).status).toBe(200);
    const health = (await (await w.fetch("/healthz")).json()) as { ok: boolean; capture: { mode: string; problem?: string; sent: number } };
    expect(health.ok).toBe(true);
    expect(health.capture.mode).toBe("off");
    expect(health.capture.problem).toContain("DECISIONS_QUEUE binding is missing");
    expect(health.capture.sent).toBe(0);
  });
});
