/**
 * The API as a client developer meets it, in workerd: 404 for names never
 * published, OpenAPI documents that validate and agree with the validator,
 * correlation ids, warnings for clipped and imputed values, --strict-ranges,
 * messages for the first mistakes people make, 405 with Allow.
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishTo, runJob } from "../train/job.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { quickJob } from "./helpers/train-fixture.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const applicant = { Seniority: 9, Home: "rent", Time: 60, Age: 30, Marital: "married", Records: "no", Job: "freelance", Expenses: 73, Income: 129, Assets: 0, Debt: 0, Amount: 800, Price: 846 };

interface ErrorBody { error: { code: string; message: string; details?: { path: string; expected: string; received: string }[] } }
interface Prediction { probability: number; decision: string; _key?: unknown; warnings: { feature: string; code: string; message: string }[] }
interface PredictBody { id?: string; model: { name: string; version: string }; predictions: Prediction[] }
type Doc = { components: { schemas: { Instance: Record<string, unknown> } } } & Record<string, unknown>;

describe("the API for client developers", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker();
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
  });
  afterAll(async () => { await w.dispose(); });

  it("answers 404 model_not_found, never 503, for a name that was never published, on every route", async () => {
    for (const [path, init] of [
      ["/models/nope/predict", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ instances: [applicant] }) }],
      ["/models/nope", {}],
      ["/models/nope/openapi.json", {}],
      ["/models/NOT%20A%20NAME/predict", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }],
    ] as const) {
      const res = await w.fetch(path, init);
      expect([path, res.status, ((await res.json()) as ErrorBody).error.code, res.headers.get("retry-after")]).toEqual([path, 404, "model_not_found", null]);
    }
  });

  it("publishes OpenAPI 3.1 documents that validate, whose instance schema accepts and refuses what the service does", async () => {
    const generic = (await (await w.fetch("/openapi.json")).json()) as Doc;
    const model = (await (await w.fetch("/models/credit-risk/openapi.json")).json()) as Doc;
    for (const doc of [generic, model]) await SwaggerParser.validate(structuredClone(doc) as never);
    expect(Object.keys(model.paths as object)).toEqual(["/models/credit-risk/predict", "/predict"]);
    expect(JSON.stringify(generic)).not.toContain("credit-risk");
    // /healthz is public, but credentials that fail are a 401 (and count toward the rate limit: 429).
    const health = (generic.paths as Record<string, { get: { responses: Record<string, unknown> } }>)["/healthz"]!.get.responses;
    expect(Object.keys(health)).toEqual(["200", "401", "429", "503"]);

    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const accepts = ajv.compile(model.components.schemas.Instance);
    const valid = [applicant, ...fixtures().parity.slice(0, 200).map((c) => c.instance), { ...applicant, _key: "row-17" }, { ...applicant, Income: null }, { ...applicant, _key: "😀".repeat(128) }];
    const invalid = [
      { ...applicant, income: 5 }, { ...applicant, Age: "30" }, { ...applicant, Home: "castle" }, { ...applicant, Income: -1 },
      { ...applicant, Age: null }, (({ Age: _a, ...rest }) => rest)(applicant), { ...applicant, _key: "k".repeat(129) }, { ...applicant, _key: true }, { ...applicant, _key: "😀".repeat(129) },
    ];
    for (const instance of [...valid, ...invalid]) {
      const res = await w.post("/predict?explain=false", { instances: [instance] });
      expect([JSON.stringify(instance).slice(0, 80), accepts(instance)]).toEqual([JSON.stringify(instance).slice(0, 80), res.status === 200]);
    }
    expect(valid.every((i) => accepts(i))).toBe(true);
  });

  it("echoes the request's id, each instance's pass-through key, and a well-formed X-Request-Id", async () => {
    const res = await w.post("/predict?explain=false", { id: "req-2026-001", instances: [{ ...applicant, _key: "a-17" }, applicant, { ...applicant, _key: 42 }] }, { "x-request-id": "client.trace-0042" });
    const body = (await res.json()) as PredictBody;
    expect(res.status).toBe(200);
    expect(body.id).toBe("req-2026-001");
    expect(body.predictions.map((p) => p._key)).toEqual(["a-17", undefined, 42]);
    expect(Object.keys(body.predictions[0]!)[0]).toBe("_key");
    expect(res.headers.get("x-request-id")).toBe("client.trace-0042");
    expect(w.logs.some((l) => l.includes('"id":"client.trace-0042"'))).toBe(true);
    const odd = await w.post("/predict", { instances: [applicant] }, { "x-request-id": "<script>" });
    expect(odd.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const badId = await w.post("/predict", { id: 7, instances: [applicant] });
    expect([badId.status, ((await badId.json()) as ErrorBody).error.details?.[0]?.path]).toEqual([400, "id"]);
    // 1 to 128 characters as JSON Schema counts them (code points): 128 emoji are 256 UTF-16 units.
    const emojiId = await w.post("/predict?explain=false", { id: "😀".repeat(128), instances: [applicant] });
    expect([emojiId.status, ((await emojiId.json()) as { id?: string }).id]).toEqual([200, "😀".repeat(128)]);
    expect((await w.post("/predict", { id: "😀".repeat(129), instances: [applicant] })).status).toBe(400);
  });

  it("warns when a value was clipped to the training range or imputed, and not otherwise", async () => {
    const res = await w.post("/predict?explain=false", { instances: [applicant, { ...applicant, Age: 250, Income: 1e308 }, { ...applicant, Income: null, Home: null }] });
    const [plain, clipped, imputed] = ((await res.json()) as PredictBody).predictions;
    expect(plain!.warnings).toEqual([]);
    expect(clipped!.warnings.map((x) => [x.feature, x.code])).toEqual([["Age", "clipped"], ["Income", "clipped"]]);
    expect(clipped!.warnings[0]!.message).toMatch(/^250 is outside the range the model was fitted on \(\d+ to \d+\); scored as \d+$/);
    expect(imputed!.warnings.map((x) => [x.feature, x.code])).toEqual([["Home", "imputed"], ["Income", "imputed"]]);
  });

  it("refuses out-of-range values with 422 for a model trained with --strict-ranges", async () => {
    const result = await runJob(quickJob({ strictRanges: true, modelName: "credit-risk-strict", train: { ...quickJob().train, epochs: 1 } }), { log: () => {} });
    await publishTo(w.s3, result.artifact!);
    const age = result.spec.features.find((f) => f.name === "Age")!;
    expect(age.type === "numeric" && [age.min, age.max]).toEqual([18, 68]);
    const ok = await w.post("/models/credit-risk-strict/predict", { instances: [applicant] });
    expect(ok.status).toBe(200);
    const res = await w.post("/models/credit-risk-strict/predict", { instances: [{ ...applicant, Age: 250 }] });
    const body = (await res.json()) as ErrorBody;
    expect([res.status, body.error.code]).toEqual([422, "invalid_instance"]);
    expect(body.error.message).toContain("outside its training range");
    expect(body.error.details).toEqual([{ path: "instances[0].Age", expected: "a number from 18 to 68", received: "250" }]);
    // Inside the data's range but above the fitted 99.9 % quantile: accepted, and clipped with a warning (as the README says).
    const step = result.artifact!.manifest.preprocess.steps.find((x) => x.name === "Age")!;
    expect(step.kind === "numeric" && step.hi).toBeLessThan(68);
    const edge = (await (await w.post("/models/credit-risk-strict/predict?explain=false", { instances: [{ ...applicant, Age: 68 }] })).json()) as PredictBody;
    expect(edge.predictions[0]!.warnings.map((x) => [x.feature, x.code])).toEqual([["Age", "clipped"]]);
  });

  it("tells a client that sent one applicant without the wrapper to wrap it", async () => {
    for (const sent of [applicant, { instances: applicant }, [applicant]]) {
      const body = (await (await w.post("/predict", sent)).json()) as ErrorBody;
      expect(body.error.code).toBe("invalid_request");
      expect(body.error.message).toMatch(/wrap|send an object/);
      expect(body.error.message).not.toContain("unknown top-level");
    }
    const body = (await (await w.post("/predict", applicant)).json()) as ErrorBody;
    expect(body.error.message).toBe('the body looks like one applicant\'s features: wrap it as {"instances": [ ... ]}');
  });

  it("names the line and column where a body stops being JSON", async () => {
    const res = await w.post("/predict", '{\n  "instances": [\n    {"Age": 30,}\n  ]\n}');
    const body = (await res.json()) as ErrorBody;
    expect([res.status, body.error.code]).toEqual([400, "invalid_json"]);
    expect(body.error.message).toBe("the body is not valid JSON: expected a property name in double quotes at line 3, column 16");
    // Keys written as JavaScript would (bare or single-quoted) are named as keys, where they start; a bad value is not.
    for (const [sent, expected] of [
      ['{"instances": [{Age: 30}]}', "expected a property name in double quotes at line 1, column 17"],
      ["{'instances': []}", "expected a property name in double quotes at line 1, column 2"],
      ['{"instances": [x]}', "unexpected character at line 1, column 16"],
    ]) {
      const r = (await (await w.post("/predict", sent!)).json()) as ErrorBody;
      expect([sent, r.error.message]).toEqual([sent, `the body is not valid JSON: ${expected}`]);
    }
  });

  it("answers 405 with Allow for a known path and another method", async () => {
    for (const [method, path, allow] of [["GET", "/predict", "POST"], ["PUT", "/predict", "POST"], ["DELETE", "/models/credit-risk", "GET, HEAD"], ["POST", "/healthz", "GET, HEAD"], ["GET", "/models/x/predict", "POST"]]) {
      const res = await w.fetch(path!, { method });
      expect([method, path, res.status, res.headers.get("allow")]).toEqual([method, path, 405, allow]);
      expect(((await res.json()) as ErrorBody).error.code).toBe("method_not_allowed");
    }
    expect((await w.fetch("/no/such/route")).status).toBe(404);
  });
});
