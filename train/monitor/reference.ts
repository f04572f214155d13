/**
 * What a monitor compares new applications with, stored at training time in
 * the manifest's card. Two halves:
 *
 * - `monitoringCard` (training side): `card.monitoring`, the reference the
 *   rest of the card lacked — score-bin counts and decision counts on the test
 *   split, the CBPE estimate on the test split (to set beside its real AUC),
 *   and each numeric feature's range on the training rows.
 * - `readReference` (monitor side): everything usable from any version's card,
 *   read defensively (older versions lack `analysis` and `monitoring`), each
 *   missing piece turned into an "unavailable" note instead of an error.
 *
 * Feature bins come from `card.analysis` (the model report's per-feature
 * analysis, counts on the training rows); score deciles from
 * `card.scoreDeciles.test`; test metrics and calibration from `card.metrics.test`.
 */
import { type } from "arktype";
import type { Manifest, Thresholds } from "../../shared/artifact.ts";
import { decide, type Decision } from "../../shared/predict.ts";
import type { Feature } from "../../shared/spec.ts";
import { binCount, binOf, type FeatureBinning, type FeatureCounts } from "../evaluate/feature-stats.ts";
import { scoreDeciles } from "../evaluate/metrics.ts";
import { expectedAuc, expectedBadRate } from "./cbpe.ts";
import { taskOf, type Task } from "./task.ts";

export const DECISIONS: readonly Decision[] = ["approve", "refer", "decline"];

/** `card.monitoring`, written by the training job. */
export interface MonitoringCard {
  /** The split `score`, `decisions` and `estimate` were measured on. */
  split: "test";
  /** Score deciles of the split and how many of its rows fall in each bin (value on a cut → the bin below). */
  score: { cuts: number[]; counts: number[] };
  decisions: Record<Decision, number>;
  /** CBPE on the split: compare with card.metrics.test to see how far the estimate can be trusted for this model. */
  estimate: { expectedAuc: number; expectedBadRate: number };
  /** Smallest and largest value of each numeric feature on the training rows. */
  ranges: Record<string, { min: number; max: number }>;
}

/** A numeric binning over sorted cut points (the score deciles, a feature's edges). */
export function numericBinning(feature: string, edges: number[]): FeatureBinning {
  return { feature, kind: "numeric", edges, categories: [], integer: false };
}

/** A regression's `card.monitoring`: what every task has (score bins, feature ranges); no decisions, no estimate from probabilities. */
export type OutputReference = Pick<MonitoringCard, "split" | "score" | "ranges">;

/** Score bins of the test split's answers (probabilities, or a regression's values) and the training ranges of the numeric features. */
export function outputReference(scores: ArrayLike<number>, counts: FeatureCounts[]): OutputReference {
  const cuts = scoreDeciles(scores);
  const bins = numericBinning("score", cuts);
  const scoreCounts = new Array<number>(binCount(bins)).fill(0);
  for (let i = 0; i < scores.length; i++) scoreCounts[binOf(bins, scores[i]!)]!++;
  const ranges: MonitoringCard["ranges"] = {};
  for (const fc of counts) {
    const t = fc.splits.train;
    if (fc.binning.kind === "numeric" && Number.isFinite(t.min) && Number.isFinite(t.max)) ranges[fc.binning.feature] = { min: t.min, max: t.max };
  }
  return { split: "test", score: { cuts, counts: scoreCounts }, ranges };
}

export function monitoringCard(scores: Float32Array, thresholds: Thresholds, counts: FeatureCounts[]): MonitoringCard {
  const decisions: Record<Decision, number> = { approve: 0, refer: 0, decline: 0 };
  for (const p of scores) decisions[decide(p, thresholds)]++;
  const { split, score, ranges } = outputReference(scores, counts);
  return { split, score, decisions, estimate: { expectedAuc: expectedAuc(scores), expectedBadRate: expectedBadRate(scores) }, ranges };
}

/** One feature's reference. `counts` / `labels` cover every slot of `binning` (value bins, "other" for categories, "missing" last). */
export interface FeatureReference {
  name: string;
  feature: Feature;
  /** Absent when the version has no per-feature bins: `unavailable` says why. */
  binning?: FeatureBinning;
  counts?: number[];
  labels?: string[];
  unavailable?: string;
  /** Share of missing values in the reference, and where it comes from. */
  missing?: { share: number; basis: string };
  /** Numeric features: the range values are compared with, and where it comes from. */
  range?: { min: number; max: number; basis: string };
}

export interface CalibrationRef { bin: number; count: number; meanPredicted: number; observedRate: number }

