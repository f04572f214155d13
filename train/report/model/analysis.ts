/**
 * Everything the model report shows, computed once from what the training job
 * already has in hand (test labels and scores, per-feature counts from the
 * streaming passes, a sample of test applicants, the trained network): plain
 * JSON-able data, rendered by the page modules and partly kept in the
 * manifest's card (`analysis`) for monitoring.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { ARTIFACT_FORMAT, type Manifest, type Thresholds } from "../../../shared/artifact.ts";
import type { PreprocessState, Row } from "../../../shared/preprocess.ts";
import { createScorer } from "../../../shared/scorer.ts";
import type { FeatureSpec } from "../../../shared/spec.ts";
import { bandRates, ksCurve, rocCurve, scoreHistogram, wilsonInterval, type BandRates, type CurvePoint, type HistogramBin, type KsPoint } from "../../evaluate/curves.ts";
import { binCount, type FeatureBinning, type FeatureCounts, type SplitCounts } from "../../evaluate/feature-stats.ts";
import { globalImportance, numericGrid, partialDependence, type DependencePoint, type Importance } from "../../evaluate/importance.ts";
import type { Evaluation } from "../../evaluate/metrics.ts";
import { confusion, type Confusion } from "../../evaluate/probability.ts";
import { liftTable, prCurve, type DecileRow, type PrCurve } from "../../evaluate/lift.ts";
import { psiFromCounts } from "../../evaluate/metrics.ts";
import { ivStrength, woeTable, type IvStrength, type WoeTable } from "../../evaluate/woe.ts";
import { fmt } from "../kit/format.ts";
import { impactKernelModule } from "../../kernels/load.ts";

export interface CalibrationPoint {
  bin: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
  /** Wilson 95 % interval of the observed rate. */
  lo: number;
  hi: number;
}

export interface FeatureAnalysis extends FeatureBins {
  /** Weight of evidence on the training rows, over the shown bins. */
  woe: WoeTable;
  iv: number;
  strength: IvStrength;
  importance: Importance;
  /** 1 = most important. */
  rank: number;
  dependence?: DependencePoint[];
}

export interface ModelAnalysis {
  roc: CurvePoint[];
  ks: KsPoint[];
  ksMax: { score: number; gap: number; bad: number; good: number };
  histogram: HistogramBin[];
  bands: BandRates[];
  calibration: CalibrationPoint[];
  /** Operating points of the two thresholds on the ROC curve. */
  operating: { name: "refer" | "decline"; threshold: number; fpr: number; tpr: number }[];
  /** Counts at each threshold (bad predicted at or above it). */
  confusion: { name: "refer" | "decline"; matrix: Confusion }[];
  lift: DecileRow[];
  pr: PrCurve;
  features: FeatureAnalysis[];
  /** Applicants the importance and partial dependence were computed on (a seeded sample of the test rows). */
  explainedRows: number;
  testRows: number;
}

export interface AnalysisInput {
  name: string;
  spec: FeatureSpec;
  preprocess: PreprocessState;
  thresholds: Thresholds;
  model: tfl.LayersModel;
  labels: Float32Array;
  scores: Float32Array;
  test: Evaluation;
  counts: FeatureCounts[];
  /** Test applicants for importance and partial dependence (bounded sample). */
  sample: Row[];
  /** Partial dependence for this many of the most important features. */
  dependenceTop?: number;
}

/** Human labels for a binning's bins, the missing slot last: "≤ 20", "21–35", "> 60", "missing". */
export function binLabels(b: FeatureBinning): string[] {
  if (b.kind === "categorical") return [...b.categories, "other", "missing"];
  const e = b.edges;
  if (e.length === 0) return ["all values", "missing"];
  const labels = [`≤ ${fmt.value(e[0]!)}`];
  for (let i = 1; i < e.length; i++) {
    const from = e[i - 1]!;
    const to = e[i]!;
    labels.push(b.integer ? (from + 1 === to ? fmt.value(to) : `${fmt.value(from + 1)}–${fmt.value(to)}`) : `${fmt.value(from)}–${fmt.value(to)}`);
  }
  labels.push(`> ${fmt.value(e[e.length - 1]!)}`);
  return [...labels, "missing"];
}

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
const total = (c: SplitCounts, i: number) => c.good[i]! + c.bad[i]!;

