/**
 * Property-based abuse of POST /predict in workerd: thousands of malformed,
 * mistyped, oversized and hostile requests. Each must get a documented 4xx
 * with the JSON error shape (never a 5xx, never a crash), and the very next
 * valid request must still get the right probability. Logs are captured and
 * must never contain what the client sent.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishTo } from "../train/job.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SENTINEL = "sentinel-7d1f";

const applicant: Record<string, unknown> = { Seniority: 9, Home: "rent", Time: 60, Age: 30, Marital: "married", Records: "no", Job: "freelance", Expenses: 73, Income: 129, Assets: 0, Debt: 0, Amount: 800, Price: 846 };
const numeric = ["Seniority", "Time", "Age", "Expenses", "Income", "Assets", "Debt", "Amount", "Price"];
const categorical = ["Home", "Marital", "Records", "Job"];
const required = ["Seniority", "Time", "Age", "Expenses", "Amount", "Price", "Records"];

interface BadRequest { kind: string; body: string | Uint8Array; contentType?: string; expect: number[] }

const json = (v: unknown) => JSON.stringify(v);
const withInstance = (inst: string) => `{"instances":[${inst}]}`;
/** The applicant's JSON with one field's raw JSON text replaced (keeps other fields valid). */
const replaceField = (field: string, raw: string) => {
  const rest = { ...applicant };
  delete rest[field];
  return `{${json(field)}:${raw},${json(rest).slice(1)}`;
};

const badValue = fc.oneof(
  fc.string({ maxLength: 20 }).map((s) => json(`${SENTINEL}${s}`)),
  fc.boolean().map(json),
  fc.constantFrom("1e309", "-1e309", "[]", "{}", '{"a":1}', "[1,2]", '"12"', '""'),
  fc.integer({ min: 1, max: 50_000 }).map((n) => `[${"[".repeat(n)}${"]".repeat(n)}]`),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => json("x".repeat(n))),
);

const badRequests: fc.Arbitrary<BadRequest> = fc.oneof(
  fc.string({ maxLength: 200 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } })
    .map((s): BadRequest => ({ kind: "malformed JSON", body: s, expect: [400] })),
  fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/jsonp", "text/json", "")
    .map((ct): BadRequest => ({ kind: "wrong content type", body: withInstance(json(applicant)), contentType: ct, expect: [415] })),
  fc.constant<BadRequest>({ kind: "empty body", body: "", expect: [400] }),
  fc.jsonValue().filter((v) => typeof v !== "object" || v === null || Array.isArray(v))
    .map((v): BadRequest => ({ kind: "non-object root", body: json(v), expect: [400] })),
  fc.oneof(
    fc.constant("{}"), fc.constant('{"instances":null}'), fc.constant('{"instances":{}}'), fc.constant('{"instances":[]}'),
    fc.jsonValue().filter((v) => !Array.isArray(v)).map((v) => `{"instances":${json(v)}}`),
    fc.string({ minLength: 1, maxLength: 10 }).filter((k) => k !== "instances").map((k) => `{"instances":[${json(applicant)}],${json(k)}:1}`),
  ).map((b): BadRequest => ({ kind: "bad envelope", body: b, expect: [400] })),
  fc.integer({ min: 1001, max: 1500 }).map((n): BadRequest => ({ kind: "over the batch limit", body: `{"instances":[${Array(n).fill('{"Age":1}').join(",")}]}`, expect: [413] })),
  fc.tuple(fc.constantFrom(...numeric, ...categorical), badValue)
    .map(([f, raw]): BadRequest => ({ kind: "wrong value type", body: withInstance(replaceField(f, raw)), expect: [422] })),
  fc.tuple(fc.constantFrom(...numeric), fc.double({ max: -1e-9, noNaN: true, noDefaultInfinity: true }))
    .map(([f, x]): BadRequest => ({ kind: "out of range", body: withInstance(replaceField(f, json(x))), expect: [422] })),
  fc.tuple(fc.constantFrom(...categorical), fc.string({ maxLength: 30 }))
    .map(([f, v]): BadRequest => ({ kind: "unknown category", body: withInstance(replaceField(f, json(`${v}${SENTINEL}`))), expect: [422] })),
  fc.subarray(required, { minLength: 1 }).map((missing): BadRequest => {
    const inst = { ...applicant };
    for (const m of missing) delete inst[m];
    return { kind: "missing required feature", body: withInstance(json(inst)), expect: [422] };
  }),
  fc.tuple(fc.oneof(fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "income", "INCOME", ""), fc.string({ maxLength: 12 })), fc.jsonValue({ maxDepth: 2 }))
    .filter(([k]) => !(k in applicant))
    .map(([k, v]): BadRequest => ({ kind: "extra or prototype key", body: withInstance(`{${json(k)}:${json(v)},${json(applicant).slice(1)}`), expect: [422] })),
  fc.integer({ min: 2, max: 4 }).map((mb): BadRequest => ({ kind: "multi-megabyte body", body: withInstance(replaceField("Home", json("h".repeat(mb * 1024 * 1024)))), expect: [413] })),
  fc.tuple(fc.integer({ min: 0, max: 200 }), fc.constantFrom([0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80])).map(([at, bytes]): BadRequest => {
    const valid = new TextEncoder().encode(withInstance(json({ ...applicant, Home: "rent rent rent" })));
    const i = Math.min(at, valid.length - 1);
    const body = new Uint8Array([...valid.slice(0, i), ...bytes, ...valid.slice(i)]);
    return { kind: "invalid UTF-8", body, expect: [400] };
  }),
  fc.tuple(fc.constantFrom(...numeric), fc.integer({ min: 0, max: 500 }))
    .map(([f, x]): BadRequest => ({ kind: "duplicate key", body: withInstance(`{${json(f)}:${x},${json(applicant).slice(1)}`), expect: [400] })),
);