export interface ReferenceMetrics {
  n: number; positives: number; auc: number; gini: number; ks: number; brier: number; logLoss: number;
  calibration: CalibrationRef[];
}

/** A regression's test metrics and interval from its card: what labelled rows are compared with. */
export interface RegressionReferenceMetrics {
  n: number; rmse: number; mae: number; r2: number; medianAe: number;
  /** The interval's nominal level and its coverage on the test split (null when the card lacks it). */
  level: number | null;
  coverage: number | null;
}

export interface MonitorReference {
  task: Task;
  /** Score bins: the test split's deciles and its share per bin (equal shares assumed when the card has no counts). */
  score?: { cuts: number[]; shares: number[]; sharesMeasured: boolean };
  decisions?: Record<Decision, number>;
  features: FeatureReference[];
  /** The card's test metrics (the "then" of every comparison with labels): a classifier's, or a regression's. */
  metrics?: ReferenceMetrics;
  regression?: RegressionReferenceMetrics;
  /** CBPE on the test split, when the card has it. */
  estimate?: { expectedAuc: number; expectedBadRate: number };
  /** What this version's card lacks, in sentences. */
  notes: string[];
}

const count = "number.integer >= 0";
const monitoringType = type({
  split: "string",
  score: { cuts: "number[]", counts: `${count}[]` },
  // A regression's card has no decisions and no estimate from probabilities.
  "decisions?": { approve: count, refer: count, decline: count },
  "estimate?": { expectedAuc: "number", expectedBadRate: "number" },
  ranges: type.Record("string", { min: "number", max: "number" }),
});
const regressionMetricsType = type({ n: count, rmse: "number", mae: "number", r2: "number", medianAe: "number" });
const intervalType = type({ level: "number", test: { coverage: "number" } });
const analysisFeatureType = type({
  kind: "'numeric' | 'categorical'",
  "edges?": "number[]",
  "categories?": "string[]",
  bins: type({ label: "string", train: count, test: count }).array(),
  "missingShare?": { train: "number", test: "number" },
});
const calibrationType = type({ bin: "number", count: "number", meanPredicted: "number", observedRate: "number" });
const metricsType = type({
  n: count, positives: count, auc: "number", gini: "number", ks: "number", brier: "number", logLoss: "number",
  calibration: calibrationType.array(),
});
const profileType = type({ "min?": "number", "max?": "number", "missing?": count });

