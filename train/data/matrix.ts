/**
 * Encoded rows of one split: labels (or targets) always in memory, four bytes
 * a row; the rows themselves in memory while they fit the budget, else in a
 * temporary file (train/data/spill.ts) read back in chunks. So a bank's whole
 * application history trains in bounded memory, while small data (the common
 * case, and everything the tuner sees) stays in one Float32Array as before.
 * Plain data: an in-memory matrix crosses to worker threads as it is.
 */
import type { SpillDir, SpillFile } from "./spill.ts";

export interface Matrix {
  n: number;
  width: number;
  /** 1 = positive (adverse) label; for every row, in memory. */
  y: Float32Array;
  /** Row-major, `n × width`, when the rows are held in memory. */
  x?: Float32Array;
  /** Otherwise the file they were spilled to. */
  file?: SpillFile;
}

/** Rows in memory from arrays (tests, folds, samples). */
export function memoryMatrix(x: Float32Array, y: Float32Array, width: number): Matrix {
  return { x, y, n: y.length, width };
}

/** Rows [start, start + count): a view of memory, or read from the spill file into `out` (allocated if absent). */
export function readRows(m: Matrix, start: number, count: number, out?: Float32Array): Float32Array {
  if (m.x) return m.x.subarray(start * m.width, (start + count) * m.width);
  if (!m.file) throw new Error("matrix has neither rows in memory nor a spill file");
  return m.file.read(start, count, out ?? new Float32Array(count * m.width));
}

/** The rows as one array, for what needs them all at once (the tuner); a spilled matrix is refused with `what` named. */
export function rowsInMemory(m: Matrix, what: string): Float32Array {
  if (m.x) return m.x;
  throw new Error(`${what} needs the encoded rows in memory, but this data (${m.n} rows × ${m.width} columns, ${(m.n * m.width * 4 / 2 ** 20).toFixed(0)} MiB) is above --in-memory-limit; run it on a sample of the data, or raise the limit`);
}

/** Rows at the given indices (sorted or not) copied into a new in-memory matrix. */
export function pickRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const x = new Float32Array(indices.length * m.width);
  const y = new Float32Array(indices.length);
  const one = new Float32Array(m.width);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    x.set(readRows(m, i, 1, one), k * m.width);
    y[k] = m.y[i] as number;
  }
  return memoryMatrix(x, y, m.width);
}

/** Bytes of encoded rows the splits of one dataset may still hold in memory, shared by their builders. */
export interface MemoryBudget { left: number }

/**
 * Appends encoded rows. When the number of rows is known beforehand (the
 * splits of the training file: the split assigns every row), the builder
 * decides once: one exact allocation if the shared budget allows, else a spill
 * file from the first row, so nothing is copied or thrown away as it fills.
 * When it is not known (a separate --test file), the arrays grow while the
 * budget allows and spill once it does not.
 */
export class MatrixBuilder {
  private x: Float32Array;
  private y: Float32Array;
  private n = 0;
  private file: SpillFile | undefined;
  /** Rows waiting in `x` to be appended to the file (spilled mode). */
  private pending = 0;
  private static readonly FLUSH_ROWS = 8192;
  private readonly rowBytes: number;

  constructor(readonly width: number, private readonly budget: MemoryBudget, private readonly spill: SpillDir, private readonly name: string, expectedRows?: number) {
    this.rowBytes = width * 4;
    if (expectedRows !== undefined) {
      this.y = new Float32Array(expectedRows);
      const bytes = expectedRows * this.rowBytes;
      if (bytes <= budget.left) {
        this.x = new Float32Array(expectedRows * width);
        budget.left -= bytes;
      } else {
        this.x = new Float32Array(MatrixBuilder.FLUSH_ROWS * width);
        this.file = spill.file(name, width);
      }
      return;
    }
    // Start small enough that a tiny budget spills early (tests), at most 1024 rows.
    const rows = Math.max(1, Math.min(1024, Math.floor(budget.left / this.rowBytes)));
    this.x = new Float32Array(rows * width);
    this.y = new Float32Array(rows);
    budget.left -= this.x.byteLength;
  }

  /** Where to write the next row's `width` values, with its label recorded. */
  slot(label: number): { x: Float32Array; offset: number } {
    if (this.n === this.y.length) {
      const gy = new Float32Array(this.y.length * 2); gy.set(this.y); this.y = gy;
    }
    this.y[this.n++] = label;
    if (this.file) {
      if (this.pending === MatrixBuilder.FLUSH_ROWS) this.flush();
      return { x: this.x, offset: this.pending++ * this.width };
    }
    const capacity = this.x.length / this.width;
    if (this.n - 1 === capacity) {
      // Double, or take what the budget has left; with nothing left, spill.
      const grow = Math.min(capacity, Math.floor(this.budget.left / this.rowBytes));
      if (grow < 1) return this.startSpilling();
      const gx = new Float32Array((capacity + grow) * this.width); gx.set(this.x); this.x = gx;
      this.budget.left -= grow * this.rowBytes;
    }
    return { x: this.x, offset: (this.n - 1) * this.width };
  }

  private startSpilling(): { x: Float32Array; offset: number } {
    this.file = this.spill.file(this.name, this.width);
    this.file.append(this.x, this.n - 1);
    this.budget.left += this.x.byteLength;
    this.x = new Float32Array(MatrixBuilder.FLUSH_ROWS * this.width);
    this.pending = 1;
    return { x: this.x, offset: 0 };
  }

  private flush(): void {
    this.file?.append(this.x, this.pending);
    this.pending = 0;
  }

  /** The matrix; views of the arrays (rows skipped after counting leave unused capacity, never a copy). */
  done(): Matrix {
    const y = this.y.subarray(0, this.n);
    if (!this.file) return memoryMatrix(this.x.subarray(0, this.n * this.width), y, this.width);
    this.flush();
    return { y, n: this.n, width: this.width, file: this.file };
  }
}
