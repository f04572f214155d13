/**
 * What each capture setting keeps, in workerd: "decisions" leaves no feature
 * value anywhere in R2 (not in features, not in reasons, not in warnings),
 * "off" and a 0 sample write nothing; and the packing of records into queue
 * messages stays within Cloudflare's limits whatever the request's size.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMessage } from "../edge/capture/batch-file.ts";
import { sampled } from "../edge/capture/settings.ts";
import { BATCH_BYTES, BATCH_MESSAGES, MESSAGE_BYTES, packLines, utf8Length } from "../edge/capture/messages.ts";
import { DECISION_FORMAT } from "../shared/decisions/record.ts";
import { publishTo } from "../train/job.ts";
import { distinct, waitForDecisions } from "./helpers/decisions.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

/** Applicants whose every value is unlike anything else in a record (fractions no probability or impact prints as). */
const distinctive = [
  { Seniority: 17.5, Home: "parents", Time: 36.25, Age: 43.5, Marital: "widow", Records: "yes", Job: "partime", Expenses: 137.625, Income: 4321.75, Assets: 12345.5, Debt: 2468.25, Amount: 3333.5, Price: 7777.125 },
  { Seniority: 2.75, Home: "priv", Time: 18.5, Age: 61.25, Marital: "separated", Records: "no", Job: "others", Expenses: 52.375, Income: 88.125, Assets: 98765.25, Debt: 1357.75, Amount: 1212.5, Price: 99999.875 },
];

const fmt6 = (x: number) => String(Number(x.toPrecision(6)));

/**
 * Whether `form` appears in `text` as a whole value: a number not inside a
 * longer one (a time's "…:17.512Z" does not hold 17.5), a quoted string as is.
 */
const appears = (text: string, form: string) =>
  new RegExp(`(?<![\\d.])${form.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\d])`).test(text);

describe("CAPTURE=decisions", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker({ CAPTURE: "decisions" }, { capture: { batchTimeout: 0.5 } });
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
  });
  afterAll(async () => { await w.dispose(); });

  it("records every answer but no feature value anywhere in R2", async () => {
    const res = await w.post("/predict", { instances: distinctive.map((d, i) => ({ ...d, _key: `d-${i}` })) }, { "x-request-id": "decisions-1" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictions: { _key: string; probability: number; decision: string; reasons: { feature: string; value: unknown; impact: number; text: string }[]; warnings: { feature: string; code: string; message: string }[] }[] };
    // The answer itself does carry values (reasons, a clipped warning): the record must not.
    expect(body.predictions.some((p) => p.reasons.some((r) => r.value !== null))).toBe(true);
    expect(body.predictions.some((p) => p.warnings.some((x) => x.code === "clipped"))).toBe(true);
    const written = await waitForDecisions(w, (ws) => distinct(ws).size >= 2);
    const records = [...distinct(written).values()].sort((a, b) => a.index - b.index);
    expect(records).toHaveLength(2);
    records.forEach((r, i) => {
      const p = body.predictions[i]!;
      expect(r.capture).toBe("decisions");
      expect(r.features).toBeUndefined();
      expect(r.passThrough).toBe(`d-${i}`);
      const answer = r.answer as typeof p;
      expect(answer.probability).toBe(p.probability);
      expect(answer.decision).toBe(p.decision);
      expect(answer.reasons).toEqual(p.reasons.map((x) => ({ ...x, value: null })));
      expect(answer.warnings.map((x) => [x.feature, x.code])).toEqual(p.warnings.map((x) => [x.feature, x.code]));
    });
    const text = written.map((x) => x.text).join("\n");
    // The search itself: it finds a value written as JSON or in a sentence, and not inside a time.
    expect([appears('{"Seniority":17.5}', "17.5"), appears("Seniority is 17.5 years", "17.5"), appears('"time":"2026-12-07T04:05:17.512Z"', "17.5")]).toEqual([true, true, false]);
    for (const d of distinctive) {
      for (const [name, v] of Object.entries(d)) {
        const forms = typeof v === "number" ? [String(v), fmt6(v)] : [JSON.stringify(v)];
        for (const f of forms) expect(appears(text, f), `${name} = ${f} is in R2`).toBe(false);
      }
    }
  });
});

