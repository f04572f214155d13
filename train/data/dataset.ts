/**
 * Second and third passes: type each CSV row against the spec, fit the shared
 * preprocessing on training rows only, then encode every usable row with the
 * very `transformInto` the edge uses. Raw rows are never held in memory.
 */
import { transformInto, type PreprocessState, type Row } from "../../shared/preprocess.ts";
import { PreprocessFitter, type FitOptions } from "../../shared/preprocess-fit.ts";
import type { FeatureSpec } from "../../shared/spec.ts";
import { seededRandom } from "../../shared/random.ts";
import { delimiterHint, readCsv, type CsvSource } from "./csv.ts";
import { MatrixBuilder, type Matrix } from "./matrix.ts";
import { parseNumber } from "./profile.ts";
import { SpillDir } from "./spill.ts";
import { TEST, TRAIN, VALIDATION } from "./split.ts";

export type { Matrix } from "./matrix.ts";

export class SkipReport {
  count = 0;
  readonly reasons = new Map<string, { count: number; examples: string[] }>();
  add(reason: string, example: string): void {
    this.count++;
    const r = this.reasons.get(reason) ?? { count: 0, examples: [] };
    r.count++;
    if (r.examples.length < 3) r.examples.push(example);
    this.reasons.set(reason, r);
  }
  toJSON(): { count: number; reasons: { reason: string; count: number; examples: string[] }[] } {
    return { count: this.count, reasons: [...this.reasons].map(([reason, r]) => ({ reason, ...r })) };
  }
}

/** A typed row with its label (`L`), or why the record was skipped. */
export type Typed<L> = { row: Row; label: L } | { skip: string; example: string };

/**
 * Which column holds the outcome and what an empty cell means: training skips
 * rows without a label ("skip"); monitoring keeps them as rows whose outcome is
 * not known yet ("unlabelled", label null).
 */
export interface LabelColumn {
  column: string;
  empty: "skip" | "unlabelled";
}

/**
 * Maps header positions once, then types records quickly: the feature cells by
 * the spec (numbers parsed, empty cells null where the spec allows), the label
 * by the spec's positive/negative values (1 / 0), or for a regression spec (no
 * labels) as the target's number. Without `labels` the default is training's:
 * the spec's target, rows without a label skipped. `labels: null` reads no
 * label at all (unlabelled data). Every feature column the header lacks is
 * named in one error.
 */
export function rowTyper(spec: FeatureSpec, header: string[], source: string): (fields: string[], line: number) => Typed<number>;
export function rowTyper(spec: FeatureSpec, header: string[], source: string, labels: LabelColumn | null): (fields: string[], line: number) => Typed<number | null>;
export function rowTyper(spec: FeatureSpec, header: string[], source: string, labels: LabelColumn | null = { column: spec.target, empty: "skip" }): (fields: string[], line: number) => Typed<number | null> {
  const missing = spec.features.filter((f) => !header.includes(f.name)).map((f) => `"${f.name}"`);
  if (missing.length) {
    const what = missing.length === 1 ? `column ${missing[0]} of the feature spec is missing` : `columns ${missing.join(", ")} of the feature spec are missing`;
    throw new Error(`${source}: ${what}; columns are: ${header.join(", ")}${delimiterHint(header)}`);
  }
  const cols = spec.features.map((f) => ({ f, i: header.indexOf(f.name) }));
  const t = labels ? header.indexOf(labels.column) : -1;
  if (labels && t < 0) throw new Error(`${source}: target column "${labels.column}" not found; columns are: ${header.join(", ")}${delimiterHint(header)}`);
  const numericTarget = spec.positive === undefined;
  return (fields, line) => {
    if (fields.length !== header.length) {
      return { skip: `wrong number of fields (expected ${header.length})`, example: `line ${line}: ${fields.length} fields` };
    }
    let label: number | null = null;
    if (labels) {
      const labelCell = fields[t] as string;
      if (labelCell === "") {
        if (labels.empty === "skip") return { skip: `missing target "${labels.column}"`, example: `line ${line}` };
      } else if (numericTarget) {
        const y = parseNumber(labelCell);
        if (y === undefined) return { skip: `"${labels.column}" (the target): expected a number`, example: `line ${line}: found "${labelCell.slice(0, 40)}"` };
        label = y;
      } else if (labelCell === spec.positive) label = 1;
      else if (labelCell === spec.negative) label = 0;
      else return { skip: `unknown target label in "${labels.column}"`, example: `line ${line}: "${labelCell.slice(0, 40)}"` };
    }
    const row: Record<string, number | string | null> = {};
    for (const { f, i } of cols) {
      const cell = fields[i] as string;
      if (cell === "") {
        if (!f.nullable) return { skip: `missing value in "${f.name}" (not nullable in the spec)`, example: `line ${line}` };
        row[f.name] = null;
      } else if (f.type === "numeric") {
        const x = parseNumber(cell);
        if (x === undefined) return { skip: `"${f.name}": expected a number`, example: `line ${line}: found "${cell.slice(0, 40)}"` };
        row[f.name] = x;
      } else {
        row[f.name] = cell;
      }
    }
    return { row, label };
  };
}

