/**
 * Regression and out-of-time data through the real training job on small
 * hand-made files: the task is inferred and said, bad targets (text, a
 * constant, missing values) are clear errors or counted skips, and an
 * out-of-time split trains on the past, validates just before the test
 * period and tests on the newest rows, as the card records.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { seededRandom } from "../shared/random.ts";
import { UsageError } from "../train/cli/args.ts";
import { withCode } from "../train/cli/codes.ts";
import { run as trainCommand } from "../train/cli/train.ts";
import { runJob, type JobOptions } from "../train/job.ts";
import type { RegressionCard } from "../train/report/model/card.ts";
import { quickJob } from "./helpers/train-fixture.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "edgescore-regression-data-"));
});

function csv(name: string, lines: string[][]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.map((l) => l.join(",")).join("\n")}\n`);
  return path;
}

/** `n` rows of x, c, y with y = 100 + 20 x (+ 30 for c = "u") + noise: a regression target with many distinct values. Data row i is on line i + 2. */
function rows(n: number, seed = 3): string[][] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const x = r() * 10;
    const c = r() < 0.5 ? "u" : "v";
    return [x.toFixed(3), c, (100 + 20 * x + (c === "u" ? 30 : 0) + r() * 10).toFixed(2)];
  });
}

function job(data: string, overrides: Partial<JobOptions> = {}): JobOptions {
  return quickJob({
    data, target: "y", spec: undefined, testRows: undefined, modelName: "small",
    train: { ...quickJob().train, hidden: [8], epochs: 8, batchSize: 16, learningRate: 0.02, patience: 0, seed: 1 },
    ...overrides,
  });
}

async function run(o: JobOptions) {
  const lines: string[] = [];
  const result = await runJob(o, { log: (l) => lines.push(l) });
  return { result, lines };
}

