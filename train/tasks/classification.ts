/**
 * The end of the training job for a classifier: probabilities on the test
 * split beside the base-rate model, the gates (better than the base rate,
 * --min-auc), the card, the report, the monitoring references and the
 * artifact.
 */
import { modelCard } from "../card.ts";
import { gateSample } from "../evaluate/gate.ts";
import { baseRate, evaluate } from "../evaluate/metrics.ts";
import type { FeatureTally } from "../evaluate/feature-stats.ts";
import { servedOutputs } from "../fit/served.ts";
import { JobError } from "../data/prepare.ts";
import type { Fitted, JobResult } from "../job.ts";
import { monitoringCard } from "../monitor/reference.ts";
import { buildReport } from "../report/model/build.ts";
import { rankingIntervals } from "../evaluate/bootstrap.ts";
import { segmentPerformance } from "../evaluate/segments.ts";
import { fairnessCard } from "./fairness.ts";

/** Resamples for the AUC, KS and Gini intervals: stable 95 % ends on a few thousand test rows in well under a second. */
export const BOOTSTRAP_RESAMPLES = 500;
import { baseCardInput, packageWithReport } from "./package.ts";

export async function finishClassification(f: Fitted): Promise<JobResult> {
  const { o, io, prepared, data, validation, small, tuning } = f;
  const { spec, profile } = prepared;
  const scores = servedOutputs(small.model, data.test);
  const rate = baseRate(data.train.y);
  const test = evaluate(data.test.y, scores, o.thresholds.decline);
  const baseline = evaluate(data.test.y, new Float32Array(data.test.n).fill(rate), o.thresholds.decline);
  const validationScores = validation ? servedOutputs(small.model, validation) : undefined;
  io.log(`test: AUC ${test.auc.toFixed(4)} · Gini ${test.gini.toFixed(4)} · KS ${test.ks.toFixed(4)} · Brier ${test.brier.toFixed(4)} · log loss ${test.logLoss.toFixed(4)} · accuracy ${test.accuracy.toFixed(4)}`);
  io.log(`base-rate model: Brier ${baseline.brier.toFixed(4)} · log loss ${baseline.logLoss.toFixed(4)} · accuracy ${baseline.accuracy.toFixed(4)}`);

  // Gates: publish something better than nothing, or publish nothing and say why.
  if (!(test.auc > 0.5) || !(test.logLoss < baseline.logLoss)) {
    small.model.dispose();
    throw new JobError(`the model is no better than the base rate on the test split (AUC ${test.auc.toFixed(4)}, log loss ${test.logLoss.toFixed(4)} vs ${baseline.logLoss.toFixed(4)}); not publishing`);
  }
  if (o.minAuc !== undefined && test.auc < o.minAuc) {
    small.model.dispose();
    throw new JobError(`test AUC ${test.auc.toFixed(4)} is below --min-auc ${o.minAuc}; not publishing`);
  }

  const card = modelCard({ ...baseCardInput(f), baseRate: rate, test, baseline, scores, ...(validationScores ? { validationScores } : {}) });
  // Protected attributes are not features: measured here, by group, on the model as served.
  const fairness = prepared.testGroups?.length ? fairnessCard(prepared.testGroups, data.test.y, scores, o.thresholds, o.seed, io.log, prepared.proxyTables) : undefined;
  if (fairness) card.fairness = fairness;
  if (o.narrative) card.narrative = o.narrative;
  card.intervals = rankingIntervals(data.test.y, scores, BOOTSTRAP_RESAMPLES, o.seed);
  if (prepared.testSegments?.length) {
    card.segments = Object.fromEntries(prepared.testSegments.map(({ attribute: a, codes }) =>
      [a.column, { groupedBy: a.groupedBy, groups: segmentPerformance(data.test.y, scores, codes, a.groups, o.thresholds.refer) }]));
  }
  // The report and the monitoring references describe the network as served (after pruning and quantization).
  const tally = f.report.tally as FeatureTally;
  const pages = buildReport({
    name: o.modelName, spec, preprocess: data.state, thresholds: o.thresholds, model: small.model,
    labels: data.test.y, scores, test, counts: tally.counts(), sample: f.report.explainRows.items,
  });
  small.model.dispose();
  card.analysis = pages.analysisCard;
  card.monitoring = monitoringCard(scores, o.thresholds, tally.counts());
  const { artifact, report: reportInfo } = await packageWithReport(f, { card, thresholds: o.thresholds, render: (draft) => pages.render(draft, card, o.previous) });
  return {
    spec, profile, task: "classification", artifact, test, baseline, testScores: scores, warnings: prepared.warnings, ...(fairness ? { fairness } : {}), seconds: (performance.now() - f.started) / 1000, train: f.options, validationShare: prepared.validationShare,
    ...(reportInfo ? { report: reportInfo } : {}),
    ...(data.testSample ? { gate: gateSample(data.testSample, data.test.y, scores, "classification") } : {}),
    ...(tuning ? { tuning } : {}),
  };
}