/**
 * Sees every usable row as it streams past, for statistics that must not hold
 * the raw data (the report's per-feature analysis). `split` is TRAIN,
 * VALIDATION or TEST (train/data/split.ts).
 */
export interface DatasetObserver {
  /** Second pass: each usable training row, before preprocessing is fitted. */
  fitRow?(row: Row): void;
  /** Once, between the passes: the fitted preprocessing. */
  fitted?(state: PreprocessState): void;
  /** Columns, features or not, whose raw cells `row` receives (protected attributes: read for analysis, never features). */
  columns?: readonly string[];
  /** Third pass (and the --test file): each usable row with its label (0/1, or a regression's value), split, and the cells of `columns`. */
  row?(row: Row, label: number, split: number, cells: readonly string[]): void;
}

/** Typed test rows kept to score other models on the same rows: all of them, or a uniform sample of this many. */
export const MAX_KEPT_TEST_ROWS = 100_000;

/** A uniform sample of test rows (all of them when there are few) and their positions in the test matrix, ascending. */
export interface TestSample { rows: Row[]; positions: number[] }

export interface Dataset {
  state: PreprocessState;
  train: Matrix;
  validation: Matrix;
  test: Matrix;
  skipped: SkipReport;
  /** Typed test rows, when asked for (the "not worse than current" gate scores the serving model on them). */
  testSample?: TestSample;
  /** Deletes the temporary files of spilled matrices (a no-op when everything fit in memory). */
  dispose(): void;
}

/** Where encoded rows live: in memory up to `limitBytes` for all splits together, then in `spill`'s temporary files. */
export interface RowStorage { limitBytes: number; spill: SpillDir }

/** For all splits together: 1M bundled-schema rows (33 columns) stay in memory, 10M go mostly to disk. */
export const DEFAULT_IN_MEMORY_BYTES = 256 * 2 ** 20;

/** Reservoir sampling (algorithm R) of test rows with their positions. */
function testSampler(size: number, seed: number) {
  const random = seededRandom(seed);
  const kept: { row: Row; pos: number }[] = [];
  let seen = 0;
  return {
    add(row: Row): void {
      if (kept.length < size) kept.push({ row, pos: seen });
      else {
        const j = Math.floor(random() * (seen + 1));
        if (j < size) kept[j] = { row, pos: seen };
      }
      seen++;
    },
    done(): TestSample {
      kept.sort((a, b) => a.pos - b.pos);
      return { rows: kept.map((k) => k.row), positions: kept.map((k) => k.pos) };
    },
  };
}

/** Where the observer's extra columns sit in this file's header; a file without one of them is refused, naming it. */
function observedColumns(observer: DatasetObserver | undefined, header: string[], source: string): number[] {
  return (observer?.columns ?? []).map((c) => {
    const at = header.indexOf(c);
    if (at < 0) throw new Error(`${source}: column "${c}" is missing (it is read for analysis); columns are: ${header.join(", ")}${delimiterHint(header)}`);
    return at;
  });
}

