/**
 * Drift of new applications against the reference, tallied as rows stream past
 * (fixed memory: counts per bin, a bounded list of unseen categories) and then
 * summarised by pure functions:
 *
 * - score: PSI of the model's answers (a classifier's probabilities, a
 *   regression's predicted values) on the reference's deciles of them;
 * - decisions (classifiers): approve / refer / decline shares now and then;
 * - per feature: PSI (characteristic stability) on the reference bins, share
 *   of values outside the training range, categories the spec does not list,
 *   change in the missing share.
 */
import type { Thresholds } from "../../shared/artifact.ts";
import { acceptPath } from "../../shared/accept.ts";
import { decide, type Decision } from "../../shared/predict.ts";
import type { Row } from "../../shared/preprocess.ts";
import { binCount, binOf } from "../evaluate/feature-stats.ts";
import { psiFromCounts } from "../evaluate/metrics.ts";
import { DECISIONS, numericBinning, type FeatureReference, type MonitorReference } from "./reference.ts";

/** Distinct unseen categories remembered per feature (the rest are counted, not named). */
const MAX_UNSEEN = 20;

interface FeatureTallyState {
  ref: FeatureReference;
  counts?: number[];
  present: number;
  missing: number;
  below: number;
  above: number;
  allowed?: Set<string>;
  unseen: Map<string, number>;
  unseenRows: number;
}

/** Counts of everything drift is computed from; fixed size whatever the number of rows. */
export class DriftTally {
  rows = 0;
  /** Rows the edge would refuse (422): a category the spec does not list, a number outside the spec's bounds, a missing non-nullable value. */
  refused = 0;
  readonly scoreCounts?: number[];
  readonly decisions: Record<Decision, number> = { approve: 0, refer: 0, decline: 0 };
  private readonly features: FeatureTallyState[];
  private readonly scoreBins;
  private readonly accept;

  /** `thresholds`: a classifier's (decisions are tallied); undefined for a regression. */
  constructor(readonly ref: MonitorReference, private readonly thresholds: Thresholds | undefined, spec: Parameters<typeof acceptPath>[0]) {
    this.features = ref.features.map((f) => ({
      ref: f, present: 0, missing: 0, below: 0, above: 0, unseen: new Map(), unseenRows: 0,
      ...(f.binning ? { counts: new Array<number>(binCount(f.binning) + 1).fill(0) } : {}),
      ...(f.feature.type === "categorical" ? { allowed: new Set(f.feature.values) } : {}),
    }));
    this.scoreBins = ref.score ? numericBinning("score", ref.score.cuts) : undefined;
    if (this.scoreBins) this.scoreCounts = new Array<number>(binCount(this.scoreBins)).fill(0);
    this.accept = acceptPath(spec);
  }

  /** One typed row (every feature present as a value or null). */
  addRow(row: Row): void {
    this.rows++;
    if (!this.accept(row)) this.refused++;
    for (const t of this.features) {
      const v = row[t.ref.name];
      if (v === null || v === undefined || v === "") {
        t.missing++;
        if (t.counts) t.counts[t.counts.length - 1]!++;
        continue;
      }
      t.present++;
      if (t.counts) t.counts[binOf(t.ref.binning!, v)]!++;
      if (t.allowed && !t.allowed.has(String(v))) {
        t.unseenRows++;
        const key = String(v).slice(0, 60);
        if (t.unseen.has(key) || t.unseen.size < MAX_UNSEEN) t.unseen.set(key, (t.unseen.get(key) ?? 0) + 1);
      } else if (t.ref.range && typeof v === "number") {
        if (v < t.ref.range.min) t.below++;
        else if (v > t.ref.range.max) t.above++;
      }
    }
  }

  /** The model's answer (probability or value) for a row added with `addRow`. */
  addScore(p: number): void {
    if (this.scoreBins) this.scoreCounts![binOf(this.scoreBins, p)]!++;
    if (this.thresholds) this.decisions[decide(p, this.thresholds)]++;
  }

  summary(): Drift {
    return summarizeDrift(this.ref, {
      rows: this.rows, refused: this.refused, decisions: this.decisions,
      ...(this.scoreCounts ? { scoreCounts: this.scoreCounts } : {}),
      features: this.features.map((t) => ({
        name: t.ref.name, present: t.present, missing: t.missing, below: t.below, above: t.above, unseenRows: t.unseenRows,
        unseen: [...t.unseen].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count),
        ...(t.counts ? { counts: t.counts } : {}),
      })),
    });
  }
}

/** What the tally hands to {@link summarizeDrift}: plain counts, so the summary is testable by hand. */
export interface DriftCounts {
  rows: number;
  refused: number;
  scoreCounts?: number[];
  decisions: Record<Decision, number>;
  features: {
    name: string; present: number; missing: number; below: number; above: number; unseenRows: number;
    unseen: { value: string; count: number }[];
    counts?: number[];
  }[];
}

export interface BinShift {
  label: string;
  /** Shares of the reference and of the new rows. */
  reference: number;
  current: number;
  /** New rows in the bin. */
  count: number;
}