describe("fuzzing POST /predict", () => {
  let w: TestWorker;
  let expected = NaN;
  beforeAll(async () => {
    w = await startWorker();
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
    const res = await w.post("/predict?explain=false", { instances: [applicant] });
    expected = ((await res.json()) as { predictions: { probability: number }[] }).predictions[0]!.probability;
  });
  afterAll(async () => { await w.dispose(); });

  it(`answers ${RUNS} generated bad requests with a documented 4xx, then the next valid request correctly`, async () => {
    const counts = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(badRequests, async (req) => {
        counts.set(req.kind, (counts.get(req.kind) ?? 0) + 1);
        const headers: Record<string, string> = req.contentType === undefined ? { "content-type": "application/json" } : req.contentType ? { "content-type": req.contentType } : {};
        // Multi-megabyte bodies go on a fresh connection (see postFresh): the answer asserted is the same.
        const { status, text } = req.body.length > 1024 * 1024
          ? await w.postFresh("/predict", req.body, headers)
          : await w.fetch("/predict", { method: "POST", headers, body: req.body }).then(async (r) => ({ status: r.status, text: await r.text() }));
        expect(req.expect, `${req.kind}: ${text.slice(0, 300)}`).toContain(status);
        const body = JSON.parse(text) as { error: { code: string; message: string } };
        expect(typeof body.error.code).toBe("string");
        expect(body.error.message.length).toBeGreaterThan(0);
        expect(text.length).toBeLessThan(10_000);
        const next = await w.post("/predict?explain=false", { instances: [applicant] });
        expect(next.status).toBe(200);
        expect(((await next.json()) as { predictions: { probability: number }[] }).predictions[0]!.probability).toBe(expected);
      }),
      { numRuns: RUNS, seed: 20261129 },
    );
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    console.log(`fuzz: ${total} bad requests, 0 5xx, ${total} valid follow-ups answered correctly; by kind: ${[...counts].map(([k, n]) => `${k} ${n}`).join(", ")}`);
    expect(total).toBe(RUNS);
    expect(counts.size).toBeGreaterThanOrEqual(12);
  }, 600_000);

  it("accepts -0 and the largest finite numbers as numbers (valid JSON, valid values)", async () => {
    const zero = await w.post("/predict?explain=false", `{"instances":[${replaceField("Assets", "-0")}]}`);
    expect(zero.status).toBe(200);
    const huge = await w.post("/predict?explain=false", { instances: [{ ...applicant, Assets: 1.7976931348623157e308 }] });
    expect(huge.status).toBe(200);
    const p = ((await huge.json()) as { predictions: { probability: number }[] }).predictions[0]!.probability;
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThanOrEqual(1);
  });

  it("never logs what the client sent: no feature values, no sentinels", () => {
    const logs = w.logs.join("\n");
    expect(w.logs.length).toBeGreaterThan(RUNS);
    expect(logs).not.toContain(SENTINEL);
    expect(logs).not.toMatch(/"Income"|"Home"|freelance|married/);
  });
});