/** Own keys only: a feature named "constructor" absent from the card is absent, not Object's constructor. */
function get(o: unknown, ...path: string[]): unknown {
  let v = o;
  for (const k of path) v = typeof v === "object" && v !== null && Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/**
 * The card's bins (only the shown ones: empty "other"/"missing" bins are left
 * out by the report) spread over every slot of the binning, by position:
 * value bins first, then "other" (categories) and "missing" when present.
 */
export function referenceCounts(binning: FeatureBinning, bins: { label: string; train: number }[]): { counts: number[]; labels: string[] } | { error: string } {
  const slots = binCount(binning) + 1;
  const fixed = binning.kind === "numeric" ? slots - 1 : binning.categories.length;
  const counts = new Array<number>(slots).fill(0);
  const labels = new Array<string>(slots).fill("");
  labels[slots - 1] = "missing";
  if (binning.kind === "categorical") labels[slots - 2] = "other";
  if (bins.length < fixed || bins.length > slots) return { error: `the card has ${bins.length} bins where its ${fixed} value bins plus "other"/"missing" were expected` };
  bins.forEach((b, i) => {
    // Past the fixed bins: a categorical feature's "other" comes before "missing"; the label says which one is present.
    const slot = i < fixed ? i : b.label === "missing" && (binning.kind === "numeric" || i === bins.length - 1) ? slots - 1 : slots - 2;
    counts[slot] = b.train;
    labels[slot] = b.label;
  });
  return { counts, labels };
}

function featureReference(f: Feature, card: Record<string, unknown>, monitoring: MonitoringCard | undefined, trainingRows: number | undefined): FeatureReference {
  const ref: FeatureReference = { name: f.name, feature: f };
  const raw = get(card, "analysis", "features", f.name);
  const parsed = raw === undefined ? undefined : analysisFeatureType(raw);
  if (parsed === undefined) ref.unavailable = "this version was published without per-feature bins (card.analysis)";
  else if (parsed instanceof type.errors) ref.unavailable = `card.analysis.features.${f.name} is malformed: ${parsed.summary}`;
  else if (parsed.kind !== f.type) ref.unavailable = `card.analysis.features.${f.name} is ${parsed.kind} but the spec says ${f.type}`;
  else {
    const binning: FeatureBinning = parsed.kind === "numeric"
      ? numericBinning(f.name, parsed.edges ?? [])
      : { feature: f.name, kind: "categorical", edges: [], categories: parsed.categories ?? [], integer: false };
    const spread = referenceCounts(binning, parsed.bins);
    if ("error" in spread) ref.unavailable = `card.analysis.features.${f.name}: ${spread.error}`;
    else if (spread.counts.every((c) => c === 0)) ref.unavailable = `card.analysis.features.${f.name} has no training rows`;
    else Object.assign(ref, { binning, ...spread });
    if (parsed.missingShare) ref.missing = { share: parsed.missingShare.train, basis: "training rows" };
  }
  const profile = profileType(get(card, "data", "profile", f.name) ?? {});
  if (!ref.missing && !(profile instanceof type.errors) && profile.missing !== undefined && trainingRows) {
    ref.missing = { share: profile.missing / trainingRows, basis: "whole training file" };
  }
  if (f.type === "numeric") {
    const r = monitoring && Object.hasOwn(monitoring.ranges, f.name) ? monitoring.ranges[f.name] : undefined;
    if (r) ref.range = { ...r, basis: "training rows" };
    else if (!(profile instanceof type.errors) && profile.min !== undefined && profile.max !== undefined) ref.range = { min: profile.min, max: profile.max, basis: "whole training file" };
  }
  return ref;
}

/** Everything a monitor can use from this version's card; never throws on a card that lacks parts. */
export function readReference(m: Pick<Manifest, "spec" | "card" | "task">): MonitorReference {
  const notes: string[] = [];
  const task = taskOf(m);
  const rawMonitoring = m.card.monitoring;
  let monitoring: MonitoringCard | undefined;
  if (rawMonitoring !== undefined) {
    const out = monitoringType(rawMonitoring);
    if (out instanceof type.errors) notes.push(`card.monitoring is malformed (${out.summary}); using what else the card has`);
    else if (task === "classification" && (!out.decisions || !out.estimate)) notes.push("card.monitoring has no decision counts or estimate; using what else the card has");
    else monitoring = out as MonitoringCard;
  } else notes.push("this version was published before monitoring references (card.monitoring): decision shares and the reference estimate are unavailable, score bins are assumed to hold 10 % each, ranges come from the whole training file");

  let score: MonitorReference["score"];
  if (monitoring && monitoring.score.counts.length === monitoring.score.cuts.length + 1 && monitoring.score.counts.some((c) => c > 0)) {
    const total = monitoring.score.counts.reduce((s, c) => s + c, 0);
    score = { cuts: monitoring.score.cuts, shares: monitoring.score.counts.map((c) => c / total), sharesMeasured: true };
  } else {
    const cuts = type("number[]")(get(m.card, "scoreDeciles", "test"));
    if (cuts instanceof type.errors || cuts.length === 0) notes.push("the card has no score deciles (card.scoreDeciles.test): score drift is unavailable");
    else score = { cuts, shares: new Array<number>(cuts.length + 1).fill(1 / (cuts.length + 1)), sharesMeasured: false };
  }

  const metrics = task === "classification" ? metricsType(get(m.card, "metrics", "test")) : undefined;
  if (metrics instanceof type.errors) notes.push(`the card's test metrics are unavailable (${metrics.summary})`);
  let regression: RegressionReferenceMetrics | undefined;
  if (task === "regression") {
    const r = regressionMetricsType(get(m.card, "metrics", "test"));
    const i = intervalType(get(m.card, "interval"));
    if (r instanceof type.errors) notes.push(`the card's test metrics are unavailable (${r.summary})`);
    else regression = { n: r.n, rmse: r.rmse, mae: r.mae, r2: r.r2, medianAe: r.medianAe, level: i instanceof type.errors ? null : i.level, coverage: i instanceof type.errors ? null : i.test.coverage };
  }
  const rows = get(m.card, "data", "rows");
  const features = m.spec.features.map((f) => featureReference(f, m.card, monitoring, typeof rows === "number" ? rows : undefined));
  if (features.every((f) => f.unavailable)) notes.push("no per-feature bins in this version's card: feature drift (PSI) is unavailable; train a new version to get them");

  return {
    task,
    ...(score ? { score } : {}),
    ...(monitoring?.decisions && monitoring.estimate ? { decisions: monitoring.decisions, estimate: monitoring.estimate } : {}),
    features,
    ...(metrics && !(metrics instanceof type.errors) ? { metrics } : {}),
    ...(regression ? { regression } : {}),
    notes,
  };
}
