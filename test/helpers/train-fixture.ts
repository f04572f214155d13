/** Job options for short, reproducible training runs on the bundled data. */
import type { JobOptions } from "../../train/job.ts";
import { defaultTrainOptions } from "../../train/fit/options.ts";

export const BUNDLED_CSV = "data/credit_data.csv";

export function quickJob(overrides: Partial<JobOptions> = {}): JobOptions {
  return {
    data: BUNDLED_CSV,
    target: "Status",
    positive: "bad",
    spec: "data/credit_data.spec.json",
    categorical: [],
    ignore: [],
    testRows: "data/credit_data.test_rows.csv",
    seed: 42,
    validationShare: 0.1,
    testShare: 0.2,
    scaler: "standard",
    train: { ...defaultTrainOptions, hidden: [64], epochs: 3, batchSize: 32, learningRate: 0.001, patience: 0, seed: 42 },
    backend: "cpu",
    thresholds: { refer: 0.25, decline: 0.5 },
    maxSkipped: 0.05,
    modelName: "credit-risk",
    dryRun: false,
    ...overrides,
  };
}

export const CPS_CSV = "data/cps1988.csv";
export const CPS_TEST_ROWS = "data/cps1988.test_rows.csv";

/** A short regression run on the bundled cps1988 data (weekly wage), with its fixed test rows, published as "income". */
export function regressionJob(overrides: Partial<JobOptions> = {}): JobOptions {
  return quickJob({
    data: CPS_CSV, target: "wage", spec: undefined, testRows: CPS_TEST_ROWS, modelName: "income",
    train: { ...defaultTrainOptions, hidden: [16], epochs: 2, batchSize: 256, learningRate: 0.01, patience: 0, seed: 42 },
    ...overrides,
  });
}
