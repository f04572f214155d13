/**
 * End to end, a CSV whose column names are arktype syntax or inherited object
 * properties: trained, published, served by the Worker in workerd (predict and
 * the model's OpenAPI document) and scored offline by `npm run score`'s job.
 * Every name travels as the plain key it is.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL_FILE, WEIGHTS_FILE } from "../shared/artifact.ts";
import { networkFromFiles } from "../shared/network.ts";
import { predict, type ClassificationPrediction } from "../shared/predict.ts";
import { seededRandom } from "../shared/random.ts";
import { createScorer } from "../shared/scorer.ts";
import { useBackend } from "../train/fit/backend.ts";
import { publishTo, runJob, type JobResult } from "../train/job.ts";
import { runScore } from "../train/score/run.ts";
import { createS3Client } from "../train/store/storage.ts";
import { quickJob } from "./helpers/train-fixture.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const NUMERIC = ["Amount?", "+", "...", 'say "hi"', "back\\slash", "\\[x]", "x\\?"];
/** Numeric, some cells empty. */
const NULLABLE = "constructor";
const CATEGORY = "[string]";
/** Categorical, some cells empty. */
const NULLABLE_CATEGORY = "toString";
const HEADER = [...NUMERIC, NULLABLE, CATEGORY, NULLABLE_CATEGORY, "Status"];
const MODEL = "odd-names";

/** 600 applicants; the outcome leans on `Amount?`, `+` and `[string]`. */
function records(): string[][] {
  const random = seededRandom(7);
  return Array.from({ length: 600 }, (_, i) => {
    const x = NUMERIC.map(() => Math.round((random() * 4 - 2) * 1000) / 1000 + 0.0005);
    const cat = ["a", "b", "c"][Math.floor(random() * 3)]!;
    const z = 1.5 * x[0]! - x[1]! + (cat === "a" ? 1 : -0.5);
    const bad = random() < 1 / (1 + Math.exp(-z));
    return [...x.map(String), i % 5 === 0 ? "" : String(Math.round(random() * 1e4) / 100), cat, i % 7 === 0 ? "" : random() < 0.5 ? "p" : "q", bad ? "bad" : "good"];
  });
}

/** A CSV record as the JSON instance the edge receives: numbers parsed; an empty cell left out (even rows) or sent as null (odd rows). */
function instanceOf(rec: string[], i: number): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {};
  HEADER.forEach((h, c) => {
    const cell = rec[c]!;
    if (h === "Status") return;
    if (cell === "") { if (i % 2) Object.defineProperty(out, h, { value: null, enumerable: true }); return; }
    Object.defineProperty(out, h, { value: h === CATEGORY || h === NULLABLE_CATEGORY ? cell : Number(cell), enumerable: true });
  });
  return out;
}

let dir: string;
let csv: string;
let rows: string[][];
let trained: JobResult;
let w: TestWorker;
/** The first 40 applicants, as instances, with the probabilities Node computes for them. */
let cases: { instance: Record<string, number | string | null>; p: ClassificationPrediction }[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "edgescore-odd-names-"));
  rows = records();
  csv = join(dir, "applicants.csv");
  writeFileSync(csv, stringify([HEADER, ...rows]));
  const job = quickJob();
  trained = await runJob(quickJob({
    data: csv, spec: undefined, testRows: undefined, modelName: MODEL, categorical: [], thresholds: { refer: 0.4, decline: 0.6 },
    train: { ...job.train, hidden: [8], epochs: 3, batchSize: 64, learningRate: 0.01 },
  }), { log: () => {} });
  const a = trained.artifact!;
  await useBackend("cpu");
  const scorer = createScorer(a.manifest, await networkFromFiles(a.files.get(MODEL_FILE)!, a.files.get(WEIGHTS_FILE)!));
  const instances = rows.slice(0, 40).map(instanceOf);
  const p = predict(scorer, instances, 4) as ClassificationPrediction[]; // the edge's default REASONS_TOP_K
  cases = instances.map((instance, i) => ({ instance, p: p[i]! }));
  w = await startWorker();
  await publishTo(w.s3, a);
}, 180_000);
afterAll(async () => { await w?.dispose(); });

