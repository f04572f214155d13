/**
 * The monitor as a function: read a published version (verified), stream the
 * new applications once, score them with the edge's own code in batches, tally
 * drift and keep the scores the rank metrics need, then judge. No argv, exit
 * or printing here (that is train/cli/monitor.ts), so tests drive it directly.
 */
import { scoreWithImpacts, type Scores } from "../../shared/predict.ts";
import type { Row } from "../../shared/preprocess.ts";
import { regressionInterval, taskOf as manifestTask } from "../../shared/task.ts";
import { openCsvSource, readCsv } from "../data/csv.ts";
import { ProtectedError, type ProtectedRequest } from "../data/protected.ts";
import { StreamGroups, type KnownGrouping } from "../data/stream-groups.ts";
import { FAIRNESS_RESAMPLES } from "../tasks/fairness.ts";
import { rowTyper, SkipReport, type Typed } from "../data/dataset.ts";
import { useBackend, type TrainBackend } from "../fit/backend.ts";
import type { SkipSummary } from "../report/model/card.ts";
import type { S3Target } from "../store/storage.ts";
import { loadVersionScorer, readManifest, resolveVersion, type Location } from "../store/versions.ts";
import { EXIT_CODES, judge, type Finding, type Limits, type Status } from "./alerts.ts";
import { DriftTally, type Drift } from "./drift.ts";
import { GroupRows, type MonitorAttribute } from "./fairness.ts";
import { estimate, labelled, regressionLabelled, RegressionTally, type Performance } from "./performance.ts";
import { readReference } from "./reference.ts";
import { readDecisions, ReadStats, type DecisionsStore } from "../decisions/read.ts";
import { cellOf } from "../../shared/preprocess.ts";
import { isoWeek, readOutcomes, WeeklyOutcomes, type Outcomes, type OutcomesSummary, type WeekMetrics } from "./outcomes.ts";
import { LatestDecisions } from "./latest.ts";
import { checkMatched, checkUsable } from "./outcome-checks.ts";
import { ScoreSample } from "./sample.ts";
import { taskOf, type Task } from "./task.ts";

export interface MonitorOptions {
  /** A CSV path or `s3://bucket/key`; or `decisions`. */
  data?: string;
  /**
   * Instead of a file: the features the edge captured (CAPTURE="full") for the
   * champion's answers in [since, until), de-duplicated; with `outcomes`, labels
   * that arrived later joined to them (train/monitor/outcomes.ts).
   */
  decisions?: { store: DecisionsStore; since: Date; until: Date; outcomes?: { path: string; joinOn: string } };
  /** A version id or "current". */
  version: string;
  /** The outcome column, when the file has one (rows with an empty cell are unlabelled). */
  target?: string;
  limits: Limits;
  /** tfjs backend; default: the one the version was trained and evaluated on (card.training.backend), so labelled metrics on the test split match the card to the bit. */
  backend?: TrainBackend;
  /** Fail when more than this share of rows is unusable. */
  maxSkipped: number;
  /** Rows whose scores are kept for AUC, KS, calibration and the expected AUC; a uniform sample beyond. */
  sampleLimit?: number;
  /** Columns to measure the decisions by group (a classifier's); each must be in the data. */
  protected?: ProtectedRequest[];
}

export interface MonitorIO {
  /** The model store. */
  location: Location;
  log(line: string): void;
  /** Endpoint and credentials for `s3://` data. */
  dataTarget?: S3Target;
  /** Every scored batch: line numbers in the file and the answers, probabilities or values (parity checks). */
  onScored?(lines: readonly number[], answers: Scores): void;
}

export interface MonitorResult {
  status: Status;
  exitCode: number;
  findings: Finding[];
  /** `thresholds`: a classifier's; a regression's `interval` level instead. */
  model: { name: string; version: string; current: boolean; createdAt: string; task: Task; backend: TrainBackend; thresholds?: { refer: number; decline: number }; interval?: number };
  data: {
    source: string; bytes: number;
    /** Data records read (header excluded), usable or not. */
    records: number;
    scored: number;
    labelled: number;
    unlabelled: number;
    skipped: SkipSummary;
    /** Columns that are neither features nor the target: ignored. */
    extraColumns: string[];
  };
  limits: Limits;
  drift: Drift;
  performance: Performance;
  /** With --protected: per attribute, the card's group metrics on these rows (train/monitor/fairness.ts). */
  fairness?: Record<string, MonitorAttribute>;
  /** With `decisions`: the range read and what was in it. */
  decisions?: {
    since: string; until: string; role: "champion";
    read: { days: string[]; objects: number; records: number; duplicates: number };
    /** Records per version that answered (the judged version re-scores them all). */
    versions: Record<string, number>;
    withoutFeatures: number;
  };
  /**
   * With outcomes: the join, and realised AUC, KS and calibration per ISO week of the decision (a classifier's).
   * `earlierDecisions`: decisions left out of the labelled metrics because the same applicant has a later one (train/monitor/latest.ts).
   */
  outcomes?: OutcomesSummary & { earlierDecisions: number; weekly: WeekMetrics[] };
  /** Parts of the reference this version lacks, and hints. */
  notes: string[];
  /** When the run started (ISO 8601). */
  at: string;
  seconds: number;
}

