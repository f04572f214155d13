/**
 * Temporary files for encoded rows that do not fit the in-memory budget.
 * Each file is unlinked the moment it is opened: the run keeps reading and
 * writing it through its descriptor, and the kernel frees the space when the
 * descriptor closes — at the end of the run, on failure, on Ctrl-C, and even
 * on kill -9 or an out-of-memory kill. So a scheduled job never leaves
 * gigabytes of applicant features behind, whatever stops it. (POSIX semantics:
 * Linux and macOS.)
 */
import { closeSync, mkdtempSync, openSync, readSync, rmdirSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The spill files of one run; `remove()` closes them all (their space is freed then). */
export class SpillDir {
  private readonly files = new Set<SpillFile>();

  /** Files open now (none once removed). */
  get open(): number {
    return this.files.size;
  }

  file(name: string, width: number): SpillFile {
    const f = new SpillFile(name, width, () => this.files.delete(f));
    this.files.add(f);
    return f;
  }

  /** Closes every file. Safe to call more than once. */
  remove(): void {
    for (const f of this.files) f.close();
  }
}

/** float32 rows of `width` values, row-major, appended then read back by position. */
export class SpillFile {
  private fd: number | undefined;
  rows = 0;

  constructor(readonly name: string, readonly width: number, private readonly onClose: () => void) {
    const dir = mkdtempSync(join(tmpdir(), "edgescore-rows-"));
    const path = join(dir, `${name}.f32`);
    this.fd = openSync(path, "w+", 0o600);
    // Nothing is left under a name: only this descriptor reaches the bytes.
    unlinkSync(path);
    rmdirSync(dir);
  }

  private handle(): number {
    if (this.fd === undefined) throw new Error(`the spill file for ${this.name} is closed`);
    return this.fd;
  }

  /** Appends `count` rows from the start of `x`. */
  append(x: Float32Array, count: number): void {
    const bytes = new Uint8Array(x.buffer, x.byteOffset, count * this.width * 4);
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(this.handle(), bytes, written, bytes.byteLength - written, this.rows * this.width * 4 + written);
    this.rows += count;
  }

  /** Rows [start, start + count) into `out` (which must hold them). */
  read(start: number, count: number, out: Float32Array): Float32Array {
    const bytes = new Uint8Array(out.buffer, out.byteOffset, count * this.width * 4);
    let read = 0;
    while (read < bytes.byteLength) {
      const n = readSync(this.handle(), bytes, read, bytes.byteLength - read, start * this.width * 4 + read);
      if (n === 0) throw new Error(`spill file for ${this.name}: rows ${start}..${start + count} are beyond the ${this.rows} written`);
      read += n;
    }
    return out.subarray(0, count * this.width);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    this.onClose();
  }
}
