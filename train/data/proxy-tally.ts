/**
 * The counts proxies are measured from (train/evaluate/proxies.ts): for each
 * feature and protected attribute, rows per (feature bin, group), tallied as
 * the rows stream past, so nothing is kept but the counts. A category is its
 * own bin; a number falls in one of up to ten quantile bins with edges from
 * the profile's counts of distinct values (equal widths when the column has
 * too many distinct values to have been counted); missing is one more bin.
 */
import type { Row } from "../../shared/preprocess.ts";
import type { FeatureSpec } from "../../shared/spec.ts";
import type { DataProfile } from "./profile.ts";
import type { ProtectedAttribute } from "./protected.ts";

const NUMERIC_BINS = 10;

/** Inner edges (a value v is in bin #edges ≤ v) cutting the profiled values into about `bins` equal-count bins. */
export function quantileEdges(values: ReadonlyMap<string, number>, bins = NUMERIC_BINS): number[] {
  const counted = [...values].map(([v, n]) => [Number(v), n] as const).filter(([v]) => Number.isFinite(v)).sort((a, b) => a[0] - b[0]);
  const total = counted.reduce((s, [, n]) => s + n, 0);
  const edges: number[] = [];
  let seen = 0;
  for (const [v, n] of counted) {
    // A new bin starts at v once the rows below it reach the next k/bins share.
    if (seen > 0 && seen >= ((edges.length + 1) * total) / bins) edges.push(v);
    seen += n;
  }
  return edges;
}

type Binner = (cell: Row[string]) => number;

function binnerFor(f: FeatureSpec["features"][number], profile: DataProfile): { bins: number; of: Binner } {
  if (f.type === "categorical") {
    const index = new Map(f.values.map((v, i) => [v, i]));
    // Values outside the spec share one bin, missing another.
    return { bins: f.values.length + 2, of: (c) => (c === null || c === undefined || c === "" ? f.values.length + 1 : index.get(String(c)) ?? f.values.length) };
  }
  const col = profile.columns.find((c) => c.name === f.name);
  const edges = !col ? [] : !col.overflow ? quantileEdges(col.values)
    : Array.from({ length: NUMERIC_BINS - 1 }, (_, k) => col.min + ((k + 1) * (col.max - col.min)) / NUMERIC_BINS);
  return {
    bins: edges.length + 2,
    of: (c) => {
      if (typeof c !== "number" || !Number.isFinite(c)) return edges.length + 1;
      let i = 0;
      while (i < edges.length && c >= edges[i]!) i++;
      return i;
    },
  };
}

export class ProxyTally {
  private readonly binners: { name: string; of: Binner }[];
  /** counts[attribute][feature][bin * groups + group] */
  private readonly counts: Float64Array[][];

  constructor(spec: FeatureSpec, profile: DataProfile, private readonly attributes: readonly ProtectedAttribute[]) {
    const made = spec.features.map((f) => ({ name: f.name, ...binnerFor(f, profile) }));
    this.binners = made;
    this.counts = attributes.map((a) => made.map((b) => new Float64Array(b.bins * a.groups.length)));
  }

  /** One row: its features and its group under each attribute (`codes[k]` for `attributes[k]`). */
  add(row: Row, codes: readonly number[]): void {
    this.binners.forEach((b, j) => {
      const bin = b.of(row[b.name]);
      this.attributes.forEach((a, k) => { this.counts[k]![j]![bin * a.groups.length + codes[k]!]! += 1; });
    });
  }

  /** Per attribute (by column), each feature's bins × groups table. */
  tables(): Map<string, Map<string, number[][]>> {
    return new Map(this.attributes.map((a, k) => {
      const g = a.groups.length;
      return [a.column, new Map(this.binners.map((b, j) => {
        const flat = this.counts[k]![j]!;
        return [b.name, Array.from({ length: flat.length / g }, (_, bin) => Array.from(flat.subarray(bin * g, bin * g + g)))];
      }))];
    }));
  }
}
