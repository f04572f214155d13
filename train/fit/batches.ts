/**
 * Feeds training rows to the loop in seeded, shuffled mini-batches. The one
 * place that decides how rows reach the optimizer: a different source (rows
 * spilled to disk, shuffled chunks) replaces this class, not the loop.
 */
import { shuffleInPlace, type Random } from "../../shared/random.ts";
import type { Matrix } from "../data/dataset.ts";

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
    this.order = Int32Array.from({ length: m.n }, (_, i) => i);
    this.bx = new Float32Array(batchSize * m.width);
    this.by = new Float32Array(batchSize);
  }

  get rows(): number {
    return this.m.n;
  }

  /** One pass over every row in a fresh random order. */
  *epoch(): Generator<Batch> {
    const { m, order, bx, by, batchSize } = this;
    shuffleInPlace(order, this.random);
    for (let start = 0; start < m.n; start += batchSize) {
      const n = Math.min(batchSize, m.n - start);
      for (let k = 0; k < n; k++) {
        const row = order[start + k] as number;
        bx.set(m.x.subarray(row * m.width, (row + 1) * m.width), k * m.width);
        by[k] = m.y[row] as number;
      }
      yield { x: bx.subarray(0, n * m.width), y: by.subarray(0, n), n };
    }
  }
}
