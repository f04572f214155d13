/**
 * What the simd engine hands on: the same tfjs artifact as before, which the
 * edge (the built Worker in workerd) loads and answers with the training
 * side's probabilities; and the `--engine` flag as the CLI takes it (which
 * engine ran is in `train --json`, an unknown engine is a usage error).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishTo, runJob, type JobResult } from "../train/job.ts";
import { runScript } from "./helpers/cli.ts";
import { fixtures } from "./helpers/fixtures.ts";
import { quickJob } from "./helpers/train-fixture.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

interface PredictBody { model: { version: string }; predictions: { probability: number }[] }

describe("an artifact trained by the simd engine", () => {
  let w: TestWorker;
  let result: JobResult;
  beforeAll(async () => {
    [w, result] = await Promise.all([
      startWorker(),
      runJob(quickJob({ modelName: "engine-check", train: { ...quickJob().train, epochs: 5, engine: "simd" } }), { log: () => {} }),
    ]);
  });
  afterAll(async () => { await w.dispose(); });

  it("is trained by the simd engine and says so in its card", () => {
    expect(result.fit?.engine).toBe("simd");
    const card = result.artifact!.manifest.card as { training: { engine: string; epochsRun: number } };
    expect(card.training).toMatchObject({ engine: "simd", epochsRun: 5 });
  });

  it("loads in the edge and scores every test applicant with the training side's probability (|diff| < 1e-5)", async () => {
    await publishTo(w.s3, result.artifact!);
    const cases = fixtures().parity;
    const res = await w.post("/models/engine-check/predict?explain=false", { instances: cases.map((c) => c.instance) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as PredictBody;
    expect(body.model.version).toBe(result.artifact!.version);
    expect(body.predictions).toHaveLength(result.testScores!.length);
    const worst = Math.max(...body.predictions.map((p, i) => Math.abs(p.probability - result.testScores![i]!)));
    expect(worst).toBeLessThan(1e-5);
  });
});

describe("train --engine", () => {
  it("trains with tfjs when asked and says which engine ran in --json", async () => {
    const r = await runScript("train/cli/train.ts", ["--engine", "tfjs", "--epochs", "1", "--patience", "0", "--publish", "none", "--quiet", "--json", "--out", mkdtempSync(join(tmpdir(), "engine-cli-"))]);
    expect(r.code).toBe(0);
    expect(r.json?.fit).toMatchObject({ engine: "tfjs", epochs: 1 });
    expect(r.stderr).toContain("trained with the tfjs engine on wasm");
  });

  it("refuses an engine it does not know with exit 2, naming the choices", async () => {
    const r = await runScript("train/cli/train.ts", ["--engine", "cuda", "--publish", "none"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--engine: expected one of auto, simd, tfjs, found "cuda"');
  });
});
