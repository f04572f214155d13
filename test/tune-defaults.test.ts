/**
 * A search that never loses to the defaults: on small samples built from the
 * bundled data (an imbalanced credit sample, ~12 % bad, and 546 wage rows),
 * across three seeds, `--tune`'s test AUC / R² is at least the default
 * training's on the same test split. When the confirmation keeps the default,
 * the model is the default training itself (identical test metric); when a
 * challenger wins, it beat the default on the confirmation splits by more
 * than the noise. Small budgets (3 trials, few epochs) keep it quick.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultTrainOptions } from "../train/fit/options.ts";
import { runJob, type JobOptions, type JobResult } from "../train/job.ts";
import { classifierSpace, regressionSpace } from "../train/tune/task-space.ts";
import { defaultSpace } from "../train/tune/space.ts";
import { creditSample as creditSampleIn, wageSample as wageSampleIn } from "./helpers/samples.ts";
import { quickJob, regressionJob } from "./helpers/train-fixture.ts";

const dir = mkdtempSync(join(tmpdir(), "edgescore-tune-defaults-"));
const EPOCHS = 8;

const creditSample = (seed: number) => creditSampleIn(dir, seed);
const wageSample = (seed: number) => wageSampleIn(dir, seed);

const tuneOf = (job: JobOptions): JobOptions => ({ ...job, tune: { trials: 3, startedAt: Date.now(), space: defaultSpace, workers: 2 } });
const metric = (r: JobResult) => (r.test ? r.test.auc : (r.regression?.test.r2 as number));
const testRows = (r: JobResult) => (r.test ? r.test.n : r.regression?.test.n);

describe("the search's space per task", () => {
  it("searches a regression's loss (mse, huber) and target transform (as is, log1p), and leaves them out of a classifier's", () => {
    const y = Float32Array.from([1, 5, 300]);
    expect(regressionSpace(defaultSpace, y)).toMatchObject({ loss: { choice: ["mse", "huber"] }, targetTransform: { choice: ["none", "log1p"] } });
    expect(regressionSpace(defaultSpace, Float32Array.from([-1, 5])).targetTransform).toEqual({ choice: ["none"] });
    expect(regressionSpace(defaultSpace, y).classWeight).toBeUndefined();
    const classifier = classifierSpace(defaultSpace);
    expect(classifier.loss).toBeUndefined();
    expect(classifier.targetTransform).toBeUndefined();
    expect(classifier.hidden).toEqual(defaultSpace.hidden);
    expect(() => classifierSpace({ loss: { choice: ["huber"] } })).toThrow(/"loss", which applies to a regression target/);
  });
});

describe("--tune against the default training on the same test split", () => {
  const cases = [1, 2, 3].flatMap((seed) => [
    { name: `credit sample (800 rows, 12 % bad), seed ${seed}`, seed, job: () => quickJob({ data: creditSample(seed), testRows: undefined, testShare: 0.3, seed, backend: "wasm", train: { ...defaultTrainOptions, epochs: EPOCHS, seed } }) },
    { name: `cps1988 sample (546 rows), seed ${seed}`, seed, job: () => regressionJob({ data: wageSample(seed), testRows: undefined, testShare: 0.25, seed, backend: "wasm", train: { ...defaultTrainOptions, epochs: EPOCHS, seed } }) },
  ]);

  it.each(cases)("$name: tuned ≥ default, and the default kept is the default training itself", async ({ job }) => {
    const base = job();
    const logs: string[] = [];
    const plain = await runJob(base, { log: () => {} });
    const tuned = await runJob(tuneOf(base), { log: (l) => logs.push(l) });
    expect(testRows(tuned)).toBe(testRows(plain));
    expect(metric(tuned)).toBeGreaterThanOrEqual(metric(plain));
    const t = tuned.tuning!;
    const c = t.confirmation!;
    expect(c.protocol).toMatch(/^2 × 5-fold (stratified )?CV on \d+ training rows \(fresh folds and seeds\)$/);
    expect(c.verdict.rows.map((r) => r.name)).toEqual(["search", "default", "linear"]);
    expect(c.trials.linear.options.hidden).toEqual([]);
    expect(c.trials.default.options).toEqual(base.train);
    expect(t.table).toContain(c.verdict.reason);
    if (t.kept === "default") {
      expect(c.verdict.reason).toMatch(/^default kept: /);
      expect(tuned.train).toEqual(base.train);
      expect(tuned.validationShare).toBe(plain.validationShare);
      expect(metric(tuned)).toBe(metric(plain));
    } else {
      const won = c.verdict.rows.find((r) => r.name === t.kept)!;
      expect(won.vsDefault!.mean).toBeGreaterThan(won.vsDefault!.se);
    }
  }, 300_000);
});
