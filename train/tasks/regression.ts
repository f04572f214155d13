/**
 * The end of the training job for a regression model: on the validation
 * split, Duan's smearing factor (log1p targets) and the split-conformal
 * half-width of the prediction interval; on the test split, values and
 * intervals in the target's units, RMSE / MAE / R² / median absolute error
 * beside the training mean, and the interval's coverage; the gates (better
 * than the mean, --min-r2); with --protected, the errors and bias by group
 * (train/evaluate/regression-fairness.ts); the card, the report, the monitoring references
 * and the artifact (format v2, with its task).
 */
import { regressionInterval, regressionValue, transformTarget, transformedValue, type RegressionTask } from "../../shared/task.ts";
import { regressionCard } from "../card.ts";
import type { Matrix } from "../data/dataset.ts";
import { JobError } from "../data/prepare.ts";
import { conformalQuantile, coverage, coverageByDecile, widths } from "../evaluate/conformal.ts";
import { gateSample } from "../evaluate/gate.ts";
import type { FeatureTally } from "../evaluate/feature-stats.ts";
import { evaluateRegression, mean, meanBaseline } from "../evaluate/regression.ts";
import { servedOutputs } from "../fit/served.ts";
import { smearingFactor } from "../fit/target.ts";
import type { Fitted, JobResult } from "../job.ts";
import { outputReference } from "../monitor/reference.ts";
import { buildRegressionReport } from "../report/model/build.ts";
import { regressionFairnessCard } from "./fairness.ts";
import { baseCardInput, packageWithReport } from "./package.ts";

export const DEFAULT_INTERVAL = 0.9;

/** Values and interval bounds for a matrix's rows, in the target's units. */
export function regressionAnswers(task: RegressionTask, out: Float32Array): { values: Float64Array; lo: Float64Array; hi: Float64Array } {
  const values = new Float64Array(out.length);
  const lo = new Float64Array(out.length);
  const hi = new Float64Array(out.length);
  for (let i = 0; i < out.length; i++) {
    values[i] = regressionValue(task.target, out[i]!);
    [lo[i], hi[i]] = regressionInterval(task, out[i]!);
  }
  return { values, lo, hi };
}

/** The task as served: the fitted target with its smearing factor, and the conformal half-width, both from the validation rows. */
function calibrate(f: Fitted, validation: Matrix): { task: RegressionTask; out: Float32Array } {
  const spec = f.head.spec;
  if (spec.kind !== "regression") throw new Error("finishRegression needs a regression head");
  const out = servedOutputs(f.small.model, validation);
  const target = { ...spec.target, smearing: smearingFactor(spec.target, validation.y, out) };
  const level = f.o.interval ?? DEFAULT_INTERVAL;
  const scores = new Float64Array(validation.n);
  for (let i = 0; i < validation.n; i++) scores[i] = Math.abs(transformTarget(target.transform, validation.y[i]!) - transformedValue(target, out[i]!));
  try {
    return { task: { kind: "regression", target, interval: { level, halfWidth: conformalQuantile(scores, level) } }, out };
  } catch (e) {
    throw new JobError(`${(e as Error).message}: raise --validation or lower --interval`);
  }
}

const num = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4));

export async function finishRegression(f: Fitted): Promise<JobResult> {
  const { o, io, prepared, data, small, tuning } = f;
  const { spec, profile } = prepared;
  if (!f.validation) throw new JobError("a regression model calibrates its prediction intervals on the validation split: keep --validation above 0");
  const { task, out: validationOut } = calibrate(f, f.validation);
  const { values, lo, hi } = regressionAnswers(task, servedOutputs(small.model, data.test));
  const test = evaluateRegression(data.test.y, values);
  const targetMean = mean(data.train.y);
  const baseline = meanBaseline(targetMean, data.test.y);
  const covered = coverage(data.test.y, lo, hi);
  const width = widths(lo, hi);
  const byDecile = coverageByDecile(data.test.y, values, lo, hi);
  io.log(`test: R² ${test.r2.toFixed(4)} · RMSE ${num(test.rmse)} · MAE ${num(test.mae)} · median AE ${num(test.medianAe)} · bias ${num(test.bias)}`);
  io.log(`training mean (${num(targetMean)}): R² ${baseline.r2.toFixed(4)} · RMSE ${num(baseline.rmse)} · MAE ${num(baseline.mae)}`);
  io.log(`${(task.interval.level * 100).toFixed(0)} % prediction interval (split conformal on ${f.validation.n} validation rows): covers ${(covered * 100).toFixed(1)} % of the test rows, median width ${num(width.median)}${task.target.transform === "log1p" ? `; smearing factor ${task.target.smearing.toFixed(4)}` : ""}`);

  // Gates: publish something better than predicting the mean, or publish nothing and say why.
  if (!(test.rmse < baseline.rmse)) {
    small.model.dispose();
    throw new JobError(`the model is no better than predicting the training mean on the test split (RMSE ${num(test.rmse)} vs ${num(baseline.rmse)}, R² ${test.r2.toFixed(4)}); not publishing`);
  }
  if (o.minR2 !== undefined && test.r2 < o.minR2) {
    small.model.dispose();
    throw new JobError(`test R² ${test.r2.toFixed(4)} is below --min-r2 ${o.minR2}; not publishing`);
  }

  const validationValues = regressionAnswers(task, validationOut).values;
  const card = regressionCard({
    ...baseCardInput(f), task, targetReason: f.targetReason ?? "", test, baseline, targetMean, values, validationValues,
    interval: { calibrationRows: f.validation.n, coverage: covered, meanWidth: width.mean, medianWidth: width.median, byDecile },
  });
  if (o.narrative) card.narrative = o.narrative;
  const fairness = prepared.testGroups?.length
    ? regressionFairnessCard(prepared.testGroups, data.test.y, values, lo, hi, task.interval.level, o.seed, io.log, prepared.proxyTables)
    : undefined;
  if (fairness) card.fairness = fairness;
  const tally = f.report.tally as FeatureTally;
  const pages = buildRegressionReport({
    name: o.modelName, spec, preprocess: data.state, task, model: small.model,
    actual: data.test.y, values, lo, hi, coverage: byDecile, counts: tally.counts(), sample: f.report.explainRows.items,
  });
  small.model.dispose();
  card.analysis = pages.analysisCard;
  card.monitoring = outputReference(values, tally.counts());
  const { artifact, report: reportInfo } = await packageWithReport(f, { card, task, render: (draft) => pages.render(draft, card, o.previous) });
  return {
    spec, profile, task: "regression", artifact, seconds: (performance.now() - f.started) / 1000, warnings: prepared.warnings, train: f.options, validationShare: prepared.validationShare,
    regression: { test, baseline, interval: { level: task.interval.level, halfWidth: task.interval.halfWidth, coverage: covered } },
    testScores: values, testIntervals: { lo, hi }, ...(fairness ? { regressionFairness: fairness } : {}),
    ...(reportInfo ? { report: reportInfo } : {}),
    ...(data.testSample ? { gate: gateSample(data.testSample, data.test.y, values, "regression") } : {}),
    ...(tuning ? { tuning } : {}),
  };
}