/**
 * `split[i]` assigns data row i (TRAIN/VALIDATION/TEST/other = excluded).
 * With `testSource`, every row of that file is a test row instead.
 */
export async function buildDataset(
  source: CsvSource,
  spec: FeatureSpec,
  split: Uint8Array,
  fit: FitOptions,
  testSource?: CsvSource,
  keepTestRows = false,
  /** sha256 of the first pass: a file that changes between passes must not train a model. */
  expectedSha256?: string,
  observer?: DatasetObserver,
  storage: RowStorage = { limitBytes: DEFAULT_IN_MEMORY_BYTES, spill: new SpillDir() },
): Promise<Dataset> {
  const unchanged = (r: { sha256?: string }) => {
    if (expectedSha256 && r.sha256 !== expectedSha256) {
      throw new Error(`${source.label} changed while it was being read (sha256 differs between passes); train again on a stable file`);
    }
  };
  const testSample = keepTestRows ? testSampler(MAX_KEPT_TEST_ROWS, fit.seed) : undefined;
  const skipped = new SkipReport();
  const fitter = new PreprocessFitter(spec, fit);
  let typer: ((fields: string[], line: number) => Typed<number>) | undefined;
  let cellsAt: number[] = [];
  let i = 0;
  unchanged(await readCsv(source, (rec, header) => {
    if (!typer) cellsAt = observedColumns(observer, header, source.label);
    typer ??= rowTyper(spec, header, source.label);
    if (split[i++] !== TRAIN) return;
    const t = typer(rec.fields, rec.line);
    if ("row" in t) { fitter.add(t.row); observer?.fitRow?.(t.row); }
  }, { hash: true }));
  if (fitter.count === 0) throw new Error(`${source.label}: no usable training rows`);
  const state = fitter.finish();
  observer?.fitted?.(state);

  // Rows per split are known from the split (skipped rows only leave capacity unused). The splits
  // read every epoch come first for memory: validation, then test, then train (read in chunks if spilled).
  const counts = [0, 0, 0];
  for (const part of split) if (part <= TEST) counts[part] = (counts[part] as number) + 1;
  const budget = { left: storage.limitBytes };
  const builder = (name: string, part: number, known: boolean) => new MatrixBuilder(state.width, budget, storage.spill, name, known ? counts[part] : undefined);
  const validation = builder("validation", VALIDATION, true);
  const test = builder("test", TEST, !testSource);
  const train = builder("train", TRAIN, true);
  const parts = [train, validation, test] as const;
  const encode = (fields: string[], line: number, part: number, label: string, excluded = false) => {
    const t = typer!(fields, line); // set by the first pass
    if ("skip" in t) { skipped.add(t.skip, `${label} ${t.example}`); return; }
    if (excluded) return;
    if (part === TEST) testSample?.add(t.row);
    observer?.row?.(t.row, t.label, part, cellsAt.map((c) => fields[c] as string));
    const slot = parts[part as 0 | 1 | 2].slot(t.label);
    transformInto(state, t.row, slot.x, slot.offset);
  };
  i = 0;
  try {
    unchanged(await readCsv(source, (rec) => {
      const part = split[i++] as number;
      // Excluded rows (bad shape, missing or unknown label) go through the typer too, so their reason is counted.
      encode(rec.fields, rec.line, part === VALIDATION || part === TEST ? part : TRAIN, source.label, part > TEST);
    }, { hash: true }));
    if (testSource) {
      await readCsv(testSource, (rec, header) => {
        if (i >= 0) { typer = rowTyper(spec, header, testSource.label); cellsAt = observedColumns(observer, header, testSource.label); i = -1; }
        encode(rec.fields, rec.line, TEST, testSource.label);
      });
    }
  } catch (e) {
    // A failed pass leaves no spilled rows behind.
    storage.spill.remove();
    throw e;
  }
  return {
    state, train: parts[TRAIN].done(), validation: parts[VALIDATION].done(), test: parts[TEST].done(), skipped,
    ...(testSample ? { testSample: testSample.done() } : {}),
    dispose: () => storage.spill.remove(),
  };
}
