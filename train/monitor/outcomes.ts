/**
 * Outcomes that arrive after the decision (a loan goes bad months later),
 * joined to the captured decisions for `monitor --decisions --outcomes`:
 * a CSV with a join column and the model's target column. The join column
 * matches the record's pass-through value (the applicant id the caller sent
 * under PASS_THROUGH_KEY), or, when it is named `request_id`, the record's
 * request id (every instance of that request takes the label). Each outcome
 * pairs with one decision per applicant (train/monitor/latest.ts). Realised
 * AUC, KS and calibration are then tallied per ISO week of the decision.
 */
import type { DecisionRecord } from "../../shared/decisions/record.ts";
import type { FeatureSpec } from "../../shared/spec.ts";
import { calibration, ks, rocAuc, type CalibrationBin } from "../evaluate/metrics.ts";
import { delimiterHint, openCsvSource, readCsv } from "../data/csv.ts";
import type { S3Target } from "../store/storage.ts";
import { calibrationError } from "./performance.ts";
import { ScoreSample } from "./sample.ts";

export type MatchBy = "pass_through" | "request_id";

export class Outcomes {
  /** Join value → label (0/1, or a regression's value). */
  readonly labels = new Map<string, number>();
  readonly matched = new Set<string>();
  rows = 0;
  /** Rows whose label cell is empty: not known yet. */
  pending = 0;
  /** A join value given twice: the later row's label stands. */
  duplicates = 0;
  bad: { line: number; reason: string }[] = [];
  badCount = 0;
  /** Rows with an empty join cell, and the first one's line. */
  emptyKeys = { count: 0, line: 0 };
  /** Rows whose label cell is not a label the model knows, and the first one's line. */
  badLabels = { count: 0, line: 0 };
  /** Those cells' values → rows: the first few distinct values; `otherValues` counts the rows with the rest. */
  readonly unusableValues = new Map<string, number>();
  otherValues = 0;
  /** The first decision's join value seen (pass-through value or request id), and the decisions without one: to say why nothing matched. */
  decisionExample: string | undefined;
  decisionsWithoutKey = 0;

  constructor(readonly source: string, readonly joinOn: string, readonly matchBy: MatchBy, readonly target: string) {}

  /** The record's label, if an outcome names it (and marks the outcome matched). */
  labelOf(r: DecisionRecord): number | undefined {
    return this.joinOf(r)?.label;
  }

  /**
   * The record's label and the applicant it stands for, if an outcome names it
   * (and marks the outcome matched). The applicant is the pass-through value, or
   * the request id and the instance's index: a request retried under the same
   * X-Request-Id has one applicant per index, however many times it was sent.
   */
  joinOf(r: DecisionRecord): { applicant: string; label: number } | undefined {
    const key = this.matchBy === "request_id" ? r.requestId : r.passThrough === null ? undefined : String(r.passThrough);
    if (key === undefined) { this.decisionsWithoutKey++; return undefined; }
    this.decisionExample ??= key;
    const label = this.labels.get(key);
    if (label === undefined) return undefined;
    this.matched.add(key);
    return { applicant: this.matchBy === "request_id" ? `${key}\u0000${r.index}` : key, label };
  }

  summary(): OutcomesSummary {
    return {
      source: this.source, joinOn: this.joinOn, matchBy: this.matchBy, target: this.target, rows: this.rows, labelled: this.labels.size,
      pending: this.pending, duplicates: this.duplicates, matched: this.matched.size, unmatched: this.labels.size - this.matched.size,
      unusable: this.badCount, ...(this.bad.length ? { unusableExamples: this.bad } : {}),
    };
  }
}

export interface OutcomesSummary {
  source: string;
  joinOn: string;
  matchBy: MatchBy;
  target: string;
  rows: number;
  /** Distinct join values with a label. */
  labelled: number;
  pending: number;
  duplicates: number;
  /** Labels joined to at least one decision in the range. */
  matched: number;
  /** Labels no decision in the range (champion, de-duplicated) carries: another period, or an id the edge never saw. */
  unmatched: number;
  unusable: number;
  unusableExamples?: { line: number; reason: string }[];
}