describe("a model whose columns are named like validator syntax", () => {
  it("answers /predict 200 with the probabilities Node computes (|Δp| < 1e-5), and its reasons and warnings name the features as spelt", async () => {
    const res = await w.post(`/models/${MODEL}/predict?explain=true`, { instances: cases.map((c) => c.instance) });
    expect(res.status).toBe(200);
    const got = ((await res.json()) as { predictions: ClassificationPrediction[] }).predictions;
    got.forEach((p, i) => {
      const want = cases[i]!.p;
      expect(Math.abs(p.probability - want.probability)).toBeLessThan(1e-5);
      expect(p.warnings).toEqual(want.warnings);
      expect(p.reasons?.map((r) => [r.feature, r.value])).toEqual(want.reasons?.map((r) => [r.feature, r.value]));
    });
    const imputed = got.flatMap((p) => p.warnings.filter((x) => x.code === "imputed").map((x) => x.feature));
    expect(new Set(imputed)).toEqual(new Set([NULLABLE, NULLABLE_CATEGORY]));
    for (const r of got.flatMap((p) => p.reasons ?? [])) expect(HEADER).toContain(r.feature);
  });

  it("refuses, with 422 and details, an instance without `Amount?` or with an unknown field", async () => {
    const { "Amount?": _amount, ...rest } = cases[0]!.instance;
    const res = await w.post(`/models/${MODEL}/predict`, { instances: [{ ...rest, Amount: 1 }] });
    expect(res.status).toBe(422);
    const details = ((await res.json()) as { error: { details: { path: string; expected: string }[] } }).error.details;
    expect(details).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: "instances[0].Amount?", expected: "a finite number" }),
      expect.objectContaining({ path: "instances[0].Amount", expected: "no such feature (unknown fields are rejected)" }),
    ]));
  });

  it("documents itself in a valid OpenAPI document whose instance schema names every feature literally and accepts the instances served", async () => {
    const res = await w.fetch(`/models/${MODEL}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { components: { schemas: { Instance: { properties: Record<string, unknown>; required: string[] } } } };
    await SwaggerParser.validate(structuredClone(doc) as never);
    const instance = doc.components.schemas.Instance;
    // Besides the features: the deployment's pass-through key (PASS_THROUGH_KEY, "_key" by default).
    expect(Object.keys(instance.properties).sort()).toEqual([...HEADER.filter((h) => h !== "Status"), "_key"].sort());
    expect([...instance.required].sort()).toEqual([...NUMERIC, CATEGORY].sort());
    // ownProperties: JSON has no prototype, and by default Ajv reads a left-out "constructor" as Object's.
    const validate = new Ajv2020({ strict: true, allowUnionTypes: true, ownProperties: true }).compile(instance);
    for (const c of cases) expect([validate(c.instance), validate.errors]).toEqual([true, null]);
  });

  it("is scored by npm run score's job: every row the probability Node computes; rows the edge would refuse go to the rejects file, named as spelt", async () => {
    const client = createS3Client(w.s3);
    const data = join(dir, "to-score.csv");
    const bad = (column: string, value: string) => rows[1]!.map((cell, c) => (HEADER[c] === column ? value : cell));
    writeFileSync(data, stringify([HEADER, ...rows, bad("+", "abc"), bad(CATEGORY, "zz")]));
    const out = join(dir, "scores.csv");
    try {
      const r = await runScore({ data, out, version: "current", reasons: 1, backend: "cpu" }, { location: { client, bucket: w.s3.bucket, name: MODEL }, log: () => {} });
      expect(r.data).toMatchObject({ records: 602, scored: 600, rejected: 2 });
    } finally {
      client.destroy();
    }
    const scored = parse(readFileSync(out, "utf8"), { columns: true }) as Record<string, string>[];
    cases.forEach((c, i) => expect(Math.abs(Number(scored[i]!.probability) - c.p.probability)).toBeLessThan(1e-5));
    const rejects = parse(readFileSync(join(dir, "scores.rejects.csv"), "utf8"), { columns: true }) as Record<string, string>[];
    expect(rejects.map((x) => [x.line, x.reason])).toEqual([
      // A reason starting with a feature named "+" is a formula to a spreadsheet: neutralised with a leading '.
      ["602", `'+: expected a finite number, received "abc"`],
      ["603", '[string]: expected one of "a", "b", "c", received "zz"'],
    ]);
  });
});
