/**
 * The set of record ids a reader has seen, for de-duplication at flat memory.
 * Delivery is at-least-once, so a record can arrive in two objects, days
 * apart in the listing; a reader must remember every id of its range. A Set
 * of 1M ~40-character strings costs ~100 MB; this keeps a 128-bit fingerprint
 * (sha256's first 16 bytes) per id in an open-addressing table: 16 bytes per
 * slot, at most half full, so ~32 MB per million ids. Two distinct ids share a
 * fingerprint with probability ~n²/2¹²⁸ (10⁻²⁶ for a billion ids): no record
 * is dropped as a false duplicate in any realistic volume.
 */
import { hash } from "node:crypto";

const WORDS = 4;

export class IdSet {
  private table: Uint32Array;
  private mask: number;
  size = 0;

  constructor(initialSlots = 1 << 16) {
    const slots = 2 ** Math.ceil(Math.log2(Math.max(16, initialSlots)));
    this.table = new Uint32Array(slots * WORDS);
    this.mask = slots - 1;
  }

  /** Adds `id`; false when it was already there (a duplicate). */
  add(id: string): boolean {
    const f = hash("sha256", id, "buffer");
    // Word 0 is never 0, so an all-zero slot means empty.
    const a = (f.readUInt32LE(0) | 1) >>> 0;
    const b = f.readUInt32LE(4);
    const c = f.readUInt32LE(8);
    const d = f.readUInt32LE(12);
    if (!this.insert(this.table, this.mask, a, b, c, d)) return false;
    this.size++;
    if (this.size * 2 > this.mask + 1) this.grow();
    return true;
  }

  /** Bytes the table holds (for the bench and messages). */
  get bytes(): number {
    return this.table.byteLength;
  }

  private insert(t: Uint32Array, mask: number, a: number, b: number, c: number, d: number): boolean {
    for (let i = (a ^ b) & mask; ; i = (i + 1) & mask) {
      const o = i * WORDS;
      if (t[o] === 0) {
        t[o] = a; t[o + 1] = b; t[o + 2] = c; t[o + 3] = d;
        return true;
      }
      if (t[o] === a && t[o + 1] === b && t[o + 2] === c && t[o + 3] === d) return false;
    }
  }

  private grow(): void {
    const old = this.table;
    const slots = (this.mask + 1) * 2;
    this.table = new Uint32Array(slots * WORDS);
    this.mask = slots - 1;
    for (let o = 0; o < old.length; o += WORDS) {
      if (old[o] !== 0) this.insert(this.table, this.mask, old[o]!, old[o + 1]!, old[o + 2]!, old[o + 3]!);
    }
  }
}