export interface FeatureDrift {
  name: string;
  kind: "numeric" | "categorical";
  /** PSI of the new rows against the reference bins (the characteristic stability index); null when unavailable. */
  psi: number | null;
  unavailable?: string;
  bins: BinShift[];
  missing: { reference: number | null; current: number; change: number | null; basis?: string };
  /** Numeric: values below / above the reference range. */
  outOfRange?: { below: number; above: number; share: number; min: number; max: number; basis: string };
  /** Categorical: values the spec does not list (the edge refuses them); the most frequent named. */
  unseen?: { rows: number; share: number; values: { value: string; count: number }[] };
}

export interface ScoreDrift {
  psi: number;
  bins: BinShift[];
  /** False when the card had no counts per score bin and 10 % each was assumed. */
  referenceMeasured: boolean;
}

export interface DecisionDrift {
  decision: Decision;
  reference: number | null;
  current: number;
  change: number | null;
}

export interface Drift {
  rows: number;
  /** Rows the edge would refuse with 422 (they are scored here as training's preprocessing would). */
  refused: { rows: number; share: number };
  score: ScoreDrift | null;
  decisions: { shares: DecisionDrift[]; psi: number | null };
  /** Highest PSI first; features without bins last. */
  features: FeatureDrift[];
}

const pctLabel = (x: number) => `${(x * 100).toFixed(1)}%`;

const valueLabel = (x: number) => String(Number(x.toPrecision(4)));

/** Labels of score bins from their cuts: "≤ 2.1%", "2.1–4.3%", …, "> 75.1%" (a regression's values: "≤ 312.5", …). */
export function scoreBinLabels(cuts: number[], values = false): string[] {
  if (cuts.length === 0) return [values ? "all values" : "all scores"];
  const l = values ? valueLabel : pctLabel;
  return [`≤ ${l(cuts[0]!)}`, ...cuts.slice(1).map((c, i) => `${l(cuts[i]!)}–${l(c)}`), `> ${l(cuts[cuts.length - 1]!)}`];
}

function shifts(labels: string[], reference: number[], current: number[]): BinShift[] {
  const refTotal = reference.reduce((s, x) => s + x, 0);
  const curTotal = current.reduce((s, x) => s + x, 0);
  return labels.map((label, i) => ({ label, reference: refTotal ? reference[i]! / refTotal : 0, current: curTotal ? current[i]! / curTotal : 0, count: current[i]! }));
}

function featureDrift(ref: FeatureReference, c: DriftCounts["features"][number], rows: number): FeatureDrift {
  const current = rows ? c.missing / rows : 0;
  const out: FeatureDrift = {
    name: ref.name, kind: ref.feature.type, psi: null, bins: [],
    missing: { reference: ref.missing?.share ?? null, current, change: ref.missing ? current - ref.missing.share : null, ...(ref.missing ? { basis: ref.missing.basis } : {}) },
  };
  if (ref.unavailable || !ref.counts || !c.counts) out.unavailable = ref.unavailable ?? "no reference bins";
  else if (rows === 0) out.unavailable = "no rows";
  else {
    out.psi = psiFromCounts(ref.counts, c.counts);
    // Value bins always show; "other" and "missing" only when someone, then or now, is in them.
    const b = ref.binning!;
    const valueBins = b.kind === "numeric" ? b.edges.length + 1 : b.categories.length;
    out.bins = shifts(ref.labels!, ref.counts, c.counts).filter((_, i) => i < valueBins || ref.counts![i]! > 0 || c.counts![i]! > 0);
  }
  if (ref.range) out.outOfRange = { below: c.below, above: c.above, share: c.present ? (c.below + c.above) / c.present : 0, min: ref.range.min, max: ref.range.max, basis: ref.range.basis };
  if (ref.feature.type === "categorical") out.unseen = { rows: c.unseenRows, share: rows ? c.unseenRows / rows : 0, values: c.unseen.slice(0, 10) };
  return out;
}

/** Pure: the drift report from counts and the reference. */
export function summarizeDrift(ref: MonitorReference, c: DriftCounts): Drift {
  let score: ScoreDrift | null = null;
  if (ref.score && c.scoreCounts && c.rows > 0) {
    score = { psi: psiFromCounts(ref.score.shares, c.scoreCounts), bins: shifts(scoreBinLabels(ref.score.cuts, ref.task === "regression"), ref.score.shares, c.scoreCounts), referenceMeasured: ref.score.sharesMeasured };
  }
  const features = ref.features.map((f, i) => featureDrift(f, c.features[i]!, c.rows));
  features.sort((a, b) => (b.psi ?? -1) - (a.psi ?? -1));
  const refused = { rows: c.refused, share: c.rows ? c.refused / c.rows : 0 };
  // A regression has no decisions.
  if (ref.task === "regression") return { rows: c.rows, refused, score, decisions: { shares: [], psi: null }, features };
  const refDecisions = ref.decisions ? DECISIONS.map((d) => ref.decisions![d]) : undefined;
  const refTotal = refDecisions?.reduce((s, x) => s + x, 0) ?? 0;
  const shares: DecisionDrift[] = DECISIONS.map((d, i) => {
    const current = c.rows ? c.decisions[d] / c.rows : 0;
    const reference = refDecisions && refTotal ? refDecisions[i]! / refTotal : null;
    return { decision: d, reference, current, change: reference === null ? null : current - reference };
  });
  const decisionPsi = refDecisions && refTotal && c.rows ? psiFromCounts(refDecisions, DECISIONS.map((d) => c.decisions[d])) : null;
  return { rows: c.rows, refused, score, decisions: { shares, psi: decisionPsi }, features };
}
