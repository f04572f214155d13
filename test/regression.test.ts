/**
 * A regression model end to end on the bundled cps1988 data: trained by the
 * real job, published over Miniflare's S3 endpoint, served by the built
 * Worker in workerd, scored offline by `npm run score` and judged by
 * `npm run monitor`. Every path answers the training side's values and
 * intervals on the fixed test rows (relative difference < 1e-5).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "csv-parse/sync";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL_FILE, WEIGHTS_FILE } from "../shared/artifact.ts";
import { networkFromFiles } from "../shared/network.ts";
import { predict, scoreWithImpacts, type RegressionPrediction } from "../shared/predict.ts";
import { createScorer } from "../shared/scorer.ts";
import { run as monitorCommand } from "../train/cli/monitor.ts";
import { run as scoreCommand } from "../train/cli/score.ts";
import { checkRmseNotWorse } from "../train/evaluate/gate.ts";
import { evaluateRegression } from "../train/evaluate/regression.ts";
import { cardFacts, testMetrics } from "../train/registry/card.ts";
import { diffManifests } from "../train/registry/diff.ts";
import { signatureChanges } from "../train/registry/signature.ts";
import { readPointer } from "../train/store/publish.ts";
import { createS3Client } from "../train/store/storage.ts";
import { publishTo, runJob, type JobResult } from "../train/job.ts";
import type { RegressionCard } from "../train/report/model/card.ts";
import { launchBrowser, saveScreenshot } from "./helpers/browser.ts";
import { runInProcess } from "./helpers/cli.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { CPS_CSV, CPS_TEST_ROWS, regressionJob } from "./helpers/train-fixture.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";
import { useBackend } from "../train/fit/backend.ts";

interface Case { instance: Record<string, number | string>; line: string[]; value: number; lo: number; hi: number; actual: number }
interface Body { model: { name: string; version: string }; predictions: (RegressionPrediction & Record<string, unknown>)[] }

const SHOTS = join("test-output", "report");
const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

let dir: string;
let w: TestWorker;
let trained: JobResult;
/** A linear regression (no hidden layer: ridge), trained with the Huber loss on log1p of the wage. */
let linear: JobResult;
let header: string[];
let cases: Case[];
let testCsv: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "edgescore-regression-"));
  trained = await runJob(regressionJob(), { log: () => {} });
  const records = parse(readFileSync(CPS_CSV, "utf8")) as string[][];
  header = records[0]!;
  const rows = readFileSync(CPS_TEST_ROWS, "utf8").trim().split("\n").slice(1).map(Number);
  // The test rows in file order are the test matrix's rows (cps1988 has no unusable row).
  cases = rows.map((r, i) => {
    const line = records[r + 1]!;
    const instance: Record<string, number | string> = {};
    header.forEach((h, c) => { if (h !== "wage") instance[h] = ["education", "experience"].includes(h) ? Number(line[c]) : line[c]!; });
    return { instance, line, value: trained.testScores![i]!, lo: trained.testIntervals!.lo[i]!, hi: trained.testIntervals!.hi[i]!, actual: Number(line[0]) };
  });
  testCsv = join(dir, "test.csv");
  writeFileSync(testCsv, [header, ...cases.map((c) => c.line)].map((l) => l.join(",")).join("\n") + "\n");
  linear = await runJob(regressionJob({ modelName: "income-linear", train: { ...regressionJob().train, hidden: [], l2: 1e-4, loss: "huber", targetTransform: "log1p" } }), { log: () => {} });
  w = await startWorker();
  await publishTo(w.s3, trained.artifact!);
  await publishTo(w.s3, linear.artifact!);
  await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
}, 120_000);
afterAll(async () => { await w?.dispose(); });

async function edge(instances: Record<string, unknown>[], explain = false): Promise<Body["predictions"]> {
  const out: Body["predictions"] = [];
  for (let i = 0; i < instances.length; i += 1000) {
    const res = await w.post(`/models/income/predict?explain=${explain}`, { instances: instances.slice(i, i + 1000) });
    expect(res.status).toBe(200);
    out.push(...((await res.json()) as Body).predictions);
  }
  return out;
}

