/**
 * The Worker as deployed (wrangler's bundle) in workerd, reading models that
 * the training code published through R2's S3 API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { thresholdsOf } from "../shared/artifact.ts";
import { publishTo } from "../train/job.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const applicant = { Seniority: 9, Home: "rent", Time: 60, Age: 30, Marital: "married", Records: "no", Job: "freelance", Expenses: 73, Income: 129, Assets: 0, Debt: 0, Amount: 800, Price: 846 };

interface PredictBody {
  model: { name: string; version: string };
  predictions: { probability: number; decision: string; reasons?: { feature: string; value: unknown; impact: number; text: string }[] }[];
}
interface ErrorBody { error: { code: string; message: string; details?: { path: string; expected: string; received: string }[] } }

describe("POST /predict", () => {
  let w: TestWorker;
  const a = () => readArtifact(fixtures().artifactDirs[0]);
  // Refresh 0: a name found unpublished is looked up again at once (the first test publishes after a 404).
  beforeAll(async () => { w = await startWorker({ MODEL_REFRESH_SECONDS: "0" }); });
  afterAll(async () => { await w.dispose(); });

  it("answers 404 model_not_found, without Retry-After, when no model is published; the hint to publish is for operators only", async () => {
    const res = await w.post("/predict", { instances: [applicant] });
    expect(res.status).toBe(404);
    expect(res.headers.get("retry-after")).toBeNull();
    const body = (await res.json()) as ErrorBody & { error: { hint?: string } };
    expect(body.error.code).toBe("model_not_found");
    expect(body.error.message).not.toContain("npm run train");
    // AUTH_MODE=off (local dev): the caller has every scope, so the operator hint is there.
    expect(body.error.hint).toContain("npm run train");
  });

  it("scores every test applicant with the training side's probability (train/serve parity, |diff| < 1e-5)", async () => {
    await publishTo(w.s3, a());
    const cases = fixtures().parity;
    expect(cases.length).toBe(891);
    const res = await w.post("/predict?explain=false", { instances: cases.map((c) => c.instance) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as PredictBody;
    expect(body.model).toEqual({ name: "credit-risk", version: a().version });
    expect(body.predictions).toHaveLength(891);
    let worst = 0;
    body.predictions.forEach((p, i) => { worst = Math.max(worst, Math.abs(p.probability - (cases[i]?.expected ?? NaN))); });
    expect(worst).toBeLessThan(1e-5);
    expect(body.predictions[0]?.reasons).toBeUndefined();
  });

  it("gives the same probability alone as in a batch, with a decision from the manifest thresholds", async () => {
    const c = fixtures().parity[3]!;
    const body = (await (await w.post("/predict", { instances: [c.instance] })).json()) as PredictBody;
    const p = body.predictions[0]!;
    expect(Math.abs(p.probability - c.expected)).toBeLessThan(1e-5);
    const t = thresholdsOf(a().manifest);
    expect(p.decision).toBe(p.probability >= t.decline ? "decline" : p.probability >= t.refer ? "refer" : "approve");
  });

  it("explains each score with up to 4 reasons that raised the risk, largest first", async () => {
    const res = await w.post("/predict", { instances: [applicant, { ...applicant, Records: "yes", Income: null }] });
    const body = (await res.json()) as PredictBody;
    for (const p of body.predictions) {
      const reasons = p.reasons!;
      expect(reasons.length).toBeGreaterThan(0);
      expect(reasons.length).toBeLessThanOrEqual(4);
      for (const r of reasons) {
        expect(r.impact).toBeGreaterThan(0);
        expect(r.text).toMatch(/raised the estimated risk$/);
        expect(Object.keys(applicant)).toContain(r.feature);
      }
      expect([...reasons].sort((x, y) => y.impact - x.impact)).toEqual(reasons);
    }
    // Prior default records must show up as a reason for the second applicant, with its own value.
    const records = body.predictions[1]!.reasons!.find((r) => r.feature === "Records");
    expect(records?.value).toBe("yes");
  });

  it("answers the model card at GET /models/:name and 404 for an unknown model", async () => {
    const card = (await (await w.fetch("/models/credit-risk")).json()) as { version: string; features: { name: string }[]; card: { metrics: { test: { auc: number } } } };
    expect(card.version).toBe(a().version);
    expect(card.features.map((f) => f.name)).toContain("Income");
    expect(card.card.metrics.test.auc).toBeGreaterThan(0.5);
    const missing = await w.fetch("/models/no-such-model");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorBody).error.code).toBe("model_not_found");
  });

  it("serves the model's OpenAPI document with its instance schema, and /healthz with the backend", async () => {
    const doc = (await (await w.fetch("/models/credit-risk/openapi.json")).json()) as { openapi: string; components: { schemas: { Instance: { properties: Record<string, unknown> } } } };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.components.schemas.Instance.properties)).toContain("Assets");
    const health = (await (await w.fetch("/healthz")).json()) as { ok: boolean; backend: string; models: Record<string, { version?: string }> };
    expect(health.ok).toBe(true);
    expect(health.backend).toBe("wasm");
    expect(health.models["credit-risk"]?.version).toBe(a().version);
  });

  describe("rejects bad input with a 4xx and the error shape, never a 5xx", () => {
    const json = { "content-type": "application/json" };
    const cases: [string, () => Promise<Response>, number, string, string?][] = [
      ["malformed JSON", () => w.fetch("/predict", { method: "POST", headers: json, body: "{\"instances\": [" }), 400, "invalid_json"],
      ["a text/plain body", () => w.fetch("/predict", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" }), 415, "unsupported_media_type", "Content-Type"],
      ["no content type", () => w.fetch("/predict", { method: "POST", body: "{}" }), 415, "unsupported_media_type", "Content-Type"],
      ["a gzip body", () => w.fetch("/predict", { method: "POST", headers: { ...json, "content-encoding": "gzip" }, body: new Uint8Array([0x1f, 0x8b, 8, 0]) }), 415, "unsupported_media_type", "Content-Encoding"],
      ["an array root", () => w.post("/predict", [applicant]), 400, "invalid_request", "$"],
      ["no instances", () => w.post("/predict", {}), 400, "invalid_request", "instances"],
      ["instances not an array", () => w.post("/predict", { instances: applicant }), 400, "invalid_request", "instances"],
      ["empty instances", () => w.post("/predict", { instances: [] }), 400, "invalid_request", "instances"],
      ["an unknown top-level field", () => w.post("/predict", { instances: [applicant], signature_name: "x" }), 400, "invalid_request", "signature_name"],
      ["1001 instances", () => w.post("/predict", { instances: Array.from({ length: 1001 }, () => applicant) }), 413, "batch_too_large", "instances"],
      ["a 2 MB body", async () => {
        const r = await w.postFresh("/predict", JSON.stringify({ instances: [{ ...applicant, Home: "x".repeat(2_000_000) }] }), json);
        return new Response(r.text, { status: r.status });
      }, 413, "body_too_large", "body"],
      ["text in a numeric feature", () => w.post("/predict", { instances: [{ ...applicant, Income: "129" }] }), 422, "invalid_instance", "instances[0].Income"],
      ["a negative income", () => w.post("/predict", { instances: [{ ...applicant, Income: -5 }] }), 422, "invalid_instance", "instances[0].Income"],
      ["1e309 (Infinity)", () => w.post("/predict", `{"instances":[${JSON.stringify(applicant).replace('"Income":129', '"Income":1e309')}]}`), 422, "invalid_instance", "instances[0].Income"],
      ["an unknown category", () => w.post("/predict", { instances: [{ ...applicant, Home: "castle" }] }), 422, "invalid_instance", "instances[0].Home"],
      ["a missing required feature", () => w.post("/predict", { instances: [{ ...applicant, Age: undefined }] }), 422, "invalid_instance", "instances[0].Age"],
      ["null for a feature that is never missing", () => w.post("/predict", { instances: [{ ...applicant, Age: null }] }), 422, "invalid_instance", "instances[0].Age"],
      ["an unknown feature", () => w.post("/predict", { instances: [{ ...applicant, income: 5 }] }), 422, "invalid_instance", "instances[0].income"],
      ["a __proto__ key", () => w.post("/predict", `{"instances":[${JSON.stringify(applicant).replace("{", '{"__proto__":{"x":1},')}]}`), 422, "invalid_instance", "instances[0].__proto__"],
      ["a non-object instance", () => w.post("/predict", { instances: [applicant, 42] }), 422, "invalid_instance", "instances[1]"],
      ["explain=maybe", () => w.post("/predict?explain=maybe", { instances: [applicant] }), 400, "invalid_request"],
    ];
    it.each(cases)("%s", async (_name, send, status, code, path) => {
      const res = await send();
      expect(res.status).toBe(status);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe(code);
      expect(body.error.message.length).toBeGreaterThan(0);
      if (path) expect(body.error.details?.map((d) => d.path)).toContain(path);
      // The next valid request is still answered.
      expect((await w.post("/predict?explain=false", { instances: [applicant] })).status).toBe(200);
    });

    it("counts the invalid instances in a sentence that agrees with its numbers", async () => {
      const bad = { ...applicant, Home: "castle" };
      for (const [instances, message] of [
        [[applicant, bad, applicant], "1 of 3 instances is invalid; nothing was scored"],
        [[bad, bad, applicant], "2 of 3 instances are invalid; nothing was scored"],
        [[bad], "1 of 1 instance is invalid; nothing was scored"],
      ] as const) {
        const body = (await (await w.post("/predict", { instances })).json()) as ErrorBody;
        expect(body.error.message).toBe(message);
      }
    });

    it("says a number must be finite when it was not (1e400 parses as Infinity)", async () => {
      const res = await w.post("/predict", `{"instances":[${JSON.stringify({ ...applicant, _key: 0 }).replace('"Income":129', '"Income":1e400').replace('"_key":0', '"_key":-1e400')}]}`);
      const details = ((await res.json()) as ErrorBody).error.details ?? [];
      expect(details.map((d) => [d.path, d.received])).toEqual([["instances[0].Income", "Infinity"], ["instances[0]._key", "-Infinity"]]);
      expect(details.map((d) => d.expected)).toEqual([expect.stringMatching(/^a finite number/), "a string of at most 128 characters or a finite number (echoed back)"]);
    });

    it("a wrong Content-Type or Content-Encoding is named in the answer", async () => {
      const type = (await (await w.fetch("/predict", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" })).json()) as ErrorBody;
      expect(type.error.details).toEqual([{ path: "Content-Type", expected: "application/json", received: '"text/plain"' }]);
      const gzip = (await (await w.fetch("/predict", { method: "POST", headers: { ...json, "content-encoding": "gzip" }, body: "{}" })).json()) as ErrorBody;
      expect(gzip.error).toMatchObject({ message: "send the JSON body uncompressed (no Content-Encoding)", details: [{ path: "Content-Encoding", expected: "none (identity)", received: '"gzip"' }] });
      const latin1 = await w.fetch("/predict", { method: "POST", headers: { "content-type": "application/json; charset=latin1" }, body: JSON.stringify({ instances: [applicant] }) });
      expect([latin1.status, ((await latin1.json()) as ErrorBody).error.details]).toEqual([415, [{ path: "Content-Type", expected: "charset utf-8", received: '"latin1"' }]]);
      for (const ok of ["application/json; charset=utf-8", "application/json;charset=UTF-8", 'application/json; charset="utf8"']) {
        expect((await w.fetch("/predict?explain=false", { method: "POST", headers: { "content-type": ok }, body: JSON.stringify({ instances: [applicant] }) })).status, ok).toBe(200);
      }
    });

    it("a body over the limit is answered with the limit and the size the client declared", async () => {
      const text = JSON.stringify({ instances: [{ ...applicant, Home: "x".repeat(2_000_000) }] });
      const r = await w.postFresh("/predict", text, json);
      expect(r.status).toBe(413);
      const limit = 1_048_576;
      expect((JSON.parse(r.text) as ErrorBody).error).toEqual({
        code: "body_too_large", message: `the body is larger than ${limit} bytes (MAX_BODY_BYTES): send fewer applicants per request`,
        details: [{ path: "body", expected: `at most ${limit} bytes`, received: `${Buffer.byteLength(text)} bytes` }],
      });
    });

    it("never echoes a huge value back", async () => {
      const res = await w.post("/predict", { instances: [{ ...applicant, Home: "y".repeat(100_000) }] });
      expect(res.status).toBe(422);
      expect((await res.text()).length).toBeLessThan(2_000);
    });
  });
});

describe("model updates", () => {
  let w: TestWorker;
  const [dirA, dirB] = [() => fixtures().artifactDirs[0], () => fixtures().artifactDirs[1]];
  beforeAll(async () => { w = await startWorker({ MODEL_REFRESH_SECONDS: "0" }); });
  afterAll(async () => { await w.dispose(); });

  async function versionServed(): Promise<string> {
    const res = await w.post("/predict?explain=false", { instances: [applicant] });
    return ((await res.json()) as PredictBody).model.version;
  }

  it("refuses a version whose weights do not match the manifest and keeps serving the previous one", async () => {
    const a = readArtifact(dirA());
    await publishTo(w.s3, a);
    expect(await versionServed()).toBe(a.version);
    const b = readArtifact(dirB());
    const weights = b.files.get("weights.bin")!.slice();
    weights[10] = (weights[10]! + 1) % 256;
    b.files.set("weights.bin", weights);
    await publishTo(w.s3, b);
    for (let i = 0; i < 5; i++) expect(await versionServed()).toBe(a.version);
    const health = (await (await w.fetch("/healthz")).json()) as { models: Record<string, { version: string; lastError?: string }> };
    expect(health.models["credit-risk"]?.version).toBe(a.version);
    expect(health.models["credit-risk"]?.lastError).toMatch(/weights\.bin: size or sha256 does not match/);
    expect(w.logs.some((l) => l.includes("model_load_failed"))).toBe(true);
  });

  it("picks up a new version after the refresh interval without a redeploy", async () => {
    const bucket = await w.bucket();
    // Repair the tampered object, then publish a fresh pointer to the same version B (new ETag).
    const b = readArtifact(dirB());
    await bucket.put(`credit-risk/versions/${b.version}/weights.bin`, b.files.get("weights.bin")!);
    const pointer = JSON.parse(await (await bucket.get("credit-risk/current.json"))!.text()) as Record<string, unknown>;
    await bucket.put("credit-risk/current.json", JSON.stringify({ ...pointer, publishedAt: new Date().toISOString() }));
    let served = "";
    for (let i = 0; i < 20 && served !== b.version; i++) served = await versionServed();
    expect(served).toBe(b.version);
  });
});

describe("API keys", () => {
  it("requires a valid bearer key when keys are configured", async () => {
    const w = await startWorker({ AUTH_MODE: "required", API_KEYS: "key-one-0123456789,key-two-0123456789" });
    try {
      const none = await w.post("/predict", { instances: [applicant] });
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toContain("Bearer");
      expect((await w.post("/predict", { instances: [applicant] }, { authorization: "Bearer key-three-0123456789" })).status).toBe(401);
      expect((await w.post("/predict", { instances: [applicant] }, { authorization: "Basic a2V5LW9uZQ==" })).status).toBe(401);
      // Authorised but no model in this bucket: past auth, the 404 says so.
      const ok = await w.post("/predict", { instances: [applicant] }, { authorization: "Bearer key-two-0123456789" });
      expect(ok.status).toBe(404);
      expect(((await ok.json()) as ErrorBody).error.code).toBe("model_not_found");
      expect((await w.fetch("/healthz")).status).toBe(200);
      expect(w.logs.join("\n")).not.toContain("0123456789");
    } finally {
      await w.dispose();
    }
  });

  it("fails closed when the deployed configuration has no keys", async () => {
    const w = await startWorker({ AUTH_MODE: "required" });
    try {
      const res = await w.post("/predict", { instances: [applicant] });
      expect(res.status).toBe(503);
      expect(((await res.json()) as ErrorBody).error.code).toBe("auth_not_configured");
      expect((await w.fetch("/models/credit-risk")).status).toBe(503);
    } finally {
      await w.dispose();
    }
  });
});

describe("response headers", () => {
  it("sets security headers and leaves CORS off by default", async () => {
    const w = await startWorker();
    try {
      const res = await w.fetch("/healthz", { headers: { origin: "https://app.example" } });
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await w.dispose();
    }
  });

  it("answers CORS preflights only for configured origins", async () => {
    const w = await startWorker({ CORS_ORIGINS: "https://app.example" });
    try {
      const preflight = (origin: string) => w.fetch("/predict", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });
      expect((await preflight("https://app.example")).headers.get("access-control-allow-origin")).toBe("https://app.example");
      expect((await preflight("https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await w.dispose();
    }
  });
});

describe("the CPU backend (the automatic fallback when wasm cannot start)", () => {
  it("serves the same probabilities as training (|diff| < 1e-5) and says so in /healthz", async () => {
    // SIMD_KERNEL=off: the reference network is on tfjs too, not on the kernel.
    const w = await startWorker({ TFJS_BACKEND: "cpu", SIMD_KERNEL: "off" });
    try {
      await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
      const cases = fixtures().parity;
      const body = (await (await w.post("/predict?explain=false", { instances: cases.map((c) => c.instance) })).json()) as PredictBody;
      const worst = Math.max(...body.predictions.map((p, i) => Math.abs(p.probability - cases[i]!.expected)));
      expect(worst).toBeLessThan(1e-5);
      const health = (await (await w.fetch("/healthz")).json()) as { backend: string };
      expect(health.backend).toBe("cpu");
      expect(w.logs.some((l) => l.includes('"event":"model_loaded"') && l.includes('"engine":"tfjs"') && l.includes('"reasons":"javascript"') && l.includes('"reasonText":"javascript"'))).toBe(true);
    } finally {
      await w.dispose();
    }
  });
});