describe("CAPTURE=off", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker({ CAPTURE: "off" }, { capture: { batchTimeout: 0.5 } });
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
  });
  afterAll(async () => { await w.dispose(); });

  it("writes nothing, while the queue and its consumer work (a record sent to the queue directly lands)", async () => {
    for (let i = 0; i < 3; i++) expect((await w.post("/predict", { instances: distinctive })).status).toBe(200);
    // The control: a record put on the queue by hand goes through the same consumer to R2.
    const control = { format: DECISION_FORMAT, id: "control:0", requestId: "control", index: 0, time: new Date().toISOString(), model: "credit-risk" };
    await (await w.queue()).send(JSON.stringify(control), { contentType: "text" });
    const written = await waitForDecisions(w, (ws) => distinct(ws).has("control:0"));
    expect([...distinct(written).keys()]).toEqual(["control:0"]);
    const health = (await (await w.fetch("/healthz")).json()) as { capture: { mode: string; sent: number } };
    expect(health.capture).toMatchObject({ mode: "off", sent: 0 });
  });
});

describe("CAPTURE_SAMPLE", () => {
  it("draws per request from the capture id: reproducible, about the share asked for", () => {
    const ids = Array.from({ length: 4000 }, () => crypto.randomUUID());
    const share = ids.filter((id) => sampled(id, 0.25)).length / ids.length;
    // Binomial(4000, 0.25): sd 0.0068; 5 sd either way.
    expect(share).toBeGreaterThan(0.25 - 0.035);
    expect(share).toBeLessThan(0.25 + 0.035);
    for (const id of ids.slice(0, 50)) expect(sampled(id, 0.25)).toBe(sampled(id, 0.25));
    expect(ids.every((id) => sampled(id, 1))).toBe(true);
    expect(ids.some((id) => sampled(id, 0))).toBe(false);
  });
});

describe("packing records into queue messages", () => {
  /** Record lines as packLines takes them: each measured in UTF-8 bytes, one record each. */
  const pack = (lines: readonly string[]) => packLines(lines.map((line) => ({ line, bytes: utf8Length(line), records: 1 })));
  const line = (i: number, bytes: number) => JSON.stringify({ id: `c:${i}`, pad: "x".repeat(Math.max(0, bytes - 20)) });

  it("keeps every record, in order, in messages and sendBatch calls within the limits", () => {
    for (const [n, size] of [[1, 900], [1000, 1100], [300, 30_000], [5000, 200]] as const) {
      const lines = Array.from({ length: n }, (_, i) => line(i, size));
      const { calls, oversized } = pack(lines);
      expect(oversized).toBe(0);
      const back = calls.flat().flatMap((m) => m.body.split("\n"));
      expect(back).toEqual(lines);
      for (const call of calls) {
        expect(call.length).toBeLessThanOrEqual(BATCH_MESSAGES);
        expect(call.reduce((s, m) => s + Buffer.byteLength(m.body) + 100, 0)).toBeLessThanOrEqual(BATCH_BYTES);
        for (const m of call) expect(Buffer.byteLength(m.body)).toBeLessThanOrEqual(MESSAGE_BYTES);
      }
    }
    // Well under Cloudflare's 128,000-byte message (with ~100 bytes of metadata) and 256,000-byte sendBatch.
    expect(MESSAGE_BYTES + 100).toBeLessThan(128_000);
    expect(BATCH_BYTES).toBeLessThan(256_000);
  });

  it("measures bytes, not characters, and counts a record too large for any message as failed", () => {
    const wide = JSON.stringify({ id: "c:0", text: "é".repeat(70_000) });
    expect(wide.length).toBeLessThan(MESSAGE_BYTES);
    expect(pack([wide]).oversized).toBe(1);
    const ok = pack([line(0, 500), wide, line(1, 500)]);
    expect(ok.oversized).toBe(1);
    expect(ok.calls.flat().flatMap((m) => m.body.split("\n"))).toEqual([line(0, 500), line(1, 500)]);
  });
});

describe("reading a queue message in the consumer", () => {
  const record = (i: number, model = "credit-risk", time = "2026-12-06T19:23:38.772Z") =>
    JSON.stringify({ format: DECISION_FORMAT, id: `c:${i}`, requestId: "r", index: i, time, model, version: "v", answer: {} });

  it("files every record under its own model and time, and refuses lines that are not records", () => {
    const body = [record(0), record(1), "garbage", `${record(2).slice(0, -1)}`, record(3, "other-model", "2026-12-06T20:00:00.000Z"), JSON.stringify({ format: DECISION_FORMAT, id: "x", model: "../up", time: "2026-12-06T19:00:00.000Z" })].join("\n");
    const { lines, refused } = readMessage(body);
    expect(lines.map((l) => [JSON.parse(l.line).id, l.model, l.time])).toEqual([
      ["c:0", "credit-risk", "2026-12-06T19:23:38.772Z"],
      ["c:1", "credit-risk", "2026-12-06T19:23:38.772Z"],
      ["c:3", "other-model", "2026-12-06T20:00:00.000Z"],
    ]);
    // "garbage", the truncated record and the model name that is not one.
    expect(refused).toBe(3);
    expect(readMessage({ not: "text" })).toEqual({ lines: [], refused: 1 });
  });
});
