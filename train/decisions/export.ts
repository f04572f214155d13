/**
 * `decisions export`: one flat row per recorded instance, de-duplicated, for
 * analysts (a spreadsheet, pandas, DuckDB): when, which request, which model
 * version in which role, the pass-through id, every feature as its own column,
 * the answer and its top reasons. Streamed from the reader to the CSV sink of
 * `npm run score` (csv-stringify with escape_formulas; a local file renamed
 * into place at the end, or an S3 multipart upload), so memory stays flat
 * whatever the volume: one object's records and one chunk of rows at a time.
 */
import type { DecisionRecord } from "../../shared/decisions/record.ts";
import { cellOf } from "../../shared/preprocess.ts";
import { taskOf, type TaskKind } from "../../shared/task.ts";
import { predictionCells, predictionColumns } from "../score/rows.ts";
import { openSink, type Cell } from "../score/sink.ts";
import type { S3Target } from "../store/storage.ts";
import { listVersionIds, readManifest, type Location } from "../store/versions.ts";
import { DecisionsError } from "./read.ts";

/** Rows handed to the sink at once. */
const CHUNK = 1000;

export const META_COLUMNS = ["time", "request_id", "id", "model", "version", "role", "caller", "pass_through", "capture"];

export interface ExportColumns {
  task: TaskKind;
  features: string[];
}

/**
 * The feature columns: every feature of every version the store holds (the
 * newest version's order first, then others' extra features), and the answer
 * columns of the newest version's task. Records of a version no longer stored
 * that carry other features are counted and named in the result.
 */
export async function exportColumns(l: Location): Promise<ExportColumns> {
  const ids = await listVersionIds(l);
  if (ids.length === 0) throw new DecisionsError(`no version of "${l.name}" is in the store, so the feature columns are unknown; export needs at least one published version`, "decisions_damaged");
  const features: string[] = [];
  let task: TaskKind | undefined;
  for (const id of ids) {
    const m = await readManifest(l, id);
    task ??= taskOf(m).kind;
    for (const f of m.spec.features) if (!features.includes(f.name)) features.push(f.name);
  }
  return { task: task as TaskKind, features };
}

export interface ExportResult {
  out: string;
  rows: number;
  bytes: number;
  columns: string[];
  /** Rows whose record kept no features (CAPTURE="decisions"): feature cells empty. */
  withoutFeatures: number;
  /** Features in records that are not columns (a version no longer stored), with their counts. */
  unlisted: Record<string, number>;
}

export async function exportDecisions(records: AsyncIterable<DecisionRecord>, cols: ExportColumns, o: { out: string; reasons: number; dataTarget?: S3Target }): Promise<ExportResult> {
  const columns = [...META_COLUMNS, ...cols.features, ...predictionColumns(cols.task, o.reasons)];
  const known = new Set(cols.features);
  const sink = openSink(o.out, o.dataTarget, columns);
  const result: ExportResult = { out: sink.label, rows: 0, bytes: 0, columns, withoutFeatures: 0, unlisted: {} };
  let rows: Cell[][] = [];
  try {
    for await (const r of records) {
      if (("value" in r.answer) !== (cols.task === "regression")) {
        throw new DecisionsError(`record ${r.id} (${r.version}) answers as a ${"value" in r.answer ? "regression" : "classifier"}, but the export's columns are a ${cols.task === "regression" ? "regression's" : "classifier's"}`, "decisions_damaged");
      }
      const f = r.features;
      if (!f) result.withoutFeatures++;
      // The edge never records the pass-through field among the features (edge/capture/records.ts): any other key is a feature no stored version lists.
      else for (const k of Object.keys(f)) if (!known.has(k)) result.unlisted[k] = (result.unlisted[k] ?? 0) + 1;
      rows.push([
        r.time, r.requestId, r.id, r.model, r.version, r.role, r.caller, r.passThrough, r.capture,
        ...cols.features.map((name) => (f ? cellOf(f, name) ?? null : null)),
        ...predictionCells(r.answer, o.reasons),
      ]);
      result.rows++;
      if (rows.length === CHUNK) { await sink.write(rows); rows = []; }
    }
    if (rows.length) await sink.write(rows);
    await sink.finish();
  } catch (e) {
    await sink.abort();
    throw e;
  }
  result.bytes = sink.bytes;
  return result;
}
