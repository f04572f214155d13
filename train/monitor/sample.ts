/**
 * The scores (and labels) the rank-based numbers need — AUC, KS, calibration,
 * the expected AUC — kept in typed arrays: every row up to `limit` (exact
 * results, 5 bytes a row), then a seeded uniform sample of `limit` rows
 * (Algorithm R), so memory stays bounded however long the file is. Counts,
 * shares and PSI never come from here: they are tallied over every row.
 */
import { seededRandom, type Random } from "../../shared/random.ts";

/**
 * Rows kept by default: exact results up to a million scored rows; beyond, the
 * standard error a 1M-row sample adds to an AUC is about 0.0005.
 */
export const SAMPLE_LIMIT = 1_000_000;

export class ScoreSample {
  private scores = new Float32Array(1 << 14);
  private labels = new Uint8Array(1 << 14);
  private kept = 0;
  /** Rows offered so far. */
  seen = 0;
  private readonly random: Random;

  constructor(readonly limit = SAMPLE_LIMIT, seed = 1) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`ScoreSample: limit must be a whole number >= 1, got ${limit}`);
    this.random = seededRandom(seed);
  }

  add(score: number, label: 0 | 1 = 0): void {
    let slot = this.kept;
    if (this.kept < this.limit) {
      if (this.kept === this.scores.length) this.grow();
      this.kept++;
    } else {
      slot = Math.floor(this.random() * (this.seen + 1));
      if (slot >= this.limit) { this.seen++; return; }
    }
    this.scores[slot] = score;
    this.labels[slot] = label;
    this.seen++;
  }

  /** True once rows were dropped: results from here are estimates from `limit` sampled rows. */
  get sampled(): boolean {
    return this.seen > this.kept;
  }

  get size(): number {
    return this.kept;
  }

  /** The kept scores and labels (labels as 0/1 floats, the metric functions' convention), copied. */
  values(): { scores: Float32Array; labels: Float32Array } {
    return { scores: this.scores.slice(0, this.kept), labels: Float32Array.from(this.labels.subarray(0, this.kept)) };
  }

  private grow(): void {
    const size = Math.min(this.limit, this.scores.length * 2);
    const s = new Float32Array(size); s.set(this.scores); this.scores = s;
    const l = new Uint8Array(size); l.set(this.labels); this.labels = l;
  }
}
