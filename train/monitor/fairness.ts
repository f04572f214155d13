/**
 * `monitor --protected`: the card's group metrics (train/evaluate/fairness.ts)
 * on recent applications. Approval rates, the adverse impact ratio, the SMD and
 * the mean predicted need no outcome, so they use every scored row; AUC, the
 * observed bad rate, TPR / FPR and the equal-opportunity difference use the
 * labelled rows only (absent without --target). On the test split with every
 * row labelled the numbers are the card's, to the bit (same rows, same seed).
 */
import { fairnessByGroup, type AttributeFairness, type Estimate, type GroupFairness } from "../evaluate/fairness.ts";
import type { Thresholds } from "../evaluate/group-stats.ts";
import type { NamedGroups } from "../data/stream-groups.ts";

export interface MonitorGroup extends Omit<GroupFairness, "bad" | "calibration"> {
  /** Rows of the group with a label (the label-based numbers are on these). */
  labelled: number;
  bad: number | null;
  calibration: { meanPredicted: Estimate; observedBadRate: Estimate | null };
}

export interface MonitorAttribute extends Omit<AttributeFairness, "groups"> {
  column: string;
  groupedBy: { bands: number[] } | "values";
  rows: number;
  labelled: number;
  groups: Record<string, MonitorGroup>;
}

/** Each scored row's score, label (-1: none) and group codes, kept in scoring order. */
export class GroupRows {
  private scores = new Float64Array(4096);
  private labels = new Int8Array(4096);
  private codes: Uint16Array[];
  n = 0;

  constructor(attributes: number) { this.codes = Array.from({ length: attributes }, () => new Uint16Array(4096)); }

  add(score: number, label: 0 | 1 | null, codes: readonly number[]): void {
    if (this.n === this.scores.length) {
      const grow = <T extends Float64Array | Int8Array | Uint16Array>(a: T, make: (n: number) => T): T => { const b = make(a.length * 2); b.set(a); return b; };
      this.scores = grow(this.scores, (n) => new Float64Array(n));
      this.labels = grow(this.labels, (n) => new Int8Array(n));
      this.codes = this.codes.map((c) => grow(c, (n) => new Uint16Array(n)));
    }
    this.scores[this.n] = score;
    this.labels[this.n] = label ?? -1;
    this.codes.forEach((c, k) => { c[this.n] = codes[k]!; });
    this.n++;
  }

  /** Per attribute, the group metrics; `seeds` per column: the card's bootstrap seed, so the test split reproduces it. */
  summary(named: NamedGroups[], thresholds: Thresholds, resamples: number, seeds: Record<string, number>): Record<string, MonitorAttribute> {
    const scores = this.scores.subarray(0, this.n);
    const labels = this.labels.subarray(0, this.n);
    const labelledRows: number[] = [];
    for (let i = 0; i < this.n; i++) if (labels[i]! >= 0) labelledRows.push(i);
    const out: Record<string, MonitorAttribute> = {};
    named.forEach((a, k) => {
      const codes = Uint16Array.from(this.codes[k]!.subarray(0, this.n), (c) => a.remap[c]!);
      const o = { thresholds, resamples, seed: seeds[a.column] ?? 42 };
      const all = labelledRows.length === this.n;
      // Without labels every row is "good": the label-based numbers are dropped below.
      const decisions = fairnessByGroup(all ? labels : new Int8Array(this.n), scores, codes, a.names, o);
      const withLabels = all ? decisions : labelledRows.length
        ? fairnessByGroup(Int8Array.from(labelledRows, (i) => labels[i]!), Float64Array.from(labelledRows, (i) => scores[i]!), Uint16Array.from(labelledRows, (i) => codes[i]!), a.names, o)
        : undefined;
      const groups: Record<string, MonitorGroup> = {};
      for (const [name, g] of Object.entries(decisions.groups)) {
        const l = withLabels?.groups[name];
        groups[name] = {
          ...g, labelled: l?.count ?? 0, bad: l?.bad ?? null,
          auc: l?.auc ?? null, tpr: l?.tpr ?? null, fpr: l?.fpr ?? null, equalOpportunityDifference: l?.equalOpportunityDifference ?? null,
          calibration: { meanPredicted: g.calibration.meanPredicted, observedBadRate: l?.calibration.observedBadRate ?? null },
        };
      }
      out[a.column] = { column: a.column, groupedBy: a.groupedBy, rows: this.n, labelled: labelledRows.length, ...decisions, groups };
    });
    return out;
  }
}