async function failure(o: JobOptions): Promise<Error> {
  try {
    await runJob(o, { log: () => {} });
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the job to fail, but it succeeded");
}

describe("a regression target", () => {
  it("is inferred from a numeric target with many values, said in the log, and trained on its own scale", async () => {
    const path = csv("linear.csv", [["x", "c", "y"], ...rows(300)]);
    const { result, lines } = await run(job(path));
    expect(result.task).toBe("regression");
    expect(lines).toContainEqual(expect.stringMatching(/^task: regression \(inferred: target "y" is numeric with 29\d distinct values; --task classification to override\)$/));
    expect(lines.find((l) => l.startsWith('target "y": as is (auto: skewness'))).toBeDefined();
    const m = result.artifact!.manifest;
    expect(m.format).toBe("edgescore.artifact/v2");
    expect(m.task).toMatchObject({ kind: "regression", target: { transform: "none", smearing: 1 }, interval: { level: 0.9 } });
    expect(m.thresholds).toBeUndefined();
    expect(m.spec.positive).toBeUndefined();
    // A linear target this clean: far better than the mean.
    expect(result.regression!.test.r2).toBeGreaterThan(0.8);
    expect(result.regression!.baseline.r2).toBeLessThan(0.01);
    const card = m.card as unknown as RegressionCard;
    expect(card.task).toBe("regression");
    expect(card.model.layers).toEqual(["Dense(8, relu)", "Dense(1, linear)"]);
    expect(card.training.hyperparameters.loss).toBe("mean squared error");
    expect(card.interval.calibrationRows).toBe(30);
    expect(card.training.curves.valR2).toHaveLength(8);
  });

  it("with few distinct numbers stays a classification target, and the refusal says how to estimate it instead", async () => {
    const path = csv("grades.csv", [["x", "c", "y"], ...rows(60).map((r, i) => [r[0]!, r[1]!, String(i % 5)])]);
    expect((await failure(job(path, { dryRun: true }))).message).toBe(`${path}: target column "y" must have exactly two labels, found 5: "0" (12), "1" (12), "2" (12), "3" (12), "4" (12); to estimate "y" as a number instead, add --task regression`);
    const { result } = await run(job(path, { task: "regression", dryRun: true }));
    expect([result.task, result.spec.positive]).toEqual(["regression", undefined]);
  });

  it("with text in the target column: a clear error naming the line", async () => {
    const body = rows(100);
    body[15]![2] = "n/a";
    const path = csv("text-target.csv", [["x", "c", "y"], ...body]);
    const error = await failure(job(path, { dryRun: true }));
    expect(error.message).toBe(`${path}: target "y" of a regression must be a number in every row, but 1 cell is text, e.g. "n/a" on line 17; fix it (an empty cell skips the row), or use --task classification for a label column`);
  });

  it("constant: a clear error, whether the task is asked for or inferred", async () => {
    const path = csv("constant.csv", [["x", "c", "y"], ...rows(100).map((r) => [r[0]!, r[1]!, "5"])]);
    expect((await failure(job(path, { task: "regression", dryRun: true }))).message).toBe(`${path}: target "y" is constant (5 in every row with a value): there is nothing to learn`);
    expect((await failure(job(path, { dryRun: true }))).message).toBe(`${path}: target column "y" must have exactly two labels, found 1: "5" (100)`);
  });

  it("with missing values: those rows are skipped and named by line, and too many of them fail the run", async () => {
    const few = rows(300).map((r, i) => (i === 4 || i === 40 ? [r[0]!, r[1]!, ""] : r));
    const { result, lines } = await run(job(csv("few-missing.csv", [["x", "c", "y"], ...few])));
    expect(result.task).toBe("regression");
    expect(lines).toContain('  skipped 2: missing target "y" (e.g. ' + `${join(dir, "few-missing.csv")} line 6; ${join(dir, "few-missing.csv")} line 42)`);
    const many = rows(100).map((r, i) => (i % 5 === 0 ? [r[0]!, r[1]!, ""] : r));
    const error = await failure(job(csv("many-missing.csv", [["x", "c", "y"], ...many])));
    expect(error.message).toBe("20 of 100 rows were skipped, more than --max-skipped 0.05; fix the data or raise the limit");
  });

  it("refuses --positive and classification gates, which mean nothing for a number", async () => {
    const path = csv("gates.csv", [["x", "c", "y"], ...rows(60)]);
    expect((await failure(job(path, { positiveGiven: true, dryRun: true }))).message).toMatch(/^--positive names a class label, but "y" is a regression target \(inferred: .*\); leave out --positive, or add --task classification$/);
    const gate = await failure(job(path, { taskFlags: { classification: ["min-auc"] } }));
    expect(gate.message).toBe('--min-auc applies to classification models, but "y" is a regression target; leave it out (the gates of a regression model are --min-r2 / --max-rmse-increase), or add --task classification');
    // The flags are what to change: a usage error (exit 2) for the CLIs, as with --task given.
    expect(withCode(gate)).toBeInstanceOf(UsageError);
  });

  it("is never published when it does not beat the training mean, nor below --min-r2", async () => {
    const noise = seededRandom(9);
    const random = Array.from({ length: 200 }, () => [noise().toFixed(3), noise() < 0.5 ? "u" : "v", (noise() * 100).toFixed(2)]);
    const path = csv("noise.csv", [["x", "c", "y"], ...random]);
    expect((await failure(job(path, { train: { ...job(path).train, epochs: 30, learningRate: 0.05, hidden: [32] } }))).message).toMatch(/^the model is no better than predicting the training mean on the test split \(RMSE [\d.]+ vs [\d.]+, R² -[\d.]+\); not publishing$/);
    const good = csv("min-r2.csv", [["x", "c", "y"], ...rows(300)]);
    expect((await failure(job(good, { minR2: 0.999 }))).message).toMatch(/^test R² 0\.\d{4} is below --min-r2 0\.999; not publishing$/);
  });
});

describe("an out-of-time split", () => {
  /** 120 rows, one per day from 2021-01-01 in a shuffled order, with the regression target. */
  function dated(): string[][] {
    const r = seededRandom(4);
    const days = Array.from({ length: 120 }, (_, d) => d);
    for (let i = days.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [days[i], days[j]] = [days[j]!, days[i]!]; }
    return rows(120).map((row, i) => [new Date(Date.UTC(2021, 0, 1 + days[i]!)).toISOString().slice(0, 10), ...row]);
  }

  it("trains on the past, validates just before the test period, tests on the newest rows; the card records the periods", async () => {
    const path = csv("dated.csv", [["day", "x", "c", "y"], ...dated()]);
    const { result, lines } = await run(job(path, { timeColumn: "day" }));
    const card = result.artifact!.manifest.card as unknown as RegressionCard;
    expect(card.data.periods).toEqual({
      column: "day", kind: "date", testFrom: "2021-04-07",
      train: { from: "2021-01-01", to: "2021-03-25", rows: 84 },
      validation: { from: "2021-03-26", to: "2021-04-06", rows: 12 },
      test: { from: "2021-04-07", to: "2021-04-30", rows: 24 },
    });
    expect(card.data.split).toBe('out of time on "day": train 2021-01-01 to 2021-03-25 (84 rows); validation 2021-03-26 to 2021-04-06 (12 rows); test 2021-04-07 to 2021-04-30 (24 rows)');
    expect(lines).toContain(`split: ${card.data.split}`);
    // The time column is the split, not a feature.
    expect(result.spec.features.map((f) => f.name)).toEqual(["x", "c"]);
    expect(card.data.ignoredColumns).toEqual(["day"]);
  });

  it("starts the test period at --test-from, and works for a classifier too", async () => {
    const body = dated().map((r) => [r[0]!, r[1]!, r[2]!, Number(r[1]) > 5 ? "bad" : "good"]);
    const path = csv("dated-labels.csv", [["day", "x", "c", "y"], ...body]);
    const { result } = await run(job(path, { timeColumn: "day", testFrom: "2021-04-01" }));
    expect(result.task).toBe("classification");
    const periods = (result.artifact!.manifest.card as { data: { periods: unknown } }).data.periods;
    expect(periods).toMatchObject({ testFrom: "2021-04-01", test: { from: "2021-04-01", to: "2021-04-30", rows: 30 }, validation: { rows: 12 }, train: { rows: 78 } });
  });

  it("names the line of a date it cannot read, and refuses a --test-from that is not one", async () => {
    const body = dated();
    body[9]![0] = "12/04/2021";
    const path = csv("bad-date.csv", [["day", "x", "c", "y"], ...body]);
    expect((await failure(job(path, { timeColumn: "day" }))).message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} line 11: column "day" \\(--time-column\\): "12/04/2021" is not a date like 2020-01-31`));
    const good = csv("good-date.csv", [["day", "x", "c", "y"], ...dated()]);
    expect((await failure(job(good, { timeColumn: "day", testFrom: "April" }))).message).toBe('--test-from "April": expected a date like 2020-01-31, as column "day" holds dates');
    expect((await failure(job(good, { timeColumn: "day", testFrom: "2022-01-01" }))).message).toBe("--time-column day --test-from 2022-01-01: no row is at or after the start of the test period: nothing to test on");
  });

  it("is refused beside a fixed test split, as a usage error", async () => {
    const err: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => { err.push(String(c)); return true; });
    try {
      expect(await trainCommand(["--data", "x.csv", "--target", "y", "--time-column", "day", "--test-rows", "rows.csv", "--dry-run"])).toBe(2);
      expect(await trainCommand(["--data", "x.csv", "--target", "y", "--test-from", "2021-01-01", "--dry-run"])).toBe(2);
      expect(await trainCommand(["--data", "x.csv", "--target", "y", "--task", "regression", "--positive", "1", "--dry-run"])).toBe(2);
      // Both would make one test split of the two: rows of --data picked by --test-rows could be in neither's training.
      expect(await trainCommand(["--test", "data/credit_data.csv", "--test-rows", "data/credit_data.test_rows.csv", "--dry-run"])).toBe(2);
      // A regression flag on a target found to be a classifier's (no --task): refused, not ignored.
      expect(await trainCommand(["--target-transform", "log1p", "--dry-run", "--quiet"])).toBe(2);
      expect(await trainCommand(["--loss", "huber", "--dry-run", "--quiet"])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(err.join("")).toContain("--time-column chooses the test rows by time: leave out --test and --test-rows");
    expect(err.join("")).toContain("--test-from starts the test period of an out-of-time split: add --time-column <column>");
    expect(err.join("")).toContain("--positive names a class label; a regression target has none: leave it out");
    expect(err.join("")).toContain("--test is a separate file of test rows and --test-rows picks test rows out of --data: give one of them");
    expect(err.join("")).toContain('--target-transform applies to regression models, but "Status" is a classification target; leave it out, or add --task regression');
    expect(err.join("")).toContain('--loss applies to regression models, but "Status" is a classification target; leave it out, or add --task regression');
  });
});
