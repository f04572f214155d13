/**
 * Batch scoring as a function: read a published version (verified), stream a
 * CSV once, validate every row with the edge's own definition
 * (shared/validate.ts: the fast accept path, arktype for the rest), score the
 * valid ones in batches with the edge's own preprocessing, network and reason
 * codes (shared/predict.ts), and write predictions and rejects as the rows go
 * by. Memory stays flat: one batch at a time, and the writers' backpressure
 * reaches the reader. No argv, exit or printing here (train/cli/score.ts).
 */
import { predict } from "../../shared/predict.ts";
import type { Row } from "../../shared/preprocess.ts";
import { taskOf, type TaskKind } from "../../shared/task.ts";
import { instanceSchema } from "../../shared/validate.ts";
import { openCsvSource, readCsv } from "../data/csv.ts";
import { ProtectedError, type ProtectedRequest } from "../data/protected.ts";
import { FlagConflictError } from "../data/errors.ts";
import { StreamGroups } from "../data/stream-groups.ts";
import { decisionsByGroup, type AttributeDecisions, type DecisionCounts } from "../evaluate/decision-groups.ts";
import { useBackend, type TrainBackend } from "../fit/backend.ts";
import type { S3Target } from "../store/storage.ts";
import { loadVersionScorer, readManifest, resolveVersion, type Location } from "../store/versions.ts";
import { instanceReader, predictionCells, predictionColumns, rejectReason } from "./rows.ts";
import { openSink, type Cell, type CsvSink } from "./sink.ts";

export interface ScoreOptions {
  /** A CSV path or `s3://bucket/key`. */
  data: string;
  /** Where the predictions go: a path or `s3://bucket/key`. */
  out: string;
  /** Where refused rows go (default: `<out>` with `.rejects.csv`). */
  rejects?: string;
  /** A version id or "current". */
  version: string;
  /** A column copied to each output row to join it back; default: the input's line number. */
  idColumn?: string;
  /** Reason codes (the top `reasons` features) per row; 0 for none (fastest). */
  reasons: number;
  /** tfjs backend; default: the one the version was trained on (card.training.backend). */
  backend?: TrainBackend;
  /** Columns read to count a classifier's decisions by group: never features, not written to the output. */
  protected?: ProtectedRequest[];
}

export interface ScoreIO {
  location: Location;
  log(line: string): void;
  /** Endpoint and credentials for `s3://` input and output. */
  dataTarget?: S3Target;
  /** After every batch: rows read so far, and the input's bytes read so far and in all (when known). */
  progress?(p: { records: number; bytesRead: number; bytesTotal?: number }): void;
}

export interface ScoreResult {
  model: { name: string; version: string; task: TaskKind; backend: TrainBackend };
  data: { source: string; bytes: number; records: number; scored: number; rejected: number };
  out: { path: string; bytes: number; columns: string[] };
  rejects: { path: string; rows: number };
  /** With --protected: per attribute, the scored rows' decisions by group, approval rates and adverse impact ratios. */
  fairness?: Record<string, { column: string; groupedBy: { bands: number[] } | "values" } & AttributeDecisions>;
  seconds: number;
  rowsPerSecond: number;
}

/** Rows per forward pass. */
export const BATCH = 2048;
/** Error details per refused row (the edge's limit per request). */
const MAX_DETAILS = 20;

/** `out.csv` → `out.rejects.csv` (also for s3:// keys). */
export function defaultRejectsPath(out: string): string {
  return /\.csv$/i.test(out) ? out.replace(/\.csv$/i, ".rejects.csv") : `${out}.rejects.csv`;
}

