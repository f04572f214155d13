/**
 * One tune-vs-default comparison for the bench's tune section, in its own
 * process: the default training and `--tune` on the same sample and test
 * split (args: credit|cps, seed, epochs, trials). Prints one JSON line.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultTrainOptions } from "../train/fit/options.ts";
import { runJob, type JobResult } from "../train/job.ts";
import { defaultSpace } from "../train/tune/space.ts";
import { quickJob, regressionJob } from "../test/helpers/train-fixture.ts";
import { creditSample, wageSample } from "../test/helpers/samples.ts";

const [kind, seedText, epochsText, trialsText] = process.argv.slice(2);
const seed = Number(seedText);
const train = { ...defaultTrainOptions, epochs: Number(epochsText), seed };
const dir = mkdtempSync(join(tmpdir(), "edgescore-bench-tune-"));
const job = kind === "credit"
  ? quickJob({ data: creditSample(dir, seed), testRows: undefined, testShare: 0.3, seed, backend: "wasm", train })
  : regressionJob({ data: wageSample(dir, seed), testRows: undefined, testShare: 0.25, seed, backend: "wasm", train });
const metric = (r: JobResult) => (r.test ? r.test.auc : (r.regression?.test.r2 as number));
const t0 = performance.now();
const plain = await runJob(job, { log: () => {} });
const t1 = performance.now();
const tuned = await runJob({ ...job, tune: { trials: Number(trialsText), startedAt: Date.now(), space: defaultSpace, workers: 2 } }, { log: () => {} });
const t2 = performance.now();
const t = tuned.tuning;
process.stdout.write(`${JSON.stringify({
  kind, seed, metric: kind === "credit" ? "AUC" : "R²", default: metric(plain), tuned: metric(tuned), kept: t?.kept ?? "search",
  searchBest: t?.leaderboard[0]?.config ?? "", evaluated: t?.evaluated ?? 0, defaultSeconds: (t1 - t0) / 1000, tuneSeconds: (t2 - t1) / 1000,
  confirmSeconds: t?.confirmation?.seconds ?? 0,
})}\n`);