/** What the report shows of any feature, whatever the task: its bins, the test split's drift from training, missing and clipped values. */
export interface FeatureBins {
  name: string;
  kind: "numeric" | "categorical";
  description?: string;
  binning: FeatureBinning;
  /** Label of every shown bin, in order (empty "other" / "missing" bins left out). */
  bins: { label: string; index: number; train: number; test: number; trainShare: number; testShare: number }[];
  /** Population stability index of the test rows against the training rows, on these bins. */
  psi: number;
  missingShare: { train: number; test: number };
  clipped: { train: { low: number; high: number }; test: { low: number; high: number }; lo?: number; hi?: number };
}

export function featureBins(fc: FeatureCounts, spec: FeatureSpec, step: PreprocessState["steps"][number] | undefined): FeatureBins {
  const { binning, splits } = fc;
  const labels = binLabels(binning);
  const n = binCount(binning) + 1;
  const trainN = sum(splits.train.good) + sum(splits.train.bad);
  const testN = sum(splits.test.good) + sum(splits.test.bad);
  const fixedBins = binning.kind === "numeric" ? n - 1 : n - 2; // bins always shown: all numeric bins, every category
  const shown = Array.from({ length: n }, (_, i) => i).filter((i) => i < fixedBins || total(splits.train, i) + total(splits.test, i) + total(splits.validation, i) > 0);
  const bins = shown.map((i) => ({
    label: labels[i]!, index: i, train: total(splits.train, i), test: total(splits.test, i),
    trainShare: trainN ? total(splits.train, i) / trainN : 0, testShare: testN ? total(splits.test, i) / testN : 0,
  }));
  const missing = n - 1;
  const feature = spec.features.find((f) => f.name === binning.feature);
  return {
    name: binning.feature, kind: binning.kind, ...(feature?.description ? { description: feature.description } : {}),
    binning, bins,
    psi: psiFromCounts(shown.map((i) => total(splits.train, i)), shown.map((i) => total(splits.test, i))),
    missingShare: { train: trainN ? total(splits.train, missing) / trainN : 0, test: testN ? total(splits.test, missing) / testN : 0 },
    clipped: {
      train: { low: splits.train.clippedLow, high: splits.train.clippedHigh }, test: { low: splits.test.clippedLow, high: splits.test.clippedHigh },
      ...(step?.kind === "numeric" ? { lo: step.lo, hi: step.hi } : {}),
    },
  };
}

function featureAnalysis(fc: FeatureCounts, spec: FeatureSpec, step: PreprocessState["steps"][number] | undefined, importance: Importance): Omit<FeatureAnalysis, "rank"> {
  const base = featureBins(fc, spec, step);
  const labels = binLabels(fc.binning);
  const woe = woeTable(base.bins.map(({ index: i }) => ({ label: labels[i]!, good: fc.splits.train.good[i]!, bad: fc.splits.train.bad[i]! })));
  return { ...base, woe, iv: woe.iv, strength: ivStrength(woe.iv), importance };
}