export async function runScore(o: ScoreOptions, io: ScoreIO): Promise<ScoreResult> {
  const started = performance.now();
  const resolved = await resolveVersion(io.location, o.version);
  const card = (await readManifest(io.location, resolved.version, resolved.manifestSha256)).card;
  // The backend before the network: tfjs builds it on the backend in use.
  const trainedOn = (card.training as { backend?: unknown } | undefined)?.backend;
  const { backend, fallbackReason } = await useBackend(o.backend ?? (trainedOn === "cpu" ? "cpu" : "wasm"));
  if (fallbackReason) io.log(`backend: cpu (${fallbackReason})`);
  const loaded = await loadVersionScorer(io.location, resolved.version, resolved.manifestSha256);
  const { manifest, scorer } = loaded;
  const task = taskOf(manifest).kind;
  const requests = o.protected ?? [];
  if (requests.length && task === "regression") {
    loaded.dispose();
    throw new ProtectedError(`--protected counts a classifier's decisions by group; ${io.location.name} ${loaded.version} is a regression model`);
  }
  let groups: StreamGroups | undefined;
  /** Per attribute, decisions per provisional group code. */
  const tallies: DecisionCounts[][] = requests.map(() => []);
  const schema = instanceSchema(manifest.spec);
  const source = openCsvSource(o.data, io.dataTarget);
  const rejectsPath = o.rejects ?? defaultRejectsPath(o.out);
  const columns = [o.idColumn ?? "line", ...predictionColumns(task, o.reasons)];
  let out: CsvSink | undefined;
  let rejects: CsvSink | undefined;
  let toInstance: ((fields: string[]) => Record<string, unknown>) | undefined;
  let idIndex = -1;
  let records = 0;
  let scored = 0;
  let rejected = 0;
  let bytesRead = 0;
  const batch: { rows: Row[]; ids: Cell[]; codes: number[][] } = { rows: [], ids: [], codes: [] };
  let rejectRows: Cell[][] = [];

  const start = (header: string[]) => {
    toInstance = instanceReader(manifest.spec, header, source.label);
    if (requests.length) groups = new StreamGroups(requests, header, source.label, undefined, (card.fairness ?? {}) as ConstructorParameters<typeof StreamGroups>[4]);
    if (o.idColumn !== undefined) {
      idIndex = header.indexOf(o.idColumn);
      if (idIndex < 0) throw new FlagConflictError(`${source.label}: --id-column "${o.idColumn}" not found; columns are: ${header.join(", ")}`);
    }
    const meta = header.includes("line") || header.includes("reason") ? ["_line", "_reason"] : ["line", "reason"];
    out = openSink(o.out, io.dataTarget, columns);
    rejects = openSink(rejectsPath, io.dataTarget, [...meta, ...header]);
  };
  const flush = async () => {
    if (rejectRows.length) { await rejects!.write(rejectRows); rejectRows = []; }
    if (batch.rows.length === 0) return;
    const predictions = predict(scorer, batch.rows, o.reasons);
    await out!.write(predictions.map((p, i) => [batch.ids[i] as Cell, ...predictionCells(p, o.reasons)]));
    if (groups) {
      predictions.forEach((p, i) => {
        if (!("decision" in p)) return;
        batch.codes[i]!.forEach((c, k) => { const t = (tallies[k]![c] ??= { approve: 0, refer: 0, decline: 0 }); t[p.decision]++; });
      });
    }
    scored += batch.rows.length;
    batch.rows = [];
    batch.ids = [];
    batch.codes = [];
    io.progress?.({ records, bytesRead, ...(source.length !== undefined ? { bytesTotal: source.length } : {}) });
  };

  try {
    const read = await readCsv(source, (rec, header) => {
      if (!toInstance) start(header);
      records++;
      if (rec.fields.length !== header.length) {
        rejected++;
        rejectRows.push([rec.line, `wrong number of fields: expected ${header.length}, found ${rec.fields.length}`, ...rec.fields]);
      } else {
        const r = schema.check(toInstance!(rec.fields), 0, MAX_DETAILS);
        if (r.ok) {
          batch.rows.push(r.row);
          batch.ids.push(idIndex >= 0 ? (rec.fields[idIndex] as string) : rec.line);
          if (groups) batch.codes.push(groups.codes(rec.fields));
        } else {
          rejected++;
          rejectRows.push([rec.line, rejectReason(r.details), ...rec.fields]);
        }
      }
      if (batch.rows.length === BATCH || rejectRows.length === BATCH) return flush();
      return undefined;
    }, { onBytes: (n) => { bytesRead = n; } });
    if (!toInstance) start(read.header); // a header without rows: still name missing columns, still write empty files
    await flush();
    // Before the files are put in place: a column the groups refuse (numeric without bands, too many values) leaves no output.
    const named = groups?.finish(source.label);
    await out!.finish();
    await rejects!.finish();
    const seconds = (performance.now() - started) / 1000;
    const fairness = named ? Object.fromEntries(named.map((a, k) => {
      // Provisional codes → the final groups, listed in their order.
      const merged = a.names.map((name) => [name, { approve: 0, refer: 0, decline: 0 }] as [string, DecisionCounts]);
      tallies[k]!.forEach((t, c) => { if (!t) return; const m = merged[a.remap[c]!]![1]; m.approve += t.approve; m.refer += t.refer; m.decline += t.decline; });
      return [a.column, { column: a.column, groupedBy: a.groupedBy, ...decisionsByGroup(merged) }];
    })) : undefined;
    return {
      model: { name: io.location.name, version: loaded.version, task, backend },
      data: { source: source.label, bytes: read.bytes, records, scored, rejected },
      out: { path: out!.label, bytes: out!.bytes, columns },
      rejects: { path: rejects!.label, rows: rejected },
      ...(fairness ? { fairness } : {}),
      seconds, rowsPerSecond: records / seconds,
    };
  } catch (e) {
    await out?.abort();
    await rejects?.abort();
    throw e;
  } finally {
    loaded.dispose();
  }
}