describe("a linear regression (no hidden layer) at the edge", () => {
  it("is trained with the options it was given (Huber loss, log1p target) and served on tfjs, not the SIMD kernel, with the training side's values", async () => {
    const m = linear.artifact!.manifest;
    expect(m.task?.kind === "regression" && m.task.target.transform).toBe("log1p");
    const card = m.card as unknown as { training: { hyperparameters: { loss: string; hidden: number[] } }; model: { layers: string[] } };
    expect(card.training.hyperparameters.loss).toMatch(/^Huber/);
    expect(card.model.layers).toHaveLength(1);
    const sample = cases.slice(0, 1000);
    const res = await w.post("/models/income-linear/predict?explain=false", { instances: sample.map((c) => c.instance) });
    expect(res.status).toBe(200);
    const got = ((await res.json()) as Body).predictions;
    let worst = 0;
    got.forEach((p, i) => { worst = Math.max(worst, relative(p.value, linear.testScores![i]!)); });
    expect(worst).toBeLessThan(1e-5);
  });
});

describe("a regression model at the edge", () => {
  it("is published as format v2 with its task, and meets the training side's card on its own test rows", () => {
    const m = trained.artifact!.manifest;
    expect(m.format).toBe("edgescore.artifact/v2");
    expect(m.task?.kind).toBe("regression");
    expect(cases).toHaveLength(5631);
    const card = m.card as unknown as RegressionCard;
    expect(card.metrics.test.r2).toBeGreaterThan(0.2);
    expect(card.metrics.test.rmse).toBeLessThan(card.metrics.baseline.rmse);
    expect(card.interval.test.coverage).toBeGreaterThan(0.85);
  });

  it("serves every test row's value and interval as training computed them (relative difference < 1e-5), with the card's R² and coverage", async () => {
    const got = await edge(cases.map((c) => c.instance));
    let worst = 0;
    got.forEach((p, i) => {
      const c = cases[i]!;
      worst = Math.max(worst, relative(p.value, c.value), relative(p.interval[0], c.lo), relative(p.interval[1], c.hi));
    });
    expect(worst).toBeLessThan(1e-5);
    const card = trained.artifact!.manifest.card as unknown as RegressionCard;
    const e = evaluateRegression(Float32Array.from(cases.map((c) => c.actual)), got.map((p) => p.value));
    expect(e.r2).toBeCloseTo(card.metrics.test.r2, 5);
    const covered = got.filter((p, i) => cases[i]!.actual >= p.interval[0] && cases[i]!.actual <= p.interval[1]).length / got.length;
    expect(Math.abs(covered - card.interval.test.coverage)).toBeLessThanOrEqual(1 / got.length);
  });

  it("answers {value, interval, reasons, warnings} and nothing of a classifier's; reasons in the target's units, either sign, as Node computes them", async () => {
    await useBackend("cpu");
    const sample = cases.slice(0, 50).map((c) => c.instance);
    const got = await edge(sample, true);
    const a = trained.artifact!;
    const scorer = createScorer(a.manifest, await networkFromFiles(a.files.get(MODEL_FILE)!, a.files.get(WEIGHTS_FILE)!));
    const node = predict(scorer, sample, 4) as RegressionPrediction[];
    const signs = new Set<number>();
    got.forEach((p, i) => {
      expect(Object.keys(p)).toEqual(["value", "interval", "reasons", "warnings"]);
      expect(p.interval[0]).toBeLessThanOrEqual(p.value);
      expect(p.interval[1]).toBeGreaterThanOrEqual(p.value);
      const want = new Map(node[i]!.reasons!.map((r) => [r.feature, r.impact]));
      expect(p.reasons!.map((r) => r.feature)).toEqual([...want.keys()]);
      for (const r of p.reasons!) {
        expect(relative(r.impact, want.get(r.feature)!)).toBeLessThan(1e-4);
        expect(r.text).toBe(`${r.feature} ${r.impact > 0 ? "raised" : "lowered"} the estimated wage`);
        signs.add(Math.sign(r.impact));
      }
      const sizes = p.reasons!.map((r) => Math.abs(r.impact));
      expect(sizes).toEqual([...sizes].sort((x, y) => y - x));
    });
    expect(signs).toEqual(new Set([1, -1]));
  });

  it("says which task it has in GET /models/:name and in its OpenAPI document, whose schemas validate its answers", async () => {
    const card = (await (await w.fetch("/models/income")).json()) as Record<string, unknown>;
    expect(card.task).toMatchObject({ kind: "regression", interval: { level: 0.9, method: "split conformal" }, transform: "log1p" });
    expect(card.target).toEqual({ column: "wage" });
    expect(card.thresholds).toBeUndefined();
    expect(((await (await w.fetch("/models/credit-risk")).json()) as { task: unknown }).task).toMatchObject({ kind: "classification" });

    type Doc = { components: { schemas: Record<string, object> } };
    const doc = (await (await w.fetch("/models/income/openapi.json")).json()) as Doc;
    const generic = (await (await w.fetch("/openapi.json")).json()) as Doc;
    for (const d of [doc, generic]) await SwaggerParser.validate(structuredClone(d) as never);
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
    const res = await w.post("/models/income/predict", { instances: [cases[0]!.instance] });
    const body = await res.json();
    expect(ajv.compile(doc.components.schemas.Predictions!)(body)).toBe(true);
    expect(ajv.compile(generic.components.schemas.Predictions!)(body)).toBe(true);
    const classifier = await (await w.post("/predict", { instances: [fixtures().parity[0]!.instance] })).json();
    expect(ajv.compile(doc.components.schemas.Predictions!)(classifier)).toBe(false);
    expect(ajv.compile(generic.components.schemas.Predictions!)(classifier)).toBe(true);
  });

  it("refuses what the edge refuses for a classifier: unknown fields, wrong types, unknown categories (422 with details)", async () => {
    const res = await w.post("/models/income/predict", { instances: [{ ...cases[0]!.instance, education: "twelve", region: "mars" }] });
    expect(res.status).toBe(422);
    const details = ((await res.json()) as { error: { details: { path: string }[] } }).error.details.map((d) => d.path);
    expect(details).toEqual(["instances[0].education", "instances[0].region"]);
  });
});