/** Reads the outcomes file: the join column and the target column (labels as training reads them). */
export async function readOutcomes(path: string, joinOn: string, spec: FeatureSpec, dataTarget?: S3Target): Promise<Outcomes> {
  const source = openCsvSource(path, dataTarget);
  const out = new Outcomes(source.label, joinOn, joinOn === "request_id" ? "request_id" : "pass_through", spec.target);
  let k = -1;
  let t = -1;
  const numeric = spec.positive === undefined;
  const bad = (line: number, reason: string) => { out.badCount++; if (out.bad.length < 3) out.bad.push({ line, reason }); };
  const badValue = (line: number, cell: string, reason: string) => {
    if (out.badLabels.count++ === 0) out.badLabels.line = line;
    const value = cell.slice(0, 40);
    if (out.unusableValues.has(value) || out.unusableValues.size < 5) out.unusableValues.set(value, (out.unusableValues.get(value) ?? 0) + 1);
    else out.otherValues++;
    bad(line, reason);
  };
  await readCsv(source, (rec, header) => {
    if (k < 0) {
      k = header.indexOf(joinOn);
      t = header.indexOf(spec.target);
      if (k < 0) throw new Error(`${source.label}: --join-on column "${joinOn}" not found; columns are: ${header.join(", ")}${delimiterHint(header)}`);
      if (t < 0) throw new Error(`${source.label}: no column "${spec.target}" (the model's target) for the outcome; columns are: ${header.join(", ")}${delimiterHint(header)}`);
    }
    out.rows++;
    const key = rec.fields[k] ?? "";
    const cell = rec.fields[t] ?? "";
    if (key === "") {
      if (out.emptyKeys.count++ === 0) out.emptyKeys.line = rec.line;
      return bad(rec.line, `empty "${joinOn}"`);
    }
    if (cell === "") { out.pending++; return; }
    let y: number;
    if (numeric) {
      y = Number(cell);
      if (!Number.isFinite(y)) return badValue(rec.line, cell, `"${spec.target}": expected a number, found "${cell.slice(0, 40)}"`);
    } else if (cell === spec.positive) y = 1;
    else if (cell === spec.negative) y = 0;
    else return badValue(rec.line, cell, `"${spec.target}": expected "${spec.positive}" or "${spec.negative}", found "${cell.slice(0, 40)}"`);
    if (out.labels.has(key)) out.duplicates++;
    out.labels.set(key, y);
  });
  return out;
}

/** "2026-W49": the ISO 8601 week (Monday to Sunday, week 1 holds the year's first Thursday) of a UTC time. */
export function isoWeek(time: string | Date): string {
  const d = new Date(time);
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  t.setUTCDate(t.getUTCDate() + 4 - (t.getUTCDay() || 7)); // the Thursday of its week decides the year
  const week = Math.ceil(((t.getTime() - Date.UTC(t.getUTCFullYear(), 0, 1)) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

export interface WeekMetrics {
  week: string;
  /** Decisions that week (champion, de-duplicated, scored). */
  decisions: number;
  labelled: number;
  positives: number;
  badRate: number | null;
  /** null until both outcomes occur among the labelled rows. */
  auc: number | null;
  ks: number | null;
  /** Count-weighted mean |predicted − observed| over the week's calibration bins. */
  calibrationError: number | null;
  calibration: CalibrationBin[];
  /** The metrics came from a uniform sample of this many labelled rows. */
  sampledRows?: number;
}

/** Rows kept per week for the rank metrics (a uniform sample beyond). */
const WEEK_SAMPLE = 200_000;

/** A classifier's labelled scores per ISO week of the decision. */
export class WeeklyOutcomes {
  private weeks = new Map<string, { decisions: number; positives: number; sample: ScoreSample }>();

  /** One decision that week, labelled or not. */
  decision(week: string): void {
    this.week(week).decisions++;
  }

  /** A labelled decision's score and label: once per applicant, after the join picked its latest decision. */
  label(week: string, score: number, label: number): void {
    const w = this.week(week);
    w.positives += label;
    w.sample.add(score, label as 0 | 1);
  }

  private week(week: string): { decisions: number; positives: number; sample: ScoreSample } {
    let w = this.weeks.get(week);
    if (!w) this.weeks.set(week, (w = { decisions: 0, positives: 0, sample: new ScoreSample(WEEK_SAMPLE, 5) }));
    return w;
  }

  summary(): WeekMetrics[] {
    return [...this.weeks].sort(([a], [b]) => (a < b ? -1 : 1)).map(([week, w]) => {
      const { scores, labels } = w.sample.values();
      const n = w.sample.seen;
      let kept = 0;
      for (const y of labels) kept += y;
      const both = kept > 0 && kept < labels.length;
      const bins = n ? calibration(labels, scores) : [];
      return {
        week, decisions: w.decisions, labelled: n, positives: w.positives, badRate: n ? w.positives / n : null,
        auc: both ? rocAuc(labels, scores) : null, ks: both ? ks(labels, scores).statistic : null,
        calibrationError: calibrationError(bins), calibration: bins, ...(w.sample.sampled ? { sampledRows: w.sample.size } : {}),
      };
    });
  }
}
