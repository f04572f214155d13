/**
 * Feeds training rows to the loop in seeded, shuffled mini-batches. The one
 * place that decides how rows reach the optimizer. Rows in memory are shuffled
 * as a whole each epoch. Rows spilled to disk are read in chunks: each epoch
 * visits the chunks in a random order, a few at a time, and shuffles the rows
 * of those chunks together, so memory stays bounded and reads stay sequential.
 */
import { shuffleInPlace, type Random } from "../../shared/random.ts";
import { readRows, type Matrix } from "../data/matrix.ts";

/** Rows per chunk read from a spill file, and chunks shuffled together (≈ 18 MiB at 35 columns). */
export const CHUNK_ROWS = 16_384;
export const CHUNKS_PER_GROUP = 8;

export interface Batch {
  /** `n × width` rows, row-major (a view into a reused buffer: copy before keeping). */
  x: Float32Array;
  /** `n` labels. */
  y: Float32Array;
  n: number;
}

export class BatchFeeder {
  private readonly order: Int32Array;
  private readonly bx: Float32Array;
  private readonly by: Float32Array;

  constructor(private readonly m: Matrix, private readonly batchSize: number, private readonly random: Random) {
    // In memory: one index per row. Spilled: one per row of a chunk group (the group buffer is made per epoch).
    this.order = Int32Array.from({ length: m.x ? m.n : Math.min(m.n, CHUNK_ROWS * CHUNKS_PER_GROUP) }, (_, i) => i);
    this.bx = new Float32Array(batchSize * m.width);
    this.by = new Float32Array(batchSize);
  }

  get rows(): number {
    return this.m.n;
  }

  /** One pass over every row in a fresh random order. */
  epoch(): Generator<Batch> {
    return this.m.x ? this.shuffled(this.m.x, this.m.y, this.order) : this.chunked();
  }

  /** Batches over rows `x`/`y` held in memory, in a fresh random `order` of them. */
  private *shuffled(x: Float32Array, y: Float32Array, order: Int32Array): Generator<Batch> {
    const { bx, by, batchSize } = this;
    const width = this.m.width;
    shuffleInPlace(order, this.random);
    for (let start = 0; start < order.length; start += batchSize) {
      const n = Math.min(batchSize, order.length - start);
      for (let k = 0; k < n; k++) {
        const row = order[start + k] as number;
        // A plain copy: a subarray per row would allocate hundreds of thousands of views per run.
        const from = row * width;
        const to = k * width;
        for (let c = 0; c < width; c++) bx[to + c] = x[from + c] as number;
        by[k] = y[row] as number;
      }
      yield { x: bx.subarray(0, n * width), y: by.subarray(0, n), n };
    }
  }

  private *chunked(): Generator<Batch> {
    const { m } = this;
    const chunks = Int32Array.from({ length: Math.ceil(m.n / CHUNK_ROWS) }, (_, i) => i);
    shuffleInPlace(chunks, this.random);
    const gx = new Float32Array(CHUNK_ROWS * CHUNKS_PER_GROUP * m.width);
    const gy = new Float32Array(CHUNK_ROWS * CHUNKS_PER_GROUP);
    for (let g = 0; g < chunks.length; g += CHUNKS_PER_GROUP) {
      let rows = 0;
      for (const c of chunks.subarray(g, g + CHUNKS_PER_GROUP)) {
        const start = c * CHUNK_ROWS;
        const count = Math.min(CHUNK_ROWS, m.n - start);
        readRows(m, start, count, gx.subarray(rows * m.width));
        gy.set(m.y.subarray(start, start + count), rows);
        rows += count;
      }
      yield* this.shuffled(gx, gy, this.order.subarray(0, rows).map((_, i) => i));
    }
  }
}