/** Computes the whole analysis; builds a scorer around `model` (not disposed: the caller owns the model). */
export function analyseModel(input: AnalysisInput): ModelAnalysis {
  const { labels, scores, thresholds } = input;
  const roc = rocCurve(labels, scores);
  const ks = ksCurve(roc);
  let ksMax = { score: 0, gap: 0, bad: 0, good: 0 };
  for (const p of ks) if (p.good - p.bad > ksMax.gap) ksMax = { score: p.score, gap: p.good - p.bad, bad: p.bad, good: p.good };
  const operating = (["refer", "decline"] as const).map((name) => {
    // The ROC point of the threshold: the lowest curve threshold still >= it (predicting bad at or above it).
    const t = thresholds[name];
    const p = [...roc].reverse().find((q) => q.threshold >= t) ?? roc[0]!;
    return { name, threshold: t, fpr: p.fpr, tpr: p.tpr };
  });
  const calibration = input.test.calibration.map((b) => {
    const w = wilsonInterval(Math.round(b.observedRate * b.count), b.count);
    return { bin: b.bin, count: b.count, meanPredicted: b.meanPredicted, observedRate: b.observedRate, lo: w.lo, hi: w.hi };
  });

  const draft: Manifest = {
    format: ARTIFACT_FORMAT, name: input.name, version: "unpublished", createdAt: new Date(0).toISOString(),
    spec: input.spec, preprocess: input.preprocess, thresholds, files: {}, card: {},
  };
  const scorer = createScorer(draft, input.model, impactKernelModule());
  const importance = globalImportance(scorer, input.sample);
  const features = input.counts.map((fc, j) => featureAnalysis(fc, input.spec, input.preprocess.steps.find((s) => s.name === fc.binning.feature), importance[j]!));
  const order = [...features].sort((a, b) => b.importance.meanAbsImpact - a.importance.meanAbsImpact);
  const ranked: FeatureAnalysis[] = features.map((f) => ({ ...f, rank: order.indexOf(f) + 1 }));
  for (const f of order.slice(0, input.dependenceTop ?? 4)) {
    const spec = input.spec.features.find((x) => x.name === f.name)!;
    const grid = spec.type === "categorical"
      ? spec.values
      : numericGrid(input.sample.map((r) => r[f.name]).filter((v): v is number => typeof v === "number"));
    const target = ranked.find((x) => x.name === f.name)!;
    target.dependence = partialDependence(scorer, input.sample, f.name, grid);
  }
  return {
    roc, ks, ksMax, histogram: scoreHistogram(labels, scores, 40), bands: bandRates(labels, scores, thresholds),
    calibration, operating, features: ranked,
    confusion: (["refer", "decline"] as const).map((name) => ({ name, matrix: confusion(labels, scores, thresholds[name]) })),
    lift: liftTable(labels, scores), pr: prCurve(labels, scores), explainedRows: input.sample.length, testRows: labels.length,
  };
}

/**
 * The part of the analysis kept in the manifest's card: per-feature bins with
 * training and test counts, IV, PSI and importance. Small (tens of numbers
 * per feature), and what a monitor needs to compare live traffic per feature.
 */
const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * The per-feature card of any task: bins with training and test counts (what
 * the monitor compares with), PSI, missing shares and importance, plus what
 * the task adds per bin (`perBin`) and per feature (`extra`).
 */
export function featuresCard<F extends FeatureBins & { importance: Importance; rank: number }>(
  features: F[], explainedRows: number, perBin: (f: F, k: number) => Record<string, unknown>, extra: (f: F) => Record<string, unknown> = () => ({}),
): Record<string, unknown> {
  return {
    explainedRows,
    features: Object.fromEntries(features.map((f) => [f.name, {
      kind: f.kind,
      ...(f.kind === "numeric" ? { edges: f.binning.edges } : { categories: f.binning.categories }),
      bins: f.bins.map((b, k) => ({ label: b.label, train: b.train, test: b.test, ...perBin(f, k) })),
      ...extra(f), psiTrainTest: r6(f.psi), missingShare: { train: r6(f.missingShare.train), test: r6(f.missingShare.test) },
      importance: { meanAbsImpact: r6(f.importance.meanAbsImpact), rank: f.rank },
    }])),
  };
}

export function analysisCard(a: ModelAnalysis): Record<string, unknown> {
  return featuresCard(a.features, a.explainedRows, (f, k) => ({ woe: f.woe.bins.find((w) => w.label === f.bins[k]!.label)?.woe ?? null }), (f) => ({ iv: r6(f.iv) }));
}