describe("npm run score", () => {
  const score = (argv: string[]) => runInProcess(scoreCommand, w.s3, argv);

  it("scores the test rows offline with the edge's values and intervals, and the classifier's test rows with its probabilities", async () => {
    const out = join(dir, "scores.csv");
    const r = await score(["--data", testCsv, "--out", out, "--model", "income", "--id-column", "wage", "--json"]);
    expect([r.code, r.json?.data]).toEqual([0, { source: testCsv, bytes: expect.any(Number), records: 5631, scored: 5631, rejected: 0 }]);
    const rows = parse(readFileSync(out, "utf8"), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(["wage", "value", "lower", "upper", "warnings"]);
    const got = await edge(cases.map((c) => c.instance));
    let worst = 0;
    rows.forEach((row, i) => {
      expect(row.wage).toBe(cases[i]!.line[0]);
      worst = Math.max(worst, relative(Number(row.value), got[i]!.value), relative(Number(row.lower), got[i]!.interval[0]), relative(Number(row.upper), got[i]!.interval[1]));
    });
    expect(worst).toBeLessThan(1e-5);

    const credit = join(dir, "credit.csv");
    const parity = fixtures().parity;
    const cols = Object.keys(parity[0]!.instance);
    writeFileSync(credit, [cols.join(","), ...parity.map((c) => cols.map((k) => c.instance[k] ?? "").join(","))].join("\n") + "\n");
    const c = await score(["--data", credit, "--out", join(dir, "credit-scores.csv"), "--model", "credit-risk", "--explain"]);
    expect(c.code).toBe(0);
    const scored = parse(readFileSync(join(dir, "credit-scores.csv"), "utf8"), { columns: true }) as Record<string, string>[];
    expect(Object.keys(scored[0]!).slice(0, 5)).toEqual(["line", "probability", "decision", "reason_1", "impact_1"]);
    let worstP = 0;
    scored.forEach((row, i) => { worstP = Math.max(worstP, Math.abs(Number(row.probability) - parity[i]!.expected)); });
    expect(worstP).toBeLessThan(1e-5);
  });

  it("writes rows the edge would refuse to the rejects file with the reason, and exits 0 with the counts", async () => {
    const bad = [...cases.slice(0, 20).map((c) => [...c.line])];
    bad[2]![1] = "twelve";           // education: text in a number
    bad[5]![5] = "mars";             // region: unknown category
    bad[9]![3] = "";                 // ethnicity: missing, not nullable
    bad[11] = bad[11]!.slice(0, 4);  // wrong number of fields
    const data = join(dir, "bad.csv");
    writeFileSync(data, [header, ...bad].map((l) => l.join(",")).join("\n") + "\n");
    const out = join(dir, "bad-scores.csv");
    const r = await score(["--data", data, "--out", out, "--model", "income", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json?.data).toMatchObject({ records: 20, scored: 16, rejected: 4 });
    expect(r.stderr).toContain(`rejected 4 rows the edge would refuse: ${join(dir, "bad-scores.rejects.csv")}`);
    const rejects = parse(readFileSync(join(dir, "bad-scores.rejects.csv"), "utf8"), { relax_column_count: true }) as string[][];
    expect(rejects[0]).toEqual(["line", "reason", ...header]);
    expect(rejects.slice(1).map((x) => [x[0], x[1]])).toEqual([
      ["4", 'education: expected a number >= 0, received "twelve"'],
      ["7", 'region: expected one of "midwest", "northeast", "south", "west", received "mars"'],
      ["11", 'ethnicity: expected one of "afam", "cauc", received null'],
      ["13", "wrong number of fields: expected 7, found 4"],
    ]);
    // The row as read, with cells a spreadsheet would run as a formula neutralised (-1 → '-1).
    expect(rejects[1]!.slice(2)).toEqual(bad[2]!.map((c) => (/^[=+\-@\t\r]/.test(c) ? `'${c}` : c)));
    const scored = parse(readFileSync(out, "utf8"), { columns: true }) as Record<string, string>[];
    expect(scored.map((x) => x.line)).toEqual(["2", "3", "5", "6", "8", "9", "10", "12", "14", "15", "16", "17", "18", "19", "20", "21"]);
  });

  it("refuses an unknown model or version with exit 1 and leaves no output behind", async () => {
    const out = join(dir, "none.csv");
    const unknownModel = await score(["--data", testCsv, "--out", out, "--model", "nope", "--json"]);
    expect([unknownModel.code, (unknownModel.json?.error as { code: string }).code]).toEqual([1, "model_not_found"]);
    const unknownVersion = await score(["--data", testCsv, "--out", out, "--model", "income", "--version", "20200101T000000Z-00000000", "--json"]);
    expect([unknownVersion.code, (unknownVersion.json?.error as { code: string }).code]).toEqual([1, "version_not_found"]);
    const missing = await score(["--data", join(dir, "bad-scores.csv"), "--out", out, "--model", "income"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/the model's feature columns "education", "experience", "ethnicity", "smsa", "region", "parttime" are missing/);
    expect(existsSync(out)).toBe(false);
    expect((await score(["--out", out])).code).toBe(2);
  });

  it("reads from and writes to s3:// through the same credentials", async () => {
    const bucket = await w.bucket();
    await bucket.put("incoming/test.csv", readFileSync(testCsv));
    const r = await score(["--data", `s3://${w.s3.bucket}/incoming/test.csv`, "--out", `s3://${w.s3.bucket}/scored/test.csv`, "--model", "income", "--json"]);
    expect([r.code, (r.json?.data as { scored: number }).scored]).toEqual([0, 5631]);
    const text = await (await bucket.get("scored/test.csv"))!.text();
    expect(text.split("\n")[0]).toBe("line,value,lower,upper,warnings");
    expect(text.trim().split("\n")).toHaveLength(5632);
    expect(await bucket.get("scored/test.rejects.csv")).not.toBeNull();
  });
});

describe("npm run monitor on a regression model", () => {
  const monitor = (argv: string[]) => runInProcess(monitorCommand, w.s3, ["--model", "income", ...argv]);

  it("on the test rows: stable, with the card's RMSE, MAE, R² and coverage from the labels", async () => {
    const out = join(dir, "monitor");
    const r = await monitor(["--data", testCsv, "--target", "wage", "--json", "--out", out]);
    expect(r.code).toBe(0);
    const page = readFileSync(join(out, "monitor.html"), "utf8");
    expect(page).toContain('data-chart="score-distribution"');
    expect(page).toContain("Predicted values: now vs the test split");
    expect(page).toContain('<table data-table="labelled">');
    expect(page).not.toContain("CBPE");
    const result = r.json as { status: string; model: { task: string }; performance: { estimated: unknown; regression: { rows: number; rmse: number; mae: number; r2: number; coverage: number; level: number } }; drift: { score: { psi: number }; decisions: { shares: unknown[] } } };
    const card = trained.artifact!.manifest.card as unknown as RegressionCard;
    expect(result.model.task).toBe("regression");
    expect(result.status).toBe("stable");
    expect(result.drift.score.psi).toBeLessThan(0.01);
    expect(result.drift.decisions.shares).toEqual([]);
    expect(result.performance.estimated).toBeNull();
    const g = result.performance.regression;
    expect(g.rows).toBe(5631);
    expect(relative(g.rmse, card.metrics.test.rmse)).toBeLessThan(1e-6);
    expect(relative(g.mae, card.metrics.test.mae)).toBeLessThan(1e-6);
    expect(g.r2).toBeCloseTo(card.metrics.test.r2, 6);
    expect(Math.abs(g.coverage - card.interval.test.coverage)).toBeLessThanOrEqual(1 / 5631);
    expect(r.stderr).toMatch(/labelled: 5631 rows, RMSE [\d.]+ \(card [\d.]+, [+−]0\.0%\), MAE/);
  });

  it("on a shifted copy whose wages doubled: alert (exit 3) for the RMSE, and coverage far from nominal", async () => {
    const shifted = join(dir, "shifted.csv");
    writeFileSync(shifted, [header, ...cases.map((c) => [String(c.actual * 2), ...c.line.slice(1)])].map((l) => l.join(",")).join("\n") + "\n");
    const r = await monitor(["--data", shifted, "--target", "wage", "--max-rmse-increase", "0.1", "--json"]);
    expect(r.code).toBe(3);
    const findings = (r.json as { findings: { level: string; check: string }[] }).findings;
    expect(findings.map((f) => `${f.level} ${f.check}`)).toEqual(["alert rmse_increase", "warn interval_coverage"]);
    const wrong = await monitor(["--data", shifted, "--target", "wage", "--max-auc-drop", "0.01"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/--max-auc-drop applies to classification; income \S+ is a regression model: use --max-rmse-increase/);
  });
});

describe("the regression model's report in headless Chromium", () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launchBrowser(); mkdirSync(SHOTS, { recursive: true }); });
  afterAll(async () => { await browser?.close(); });

  it("draws predicted vs actual, residuals, coverage by decile, R² curves and the features, without errors or requests, on a 390-px phone too", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`); });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("request", (r) => requests.push(r.url()));
    const url = `${w.url}/models/income/report`;
    expect((await page.goto(url))?.status()).toBe(200);
    const charts = await page.$$eval("figure[data-chart]", (figs) => figs.map((f) => ({ id: f.getAttribute("data-chart") ?? "", marks: f.querySelectorAll("svg g[class] > *").length })));
    for (const c of charts) expect(c.marks, `chart ${c.id} has no marks`).toBeGreaterThan(0);
    const card = trained.artifact!.manifest.card as unknown as RegressionCard;
    // A point per sampled test row (those inside the middle 99 % are drawn; the rest clipped, still in the markup).
    expect(await page.locator("figure[data-chart=predicted-actual] g.points circle").count()).toBe(1200);
    expect(await page.locator("figure[data-chart=coverage] g.coverage-bins circle").count()).toBe(card.interval.test.byDecile.length);
    expect(await page.locator("figure[data-chart=residual-histogram] g.residual-bins rect").count()).toBe(40);
    const epochs = card.training.epochsRun;
    expect(await page.$$eval("figure[data-chart=r2] g.r2-curves path", (ps) => ps.map((p) => (p.getAttribute("d") ?? "").match(/[ML]/g)?.length ?? 0))).toEqual([epochs, epochs]);
    const features = trained.spec.features.length;
    expect(await page.locator("figure[data-chart=importance] g.importance-bars rect").count()).toBe(features);
    expect(await page.locator("figure[data-chart^=pd-]").count()).toBe(4);
    expect(await page.locator("figure[data-chart^=mean-]").count()).toBe(features);
    expect(await page.locator("figure[data-chart=roc]").count()).toBe(0);
    const toc = await page.$$eval("nav.toc a", (as) => as.map((a) => a.getAttribute("href")));
    for (const href of toc) expect(await page.locator(`section${href}`).count()).toBe(1);
    await saveScreenshot(page, join(SHOTS, "regression-desktop.png"));
    await page.setViewportSize({ width: 390, height: 844 });
    const widths = (await page.evaluate("({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })")) as { scroll: number; client: number };
    expect(widths.scroll).toBeLessThanOrEqual(390);
    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    await page.close();
  });
});

describe("a regression model in the registry and its gates", () => {
  it("lists with R² as its headline, diffs with its errors, and breaks the signature of a classifier of the same name", () => {
    const m = trained.artifact!.manifest;
    const facts = cardFacts(m);
    expect([facts.task, facts.headline?.name, facts.headline?.value]).toEqual(["regression", "test R²", (m.card as unknown as RegressionCard).metrics.test.r2]);
    expect(Object.keys(testMetrics(m).model).slice(0, 4)).toEqual(["r2", "rmse", "mae", "medianAe"]);
    expect(testMetrics(m).baseRate.rmse).toBe((m.card as unknown as RegressionCard).metrics.baseline.rmse);
    const classifier = readArtifact(fixtures().artifactDirs[0]).manifest;
    const d = diffManifests(classifier, m);
    expect(d.thresholds.map((t) => [t.name, t.b])).toEqual([["refer", undefined], ["decline", undefined]]);
    expect(d.signature[0]).toBe('output changed: probability of Status = "bad" → estimated wage');
    expect(signatureChanges(m.spec, m.spec, { serving: m.task, candidate: { ...m.task!, interval: { level: 0.8, halfWidth: 1 } } as typeof m.task })).toEqual([]);
    expect(signatureChanges(m.spec, { ...m.spec, target: "income" }, { serving: m.task, candidate: m.task })).toEqual(["output changed: estimated wage → estimated income"]);
  });

  it("refuses a model whose RMSE on the same test rows is worse than the serving one's by more than --max-rmse-increase, and compares only like with like", async () => {
    const worse = await runJob(regressionJob({ keepTestRows: true, train: { ...regressionJob().train, hidden: [], epochs: 1, batchSize: 256, learningRate: 0.01 } }), { log: () => {} });
    const client = createS3Client(w.s3);
    try {
      const current = await readPointer({ client, bucket: w.s3.bucket, name: "income" });
      const input = { rows: worse.gate!.rows, labels: worse.gate!.labels, newRmse: worse.gate!.newRmse! };
      // All 5631 test rows are kept (below the sample size), so the gate's RMSE is the test RMSE.
      expect(input.newRmse).toBeCloseTo(worse.regression!.test.rmse, 6);
      await expect(checkRmseNotWorse(client, w.s3.bucket, "income", current, { ...input, maxIncrease: 0.01 }))
        .rejects.toThrow(/^the new model's test RMSE [\d.]+ is above the current model's \(\S+\) [\d.]+ on the same 5631 test rows, by more than --max-rmse-increase 0\.01 \(1\.0 %\); not publishing$/);
      const lenient = await checkRmseNotWorse(client, w.s3.bucket, "income", current, { ...input, maxIncrease: 10 });
      expect(lenient.currentRmse).toBeCloseTo((trained.artifact!.manifest.card as unknown as RegressionCard).metrics.test.rmse, 2);
      const classifier = await readPointer({ client, bucket: w.s3.bucket, name: "credit-risk" });
      await expect(checkRmseNotWorse(client, w.s3.bucket, "credit-risk", classifier, { ...input, maxIncrease: 0.01 }))
        .rejects.toThrow(/cannot compare with the current model \S+: it is a classification model and this one a regression model; drop --max-rmse-increase to publish anyway/);
    } finally {
      client.destroy();
    }
  });

  it("computes reasons with the Dense shortcut as one tfjs variant row per feature, through the linear output and the inverse transform", async () => {
    await useBackend("cpu");
    const a = trained.artifact!;
    const scorer = createScorer(a.manifest, await networkFromFiles(a.files.get(MODEL_FILE)!, a.files.get(WEIGHTS_FILE)!));
    const rows = cases.slice(0, 100).map((c) => c.instance);
    const shortcut = scoreWithImpacts(scorer, rows, true);
    const variants = scoreWithImpacts({ ...scorer, dense: undefined }, rows, true);
    let worst = 0;
    shortcut.impacts!.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - variants.impacts![i]!) / Math.max(1, Math.abs(shortcut.p[Math.floor(i / 6)]!))); });
    expect(worst).toBeLessThan(1e-5);
  });
});
