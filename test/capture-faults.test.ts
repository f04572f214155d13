/**
 * Capture when something fails, in workerd, with the faults coming from the
 * bindings (test/helpers/faulty-bindings.ts), not from the edge's code: a
 * queue that refuses sends must not touch the answer; an R2 write that
 * lands but reports failure makes the consumer retry, and after
 * de-duplication by id nothing is lost or doubled; an R2 outage that
 * outlasts the queue's retries sends the records to the dead-letter queue,
 * whose consumer (the same Worker) writes them once R2 is back; a message
 * that is not a decision record is acked and logged, never retried.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DECISION_FORMAT } from "../shared/decisions/record.ts";
import { publishTo } from "../train/job.ts";
import { distinct, waitForDecisions, writtenDecisions } from "./helpers/decisions.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const applicant = { Seniority: 9, Home: "rent", Time: 60, Age: 30, Marital: "married", Records: "no", Job: "freelance", Expenses: 73, Income: 129, Assets: 0, Debt: 0, Amount: 800, Price: 846 };

const parsedLogs = (w: TestWorker) => w.logs.map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return {}; } });

async function requestLine(w: TestWorker, id: string): Promise<Record<string, unknown> | undefined> {
  const find = () => parsedLogs(w).find((l) => l.id === id && l.path !== undefined);
  for (let i = 0; i < 50 && !find(); i++) await new Promise((r) => setTimeout(r, 100));
  return find();
}

describe("a queue that refuses every send", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker({ CAPTURE: "full" }, { capture: { faults: { queueDown: true } } });
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
  });
  afterAll(async () => { await w.dispose(); });

  it("still answers 200 with the same answer; a capture_failed line with the request's id and /healthz count the failed records", async () => {
    const res = await w.post("/predict", { instances: [applicant, { ...applicant, Age: 60 }] }, { "x-request-id": "down-1" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictions: { probability: number; decision: string }[] };
    expect(body.predictions).toHaveLength(2);
    expect(body.predictions[0]!.probability).toBeGreaterThan(0);
    const line = await requestLine(w, "down-1");
    expect(line?.status).toBe(200);
    expect(line?.capture).toEqual({ records: 2 });
    let failure: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && !failure; i++) {
      failure = parsedLogs(w).find((l) => l.id === "down-1" && l.event === "capture_failed");
      if (!failure) await new Promise((r) => setTimeout(r, 100));
    }
    expect(String(failure?.error)).toContain("Too Many Requests");
    expect(failure?.records).toBe(2);
    // No applicant data in the failure line.
    expect(JSON.stringify(failure)).not.toContain("freelance");
    const health = (await (await w.fetch("/healthz")).json()) as { capture: { mode: string; sent: number; failed: number } };
    expect(health.capture).toMatchObject({ mode: "full", sent: 0, failed: 2 });
  });
});

describe("a queue that refuses the first sends (a blip, a second over its rate limit)", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker({ CAPTURE: "full" }, { capture: { faults: { queueRefusals: 2 } } });
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
  });
  afterAll(async () => { await w.dispose(); });

  it("sends again from the same waitUntil: every record lands, none is logged or counted as failed", async () => {
    const res = await w.post("/predict", { instances: [applicant, { ...applicant, Age: 61 }] }, { "x-request-id": "blip-1" });
    expect(res.status).toBe(200);
    const written = await waitForDecisions(w, (ws) => distinct(ws).size >= 2);
    expect([...distinct(written).values()].map((r) => r.requestId)).toEqual(["blip-1", "blip-1"]);
    expect(parsedLogs(w).some((l) => l.event === "capture_failed")).toBe(false);
    const health = (await (await w.fetch("/healthz")).json()) as { capture: { sent: number; failed: number } };
    expect(health.capture).toMatchObject({ sent: 2, failed: 0 });
  });
});

describe("an R2 write that lands but reports failure (the consumer retries)", () => {
  let w: TestWorker;
  beforeAll(async () => {
    // Batch size 4: the 10 requests' records take several consumer batches; the first write of all is "lost".
    w = await startWorker({ CAPTURE: "full" }, { capture: { batchTimeout: 0.5, batchSize: 4, faults: { writesLost: 1 } } });
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
  });
  afterAll(async () => { await w.dispose(); });

  it("keeps every record exactly once after de-duplication by id, though some were written twice", async () => {
    const answers = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < 10; i++) {
      const res = await w.post("/predict?explain=false", { instances: [{ ...applicant, _key: `a-${i}`, Amount: 500 + i }] }, { "x-request-id": `retry-${i}` });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { predictions: Record<string, unknown>[] };
      const { _key, ...answer } = body.predictions[0]!;
      expect(_key).toBe(`a-${i}`);
      answers.set(`a-${i}`, answer);
    }
    const written = await waitForDecisions(w, (ws) => distinct(ws).size >= 10 && ws.reduce((n, x) => n + x.records.length, 0) > 10);
    const raw = written.flatMap((x) => x.records);
    const byId = distinct(written);
    // The lost write was retried: its records are in R2 twice, under two batch ids.
    expect(raw.length).toBeGreaterThan(byId.size);
    expect(byId.size).toBe(10);
    const byKey = new Map([...byId.values()].map((r) => [r.passThrough, r]));
    for (const [key, answer] of answers) {
      expect(byKey.get(key)?.answer).toEqual(answer);
      // Duplicates are the same record, byte for byte.
      const copies = raw.filter((r) => r.passThrough === key);
      for (const c of copies) expect(c).toEqual(byKey.get(key));
    }
    expect(parsedLogs(w).some((l) => l.event === "decisions_consumer" && String(l.error).includes("retried"))).toBe(true);
  });

  it("acks and logs a message that holds no decision record, and never retries it", async () => {
    const queue = await w.queue();
    await queue.send("this is not a decision record", { contentType: "text" });
    await queue.send(JSON.stringify({ format: DECISION_FORMAT, id: "x:0", model: "../escape", time: "2026-01-01T00:00:00.000Z" }), { contentType: "text" });
    await new Promise((r) => setTimeout(r, 4000));
    const refusals = parsedLogs(w).filter((l) => l.event === "decisions_consumer" && String(l.error).includes("no decision record"));
    // Two messages, each logged once: acked, not retried (max_retries 3 would log each up to 4 times).
    expect(refusals).toHaveLength(2);
    const keys = (await writtenDecisions(w)).map((x) => x.key);
    expect(keys.some((k) => k.includes("escape"))).toBe(false);
  });
});

describe("an R2 outage longer than the queue's retries", () => {
  let w: TestWorker;
  beforeAll(async () => {
    // The queue gives up after 2 deliveries (max_retries 1); the first 3 writes fail, so the records reach the
    // dead-letter queue, whose consumer fails once more and then writes them.
    w = await startWorker({ CAPTURE: "full" }, { capture: { batchTimeout: 0.5, maxRetries: 1, deadLetterRetries: 3, faults: { writesDown: 3 } } });
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
  });
  afterAll(async () => { await w.dispose(); });

  it("writes every record once R2 is back, through the dead-letter queue's consumer, and says so in the log", async () => {
    const instances = [0, 1, 2].map((i) => ({ ...applicant, _key: `out-${i}`, Amount: 700 + i }));
    const res = await w.post("/predict", { instances }, { "x-request-id": "outage-1" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictions: Record<string, unknown>[] };
    const written = await waitForDecisions(w, (ws) => distinct(ws).size >= 3, 30_000);
    const byId = distinct(written);
    expect(byId.size).toBe(3);
    // Nothing was written during the outage, so nothing twice either.
    expect(written.flatMap((x) => x.records)).toHaveLength(3);
    for (const [i, p] of body.predictions.entries()) {
      const { _key, ...answer } = p;
      const record = [...byId.values()].find((r) => r.passThrough === _key);
      expect(record?.index).toBe(i);
      expect(record?.answer).toEqual(answer);
    }
    const logs = parsedLogs(w);
    // Two failed writes on the queue, then the dead-letter queue's: one failed and retried, one written.
    const failures = logs.filter((l) => l.event === "decisions_consumer" && String(l.error).includes("R2 unavailable"));
    expect(failures.map((l) => l.queue)).toEqual(["edgescore-decisions", "edgescore-decisions", "edgescore-decisions-dlq"]);
    const dead = logs.filter((l) => l.event === "decisions_dead_letter");
    expect(dead).toEqual([
      { event: "decisions_dead_letter", queue: "edgescore-decisions-dlq", messages: 1, written: 0, retried: 1 },
      { event: "decisions_dead_letter", queue: "edgescore-decisions-dlq", messages: 1, written: 1, retried: 0 },
    ]);
    // No applicant data in the consumer's lines.
    for (const l of [...failures, ...dead]) expect(JSON.stringify(l)).not.toContain("freelance");
  });
});
