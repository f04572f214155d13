/**
 * First pass over the data: what each column looks like (numbers or labels,
 * ranges, vocabularies, missing counts) and each row's target label. Bounded
 * memory: one byte per row plus small per-column summaries.
 */
import { delimiterHint, readCsv, type CsvSource } from "./csv.ts";
import { TimeReader, type TimeKind } from "./time.ts";

/** Distinct values tracked per column; past this a column cannot be categorical. */
const MAX_TRACKED = 1000;

export interface ColumnProfile {
  name: string;
  /** Non-empty cells. */
  present: number;
  missing: number;
  /** Cells that parse as finite numbers. */
  numeric: number;
  min: number;
  max: number;
  /** Count of each distinct value, up to MAX_TRACKED distinct values. */
  values: Map<string, number>;
  /** True once more than MAX_TRACKED distinct values were seen. */
  overflow: boolean;
  /** Every present value a number above the one before (row counters, ids). */
  increasing: boolean;
  last: number;
  /** First cell that is not a number, for messages. */
  firstText?: { line: number; value: string };
}

/** Per-row label codes beside the label indices. */
export const LABEL_MISSING = -1;
export const LABEL_BAD_SHAPE = -2;
export const LABEL_TOO_MANY = -3;

export interface DataProfile {
  source: string;
  header: string[];
  sha256: string;
  bytes: number;
  /** Data records (header excluded), including malformed ones: row i is record i. */
  rows: number;
  columns: ColumnProfile[];
  targetIndex: number;
  /** Distinct target labels in order of first appearance, with counts. */
  labels: { value: string; count: number }[];
  /** Per row: index into `labels`, or one of the LABEL_* codes. */
  rowLabels: Int8Array;
  badShape: { count: number; lines: number[] };
  missingTarget: number;
  /** With a time column: each row's time (NaN for a row of the wrong shape), and whether the column holds numbers or dates. */
  times?: Float64Array;
  timeKind?: TimeKind;
}

export interface ProfileOptions {
  /** Read this column as time (an out-of-time split), refusing cells that are not one with their line. */
  timeColumn?: string;
}

export function parseNumber(cell: string): number | undefined {
  if (cell === "") return undefined;
  const x = Number(cell);
  return Number.isFinite(x) ? x : undefined;
}

export async function profileCsv(source: CsvSource, target: string, options: ProfileOptions = {}): Promise<DataProfile> {
  let columns: ColumnProfile[] = [];
  let targetIndex = -1;
  let rowLabels = new Int8Array(1024);
  const time = options.timeColumn === undefined ? undefined : { reader: new TimeReader(options.timeColumn, source.label), index: -1, values: new Float64Array(1024) };
  const labels: { value: string; count: number }[] = [];
  const badShape = { count: 0, lines: [] as number[] };
  let rows = 0;
  let missingTarget = 0;

  const result = await readCsv(
    source,
    (rec, header) => {
      if (targetIndex < 0) {
        targetIndex = header.indexOf(target);
        if (targetIndex < 0) {
          throw new Error(`${source.label}: target column "${target}" not found; columns are: ${header.join(", ")}${delimiterHint(header) || " (use --target)"}`);
        }
        columns = header.map((name) => ({ name, present: 0, missing: 0, numeric: 0, min: Infinity, max: -Infinity, values: new Map(), overflow: false, increasing: true, last: -Infinity }));
        if (time) {
          time.index = header.indexOf(options.timeColumn as string);
          if (time.index < 0) throw new Error(`${source.label}: time column "${options.timeColumn}" (--time-column) not found; columns are: ${header.join(", ")}`);
        }
      }
      if (rows === rowLabels.length) {
        const grown = new Int8Array(rows * 2);
        grown.set(rowLabels);
        rowLabels = grown;
        if (time) { const t = new Float64Array(rows * 2); t.set(time.values); time.values = t; }
      }
      const i = rows++;
      if (rec.fields.length !== header.length) {
        badShape.count++;
        if (badShape.lines.length < 5) badShape.lines.push(rec.line);
        rowLabels[i] = LABEL_BAD_SHAPE;
        if (time) time.values[i] = NaN;
        return;
      }
      if (time) time.values[i] = time.reader.read(rec.fields[time.index] as string, rec.line);
      rec.fields.forEach((cell, c) => {
        const col = columns[c] as ColumnProfile;
        if (cell === "") { col.missing++; return; }
        col.present++;
        const x = parseNumber(cell);
        if (x !== undefined) {
          col.numeric++;
          col.increasing &&= x > col.last;
          col.last = x;
          if (x < col.min) col.min = x;
          if (x > col.max) col.max = x;
        } else {
          col.increasing = false;
          col.firstText ??= { line: rec.line, value: cell };
        }
        if (!col.overflow) {
          col.values.set(cell, (col.values.get(cell) ?? 0) + 1);
          if (col.values.size > MAX_TRACKED) col.overflow = true;
        }
      });
      const label = rec.fields[targetIndex] as string;
      if (label === "") { missingTarget++; rowLabels[i] = LABEL_MISSING; return; }
      let li = labels.findIndex((l) => l.value === label);
      if (li < 0 && labels.length < 100) li = labels.push({ value: label, count: 0 }) - 1;
      if (li < 0) { rowLabels[i] = LABEL_TOO_MANY; return; }
      (labels[li] as { count: number }).count++;
      rowLabels[i] = li;
    },
    { hash: true },
  );
  if (rows === 0 || targetIndex < 0) {
    if (!result.header.includes(target)) {
      throw new Error(`${source.label}: target column "${target}" not found; columns are: ${result.header.join(", ")}${delimiterHint(result.header) || " (use --target)"}`);
    }
    throw new Error(`${source.label} has a header but no data rows`);
  }
  return {
    source: source.label, header: result.header, sha256: result.sha256 ?? "", bytes: result.bytes, rows,
    columns, targetIndex, labels, rowLabels: rowLabels.slice(0, rows), badShape, missingTarget,
    ...(time ? { times: time.values.slice(0, rows), ...(time.reader.kind ? { timeKind: time.reader.kind } : {}) } : {}),
  };
}