/** Rows per forward pass. */
const BATCH = 2048;

const decisionsLabel = (model: string) => `under decisions/${model}/`;

export async function runMonitor(o: MonitorOptions, io: MonitorIO): Promise<MonitorResult> {
  const started = performance.now();
  const at = new Date().toISOString();
  const l = io.location;
  const resolved = await resolveVersion(l, o.version);
  const manifest = await readManifest(l, resolved.version, resolved.manifestSha256);
  const task = taskOf(manifest);
  if (task === "regression" && o.limits.maxAucDrop !== undefined) throw new Error(`--max-auc-drop applies to classification; ${l.name} ${resolved.version} is a regression model: use --max-rmse-increase`);
  if (task === "classification" && o.limits.maxRmseIncrease !== undefined) throw new Error(`--max-rmse-increase applies to regression; ${l.name} ${resolved.version} is a classification model: use --max-auc-drop`);
  const protectedColumns = o.protected ?? [];
  if (protectedColumns.length && task === "regression") throw new ProtectedError(`--protected measures a classifier's decisions by group; ${l.name} ${resolved.version} is a regression model`);
  const trainedOn = (manifest.card.training as { backend?: unknown } | undefined)?.backend;
  const { backend, fallbackReason } = await useBackend(o.backend ?? (trainedOn === "cpu" ? "cpu" : "wasm"));
  if (fallbackReason) io.log(`backend: cpu (${fallbackReason})`);
  const loaded = await loadVersionScorer(l, resolved.version, resolved.manifestSha256);
  try {
    const { spec, thresholds } = manifest;
    const reference = readReference(manifest);
    const notes = [...reference.notes];
    const tally = new DriftTally(reference, thresholds, spec);
    const all = new ScoreSample(o.sampleLimit);
    const withLabels = new ScoreSample(o.sampleLimit, 2);
    // A regression's labelled rows: exact sums of errors and coverage; the absolute errors sampled for their median.
    const errors = new RegressionTally();
    const absErrors = new ScoreSample(o.sampleLimit, 3);
    const regression = manifestTask(manifest);
    const skipped = new SkipReport();
    let scoreSum = 0;
    let positives = 0;
    let unlabelled = 0;
    let records = 0;
    let typer: ((fields: string[], line: number) => Typed<number | null>) | undefined;
    let extraColumns: string[] = [];
    if ((o.data === undefined) === (o.decisions === undefined)) throw new Error("runMonitor: give data or decisions, one of them");
    if (o.decisions && protectedColumns.length) throw new ProtectedError("--protected reads columns of a data file; decision records keep features only (never protected attributes)");
    const source = o.data === undefined ? undefined : openCsvSource(o.data, io.dataTarget);
    // With outcomes, `joins` says which applicant a labelled decision stands for and when it was made: its label waits for the latest.
    const batch: { rows: Row[]; labels: (number | null)[]; lines: number[]; groups: number[][]; weeks: string[]; joins: ({ applicant: string; time: number } | undefined)[] } = { rows: [], labels: [], lines: [], groups: [], weeks: [], joins: [] };
    let outcomes: Outcomes | undefined;
    const latest = new LatestDecisions();
    let weekly: WeeklyOutcomes | undefined;
    let target = o.target;
    let groups: StreamGroups | undefined;
    const groupRows = new GroupRows(protectedColumns.length);
    const cardFairness = (manifest.card.fairness ?? {}) as Record<string, KnownGrouping & { bootstrap?: { seed?: number } }>;

    const start = (header: string[]) => {
      if (!source) return;
      typer = rowTyper(spec, header, source.label, o.target === undefined ? null : { column: o.target, empty: "unlabelled" });
      const known = new Set([...spec.features.map((f) => f.name), ...(o.target === undefined ? [] : [o.target]), ...protectedColumns.map((p) => p.column)]);
      extraColumns = header.filter((h) => !known.has(h));
      if (protectedColumns.length) groups = new StreamGroups(protectedColumns, header, source.label, o.target, cardFairness);
      if (groups) {
        // "never features" is what train --protected makes true; a model trained with the column as a feature is told as it is.
        const used = groups.columns.filter((c) => spec.features.some((f) => f.name === c));
        io.log(`protected (measured by group): ${groups.columns.join(", ")}${used.length ? `; ${used.join(", ")} ${used.length === 1 ? "is a feature" : "are features"} of this model` : ", none a feature of this model"}`);
      }
      if (extraColumns.length) io.log(`ignored columns: ${extraColumns.join(", ")}`);
      if (o.target === undefined && header.includes(spec.target)) notes.push(`column "${spec.target}" (the model's target) was ignored; add --target ${spec.target} to measure performance on the labelled rows`);
    };
    /** One labelled row into the labelled metrics (and its week's, with outcomes). */
    const addLabelled = (score: number, y: number, interval: readonly [number, number] | undefined, week: string | undefined) => {
      if (interval) {
        errors.add(y, score, interval[0], interval[1]);
        absErrors.add(Math.abs(score - y));
      } else { withLabels.add(score, y as 0 | 1); positives += y; }
      if (weekly && week !== undefined) weekly.label(week, score, y);
    };
    const flush = () => {
      if (batch.rows.length === 0) return;
      const { out, p } = scoreWithImpacts(loaded.scorer, batch.rows, false);
      for (let i = 0; i < p.length; i++) {
        const pi = p[i]!;
        const y = batch.labels[i];
        const week = batch.weeks[i];
        if (weekly) weekly.decision(week!);
        tally.addScore(pi);
        all.add(pi);
        scoreSum += pi;
        if (groups) groupRows.add(pi, regression.kind === "regression" || y === null || y === undefined ? null : (y as 0 | 1), batch.groups[i]!);
        if (y === null || y === undefined) { unlabelled++; continue; }
        const interval = regression.kind === "regression" ? regressionInterval(regression, out[i]!) : undefined;
        const join = batch.joins[i];
        if (join) latest.add(join.applicant, { time: join.time, week: week!, score: pi, label: y, ...(interval ? { interval } : {}) });
        else addLabelled(pi, y, interval, week);
      }
      io.onScored?.(batch.lines, p);
      batch.rows = []; batch.labels = []; batch.lines = []; batch.groups = []; batch.weeks = []; batch.joins = [];
    };

    let label: string;
    let read: { header: string[]; bytes: number };
    let fromDecisions: MonitorResult["decisions"];
    if (o.decisions) {
      const d = o.decisions;
      if (d.outcomes) {
        outcomes = await readOutcomes(d.outcomes.path, d.outcomes.joinOn, spec, io.dataTarget);
        checkUsable(outcomes, o.maxSkipped, spec.positive === undefined ? "a number" : `"${spec.positive}" or "${spec.negative}"`);
        target = spec.target;
        if (task === "classification") weekly = new WeeklyOutcomes();
      }
      const stats = new ReadStats();
      const versions: Record<string, number> = {};
      let withoutFeatures = 0;
      for await (const r of readDecisions(d.store, { model: l.name, since: d.since, until: d.until, roles: ["champion"] }, stats)) {
        records++;
        versions[r.version] = (versions[r.version] ?? 0) + 1;
        if (!r.features) { withoutFeatures++; skipped.add('captured without features (CAPTURE="decisions")', `record ${r.id}`); continue; }
        // The judged version's features, in its order; one the recording version lacked is missing (null).
        const row = Object.create(null) as Record<string, string | number | null>;
        for (const f of spec.features) row[f.name] = cellOf(r.features, f.name) ?? null;
        tally.addRow(row);
        const joined = outcomes?.joinOf(r);
        batch.rows.push(row); batch.labels.push(joined?.label ?? null); batch.lines.push(records); batch.weeks.push(isoWeek(r.time));
        batch.joins.push(joined ? { applicant: joined.applicant, time: Date.parse(r.time) } : undefined);
        if (batch.rows.length === BATCH) flush();
      }
      label = `decision records ${decisionsLabel(l.name)} from ${d.since.toISOString()} to ${d.until.toISOString()}`;
      const searched = `days ${stats.searched[0]} to ${stats.searched[1]}: ${stats.days.length} partitions, ${stats.objects} objects`;
      if (records === 0) throw new Error(`no champion decision records ${decisionsLabel(l.name)} from ${d.since.toISOString()} to ${d.until.toISOString()} (${searched}); is capture on (CAPTURE="full")? widen --since`);
      if (withoutFeatures === records) throw new Error(`all ${records} champion decision records in the range were captured without features (CAPTURE="decisions"): monitoring needs them; set CAPTURE = "full" in wrangler.toml`);
      if (withoutFeatures) io.log(`${withoutFeatures} of ${records} records were captured without features (CAPTURE="decisions"): not monitored, counted as skipped`);
      read = { header: [], bytes: 0 };
      fromDecisions = {
        since: d.since.toISOString(), until: d.until.toISOString(), role: "champion",
        read: { days: stats.days, objects: stats.objects, records: stats.records, duplicates: stats.duplicates }, versions, withoutFeatures,
      };
    } else read = await readCsv(source!, (rec, header) => {
      if (!typer) start(header);
      records++;
      const t = typer!(rec.fields, rec.line);
      if ("skip" in t) { skipped.add(t.skip, t.example); return; }
      tally.addRow(t.row);
      batch.rows.push(t.row); batch.labels.push(t.label); batch.lines.push(rec.line);
      if (groups) batch.groups.push(groups.codes(rec.fields));
      if (batch.rows.length === BATCH) flush();
    });
    flush();
    // Each outcome's applicant once: its latest decision; the earlier ones were scored, and count as unlabelled rows.
    for (const d of latest.values()) addLabelled(d.score, d.label, d.interval, d.week);
    unlabelled += latest.earlier;
    if (source) {
      label = source.label;
      if (!typer) start(read.header); // a header without rows: still name missing columns first
      if (records === 0) throw new Error(`${source.label} has a header but no data rows`);
    }
    const scored = all.seen;
    const reasons = [...skipped.reasons].map(([reason, r]) => `${reason}: ${r.count} (e.g. ${r.examples.join("; ")})`).join("; ");
    if (skipped.count > o.maxSkipped * records || scored === 0) {
      throw new Error(`${label!}: ${skipped.count} of ${records} rows are unusable, more than --max-skipped ${o.maxSkipped}: ${reasons}`);
    }
    if (skipped.count) io.log(`skipped ${skipped.count} of ${records} rows: ${reasons}`);
    if (outcomes && o.decisions) checkMatched(outcomes, `from ${o.decisions.since.toISOString()} to ${o.decisions.until.toISOString()}`);

    const drift = tally.summary();
    const sample = all.values();
    const labelledRows = regression.kind === "regression" ? errors.rows : withLabels.seen;
    const perf: Performance = regression.kind === "regression"
      ? { estimated: null, labelled: null, regression: null }
      : { estimated: estimate(reference, sample.scores, scoreSum / scored, scored), labelled: null };
    if (target === undefined) perf.labelledUnavailable = o.decisions ? "no --outcomes given" : "no --target given";
    else if (labelledRows === 0) perf.labelledUnavailable = outcomes ? `no decision in the range has an outcome in ${outcomes.source} yet (joined on ${outcomes.joinOn})` : `no row has a label in "${target}" yet`;
    else if (regression.kind === "regression") perf.regression = regressionLabelled(reference, errors, absErrors.values().scores, regression.interval.level);
    else {
      const v = withLabels.values();
      perf.labelled = labelled(reference, v.labels, v.scores, { rows: withLabels.seen, positives }, thresholds!.decline);
    }
    const seeds = Object.fromEntries(Object.entries(cardFairness).map(([c, f]) => [c, f.bootstrap?.seed ?? 42]));
    const fairness = groups && thresholds ? groupRows.summary(groups.finish(label!), thresholds, FAIRNESS_RESAMPLES, seeds) : undefined;
    const { status, findings } = judge(drift, perf, o.limits, fairness);
    return {
      status, exitCode: EXIT_CODES[status], findings,
      model: {
        name: l.name, version: resolved.version, current: resolved.current.pointer?.version === resolved.version, createdAt: manifest.createdAt, task, backend,
        ...(thresholds ? { thresholds } : {}), ...(regression.kind === "regression" ? { interval: regression.interval.level } : {}),
      },
      data: { source: label!, bytes: read.bytes, records, scored, labelled: labelledRows, unlabelled, skipped: skipped.toJSON(), extraColumns },
      limits: o.limits, drift, performance: perf, ...(fairness ? { fairness } : {}),
      ...(fromDecisions ? { decisions: fromDecisions } : {}), ...(outcomes ? { outcomes: { ...outcomes.summary(), earlierDecisions: latest.earlier, weekly: weekly?.summary() ?? [] } } : {}),
      notes, at,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    loaded.dispose();
  }
}

