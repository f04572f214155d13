/**
 * What a regression model's report shows, computed once from what the
 * training job has in hand (test targets, predicted values and intervals,
 * per-feature counts and target sums from the streaming passes, a sample of
 * test rows, the network as served): a sample of predicted-vs-actual points,
 * the residual distribution, interval coverage by decile, and per feature its
 * importance in the target's units, partial dependence, bins with the mean
 * target and drift. Part of it is kept in the card (`analysis`) for the
 * monitor, in the same shape as a classifier's.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { ARTIFACT_FORMAT_V2, type Manifest } from "../../../shared/artifact.ts";
import type { PreprocessState, Row } from "../../../shared/preprocess.ts";
import { seededRandom } from "../../../shared/random.ts";
import { createScorer } from "../../../shared/scorer.ts";
import type { FeatureSpec } from "../../../shared/spec.ts";
import type { RegressionTask } from "../../../shared/task.ts";
import type { CoverageBin } from "../../evaluate/conformal.ts";
import type { FeatureCounts } from "../../evaluate/feature-stats.ts";
import { globalImportance, numericGrid, partialDependence, type DependencePoint, type Importance } from "../../evaluate/importance.ts";
import { featureBins, featuresCard, type FeatureBins } from "./analysis.ts";
import { impactKernelModule } from "../../kernels/load.ts";

export interface RegressionFeature extends FeatureBins {
  /** Mean target of the training rows in each shown bin (null for an empty bin). */
  meanTarget: (number | null)[];
  importance: Importance;
  rank: number;
  dependence?: DependencePoint[];
}

export interface Point { actual: number; predicted: number; lo: number; hi: number }

export interface ResidualBin { x0: number; x1: number; count: number }

export interface RegressionAnalysis {
  /** A seeded sample of the test rows (at most {@link MAX_POINTS}) for the scatter charts. */
  points: Point[];
  /** Residuals (actual − predicted) of every test row, in equal-width bins between their 1st and 99th percentiles (the rest in the end bins). */
  residuals: ResidualBin[];
  coverage: CoverageBin[];
  level: number;
  features: RegressionFeature[];
  explainedRows: number;
  testRows: number;
}

export interface RegressionAnalysisInput {
  name: string;
  spec: FeatureSpec;
  preprocess: PreprocessState;
  task: RegressionTask;
  model: tfl.LayersModel;
  actual: Float32Array;
  values: Float64Array;
  lo: Float64Array;
  hi: Float64Array;
  coverage: CoverageBin[];
  counts: FeatureCounts[];
  sample: Row[];
  dependenceTop?: number;
}

/** Points drawn in a scatter chart: enough to see the shape, few enough to keep the page small. */
export const MAX_POINTS = 1200;

function samplePoints(input: RegressionAnalysisInput): Point[] {
  const n = input.actual.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  if (n > MAX_POINTS) {
    const random = seededRandom(7);
    for (let i = 0; i < MAX_POINTS; i++) {
      const j = i + Math.floor(random() * (n - i));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    idx.length = MAX_POINTS;
  }
  return idx.map((i) => ({ actual: input.actual[i]!, predicted: input.values[i]!, lo: input.lo[i]!, hi: input.hi[i]! }));
}

/** Equal-width bins between the 1st and 99th percentile; values beyond fall into the end bins. */
export function residualHistogram(residuals: Float64Array, bins = 40): ResidualBin[] {
  if (residuals.length === 0) return [];
  const sorted = Float64Array.from(residuals).sort();
  const lo = sorted[Math.floor(0.01 * (sorted.length - 1))]!;
  const hi = sorted[Math.ceil(0.99 * (sorted.length - 1))]!;
  const width = hi > lo ? (hi - lo) / bins : 1;
  const out = Array.from({ length: bins }, (_, k) => ({ x0: lo + k * width, x1: lo + (k + 1) * width, count: 0 }));
  for (const r of residuals) out[Math.min(bins - 1, Math.max(0, Math.floor((r - lo) / width)))]!.count++;
  return out;
}

export function analyseRegression(input: RegressionAnalysisInput): RegressionAnalysis {
  const residuals = new Float64Array(input.actual.length);
  for (let i = 0; i < residuals.length; i++) residuals[i] = input.actual[i]! - input.values[i]!;
  const draft: Manifest = {
    format: ARTIFACT_FORMAT_V2, name: input.name, version: "unpublished", createdAt: new Date(0).toISOString(),
    task: input.task, spec: input.spec, preprocess: input.preprocess, files: {}, card: {},
  };
  const scorer = createScorer(draft, input.model, impactKernelModule());
  const importance = globalImportance(scorer, input.sample);
  const features = input.counts.map((fc, j) => {
    const base = featureBins(fc, input.spec, input.preprocess.steps.find((s) => s.name === fc.binning.feature));
    const t = fc.splits.train;
    const meanTarget = base.bins.map(({ index: i }) => (t.good[i]! > 0 && t.sum ? t.sum[i]! / t.good[i]! : null));
    return { ...base, meanTarget, importance: importance[j]!, rank: 0 } as RegressionFeature;
  });
  const order = [...features].sort((a, b) => b.importance.meanAbsImpact - a.importance.meanAbsImpact);
  order.forEach((f, k) => { f.rank = k + 1; });
  for (const f of order.slice(0, input.dependenceTop ?? 4)) {
    const spec = input.spec.features.find((x) => x.name === f.name)!;
    const grid = spec.type === "categorical" ? spec.values : numericGrid(input.sample.map((r) => r[f.name]).filter((v): v is number => typeof v === "number"));
    f.dependence = partialDependence(scorer, input.sample, f.name, grid);
  }
  return {
    points: samplePoints(input), residuals: residualHistogram(residuals), coverage: input.coverage, level: input.task.interval.level,
    features, explainedRows: input.sample.length, testRows: input.actual.length,
  };
}

/** The card's per-feature part: bins with training and test counts (what the monitor compares with), the mean target per bin, PSI, importance. */
export function regressionAnalysisCard(a: RegressionAnalysis): Record<string, unknown> {
  return featuresCard(a.features, a.explainedRows, (f, k) => ({ meanTarget: f.meanTarget[k] === null ? null : Math.round(f.meanTarget[k]! * 1e6) / 1e6 }));
}
