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
import { ScoreSample } from "./sample.ts";
import { taskOf, type Task } from "./task.ts";

export interface MonitorOptions {
  /** A CSV path or `s3://bucket/key`. */
  data: string;
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
  /** Parts of the reference this version lacks, and hints. */
  notes: string[];
  /** When the run started (ISO 8601). */
  at: string;
  seconds: number;
}

/** Rows per forward pass. */
const BATCH = 2048;

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
    const source = openCsvSource(o.data, io.dataTarget);
    const batch: { rows: Row[]; labels: (number | null)[]; lines: number[]; groups: number[][] } = { rows: [], labels: [], lines: [], groups: [] };
    let groups: StreamGroups | undefined;
    const groupRows = new GroupRows(protectedColumns.length);
    const cardFairness = (manifest.card.fairness ?? {}) as Record<string, KnownGrouping & { bootstrap?: { seed?: number } }>;

    const start = (header: string[]) => {
      typer = rowTyper(spec, header, source.label, o.target === undefined ? null : { column: o.target, empty: "unlabelled" });
      const known = new Set([...spec.features.map((f) => f.name), ...(o.target === undefined ? [] : [o.target]), ...protectedColumns.map((p) => p.column)]);
      extraColumns = header.filter((h) => !known.has(h));
      if (protectedColumns.length) groups = new StreamGroups(protectedColumns, header, source.label, o.target, cardFairness);
      if (groups) io.log(`protected (measured by group, never features): ${groups.columns.join(", ")}`);
      if (extraColumns.length) io.log(`ignored columns: ${extraColumns.join(", ")}`);
      if (o.target === undefined && header.includes(spec.target)) notes.push(`column "${spec.target}" (the model's target) was ignored; add --target ${spec.target} to measure performance on the labelled rows`);
    };
    const flush = () => {
      if (batch.rows.length === 0) return;
      const { out, p } = scoreWithImpacts(loaded.scorer, batch.rows, false);
      for (let i = 0; i < p.length; i++) {
        const pi = p[i]!;
        const y = batch.labels[i];
        tally.addScore(pi);
        all.add(pi);
        scoreSum += pi;
        if (groups) groupRows.add(pi, regression.kind === "regression" || y === null || y === undefined ? null : (y as 0 | 1), batch.groups[i]!);
        if (y === null || y === undefined) unlabelled++;
        else if (regression.kind === "regression") {
          const [lo, hi] = regressionInterval(regression, out[i]!);
          errors.add(y, pi, lo, hi);
          absErrors.add(Math.abs(pi - y));
        } else { withLabels.add(pi, y as 0 | 1); positives += y; }
      }
      io.onScored?.(batch.lines, p);
      batch.rows = []; batch.labels = []; batch.lines = []; batch.groups = [];
    };

    const read = await readCsv(source, (rec, header) => {
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
    if (!typer) start(read.header); // a header without rows: still name missing columns first
    if (records === 0) throw new Error(`${source.label} has a header but no data rows`);
    const scored = all.seen;
    const reasons = [...skipped.reasons].map(([reason, r]) => `${reason}: ${r.count} (e.g. ${r.examples.join("; ")})`).join("; ");
    if (skipped.count > o.maxSkipped * records || scored === 0) {
      throw new Error(`${source.label}: ${skipped.count} of ${records} rows are unusable, more than --max-skipped ${o.maxSkipped}: ${reasons}`);
    }
    if (skipped.count) io.log(`skipped ${skipped.count} of ${records} rows: ${reasons}`);

    const drift = tally.summary();
    const sample = all.values();
    const labelledRows = regression.kind === "regression" ? errors.rows : withLabels.seen;
    const perf: Performance = regression.kind === "regression"
      ? { estimated: null, labelled: null, regression: null }
      : { estimated: estimate(reference, sample.scores, scoreSum / scored, scored), labelled: null };
    if (o.target === undefined) perf.labelledUnavailable = "no --target given";
    else if (labelledRows === 0) perf.labelledUnavailable = `no row has a label in "${o.target}" yet`;
    else if (regression.kind === "regression") perf.regression = regressionLabelled(reference, errors, absErrors.values().scores, regression.interval.level);
    else {
      const v = withLabels.values();
      perf.labelled = labelled(reference, v.labels, v.scores, { rows: withLabels.seen, positives }, thresholds!.decline);
    }
    const seeds = Object.fromEntries(Object.entries(cardFairness).map(([c, f]) => [c, f.bootstrap?.seed ?? 42]));
    const fairness = groups && thresholds ? groupRows.summary(groups.finish(source.label), thresholds, FAIRNESS_RESAMPLES, seeds) : undefined;
    const { status, findings } = judge(drift, perf, o.limits, fairness);
    return {
      status, exitCode: EXIT_CODES[status], findings,
      model: {
        name: l.name, version: resolved.version, current: resolved.current.pointer?.version === resolved.version, createdAt: manifest.createdAt, task, backend,
        ...(thresholds ? { thresholds } : {}), ...(regression.kind === "regression" ? { interval: regression.interval.level } : {}),
      },
      data: { source: source.label, bytes: read.bytes, records, scored, labelled: labelledRows, unlabelled, skipped: skipped.toJSON(), extraColumns },
      limits: o.limits, drift, performance: perf, ...(fairness ? { fairness } : {}), notes, at,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    loaded.dispose();
  }
}

