/**
 * Per-feature statistics gathered while the training data streams past (the
 * dataset's second and third passes, see train/data/dataset.ts): bins chosen
 * on the training rows, then counts per bin, class and split, missing values
 * and values that preprocessing clips. Memory is bounded by a fixed-size
 * sample per numeric column plus the count tables, whatever the file size.
 */
import type { PreprocessState, Row } from "../../shared/preprocess.ts";
import { seededRandom, type Random } from "../../shared/random.ts";
import type { FeatureSpec } from "../../shared/spec.ts";

/** How one feature's values fall into bins. Numeric bin k is (edges[k−1], edges[k]], open at both ends. */
export interface FeatureBinning {
  feature: string;
  kind: "numeric" | "categorical";
  /** Numeric: upper edges of all but the last bin (values from the training rows). */
  edges: number[];
  /** Categorical: one bin per category, in the spec's order, then "other" (values the spec does not list). */
  categories: string[];
  /** Numeric: every sampled value was a whole number (bin (10, 20] then reads "11–20"). */
  integer: boolean;
}

/** Bin count of a binning, not counting the "missing" slot that always follows. */
export function binCount(b: FeatureBinning): number {
  return b.kind === "numeric" ? b.edges.length + 1 : b.categories.length + 1;
}

/** The bin of a present value (the missing slot is `binCount(b)`). */
export function binOf(b: FeatureBinning, value: number | string): number {
  if (b.kind === "categorical") {
    const i = b.categories.indexOf(String(value));
    return i < 0 ? b.categories.length : i;
  }
  const x = value as number;
  let lo = 0;
  let hi = b.edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (b.edges[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Up to `bins` equal-frequency bins from a sample: edges are observed values
 * (inverted-CDF quantiles), so a bin label never shows a number the data does
 * not have; ties collapse edges, so a column that is mostly 0 gets fewer bins.
 */
export function quantileEdges(sample: Float64Array, bins: number): number[] {
  const sorted = Float64Array.from(sample).sort();
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = sorted[Math.max(0, Math.ceil((k / bins) * sorted.length) - 1)];
    if (e !== undefined && e !== edges[edges.length - 1] && e < sorted[sorted.length - 1]!) edges.push(e);
  }
  return edges;
}

/** Pass 2: a seeded reservoir of each numeric feature's training values, to place bin edges. */
export class BinningSketch {
  private readonly samples = new Map<string, { values: Float64Array; seen: number; integer: boolean }>();
  private readonly random: Random;

  constructor(private readonly spec: FeatureSpec, private readonly size = 20_000, seed = 1) {
    this.random = seededRandom(seed);
    for (const f of spec.features) if (f.type === "numeric") this.samples.set(f.name, { values: new Float64Array(size), seen: 0, integer: true });
  }

  add(row: Row): void {
    for (const [name, s] of this.samples) {
      const v = row[name];
      if (typeof v !== "number") continue;
      if (!Number.isInteger(v)) s.integer = false;
      if (s.seen < this.size) s.values[s.seen] = v;
      else {
        const j = Math.floor(this.random() * (s.seen + 1));
        if (j < this.size) s.values[j] = v;
      }
      s.seen++;
    }
  }

  binnings(bins = 10): FeatureBinning[] {
    return this.spec.features.map((f) => {
      if (f.type === "categorical") return { feature: f.name, kind: "categorical", edges: [], categories: [...f.values], integer: false };
      const s = this.samples.get(f.name)!;
      const sample = s.values.subarray(0, Math.min(s.seen, this.size));
      return { feature: f.name, kind: "numeric", edges: sample.length ? quantileEdges(sample, bins) : [], categories: [], integer: s.integer };
    });
  }
}

export const SPLITS = ["train", "validation", "test"] as const;
export type SplitName = (typeof SPLITS)[number];

/** Counts per bin for one split; index `binCount` is the missing slot. */
export interface SplitCounts {
  /** Rows per bin by outcome; a regression's rows all count as `good`. */
  good: number[];
  bad: number[];
  /** Regression: the sum of the target's values per bin (its mean per bin is sum / good). */
  sum?: number[];
  /** Values below / above the preprocessing's clip bounds (numeric features). */
  clippedLow: number;
  clippedHigh: number;
  /** Smallest and largest present value (numeric features; ±Infinity until one is seen): the range monitoring compares with. */
  min: number;
  max: number;
}

export interface FeatureCounts {
  binning: FeatureBinning;
  splits: Record<SplitName, SplitCounts>;
}

/** Pass 3: counts of every usable row by feature, bin, class and split. */
export class FeatureTally {
  private readonly features: FeatureCounts[];
  private readonly bounds: ({ lo: number; hi: number } | undefined)[];

  constructor(binnings: FeatureBinning[], state: PreprocessState) {
    this.features = binnings.map((binning) => {
      const n = binCount(binning) + 1;
      const split = (): SplitCounts => ({ good: new Array<number>(n).fill(0), bad: new Array<number>(n).fill(0), clippedLow: 0, clippedHigh: 0, min: Infinity, max: -Infinity });
      return { binning, splits: { train: split(), validation: split(), test: split() } };
    });
    this.bounds = binnings.map((b) => {
      const step = state.steps.find((s) => s.name === b.feature);
      return step?.kind === "numeric" ? { lo: step.lo, hi: step.hi } : undefined;
    });
  }

  /** A classified row (`label` 1 = bad), or with `target` a regression's row (counted as good, its target summed per bin). */
  add(row: Row, label: number, split: SplitName, target?: number): void {
    this.features.forEach((f, i) => {
      const v = row[f.binning.feature];
      const c = f.splits[split];
      const bin = v === null || v === undefined || v === "" ? binCount(f.binning) : binOf(f.binning, v);
      (label === 1 ? c.bad : c.good)[bin]!++;
      if (target !== undefined) (c.sum ??= new Array<number>(c.good.length).fill(0))[bin]! += target;
      if (typeof v === "number") {
        if (v < c.min) c.min = v;
        if (v > c.max) c.max = v;
      }
      const b = this.bounds[i];
      if (b && typeof v === "number") {
        if (v < b.lo) c.clippedLow++;
        else if (v > b.hi) c.clippedHigh++;
      }
    });
  }

  counts(): FeatureCounts[] {
    return this.features;
  }
}

/** A seeded, fixed-size uniform sample of a stream (Algorithm R). */
export class Reservoir<T> {
  readonly items: T[] = [];
  seen = 0;
  private readonly random: Random;

  constructor(private readonly size: number, seed = 1) {
    this.random = seededRandom(seed);
  }

  add(item: T): void {
    if (this.items.length < this.size) this.items.push(item);
    else {
      const j = Math.floor(this.random() * (this.seen + 1));
      if (j < this.size) this.items[j] = item;
    }
    this.seen++;
  }
}
