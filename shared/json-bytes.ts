/**
 * A growable UTF-8 buffer for writing JSON text piece by piece: fixed
 * fragments copied as bytes, numbers written as `JSON.stringify` writes them,
 * strings as `JSON.stringify` quotes them. One buffer is reused across calls
 * (writing is synchronous, so calls cannot interleave); `take()` hands out a
 * copy of what was written. `over()` writes into WebAssembly memory instead,
 * so a kernel can write parts of the text in place (shared/reasons-writer.ts).
 */
import { growTo } from "./wasm-memory.ts";

const utf8 = new TextEncoder();
/** A buffer that grew past this for one huge answer is not kept for the next. */
const KEEP_BYTES = 1 << 22;

/** Room for at least n bytes, keeping what was written: the buffer to write into from now on. */
type Grow = (n: number, buf: Uint8Array<ArrayBuffer>, used: number) => Uint8Array<ArrayBuffer>;

const copyInto: Grow = (n, buf, used) => {
  const grown = new Uint8Array(Math.max(buf.length * 2, n));
  grown.set(buf.subarray(0, used));
  return grown;
};

export class JsonBytes {
  private buf: Uint8Array<ArrayBuffer>;
  private pos = 0;
  private readonly grow: Grow;

  constructor(capacity = 1 << 16, buf?: Uint8Array<ArrayBuffer>, grow?: Grow) {
    this.buf = buf ?? new Uint8Array(capacity);
    this.grow = grow ?? copyInto;
  }

  /**
   * A writer over `memory` from byte `start` on, growing the memory as it fills (which keeps what was
   * written: only this writer's view is renewed).
   */
  static over(memory: WebAssembly.Memory, start: number): JsonBytes {
    const view = () => new Uint8Array(memory.buffer, start) as Uint8Array<ArrayBuffer>;
    return new JsonBytes(0, view(), (n) => {
      growTo(memory, start + n);
      return view();
    });
  }

  private static reused: JsonBytes | undefined;

  /** The module's reusable writer, emptied. */
  static shared(): JsonBytes {
    const w = (JsonBytes.reused ??= new JsonBytes());
    w.pos = 0;
    return w;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.buf = this.grow(this.pos + n, this.buf, this.pos);
  }

  /** Room for n more bytes, for a writer outside this class (a kernel writing at `length` in the same memory). */
  reserve(n: number): void {
    this.ensure(n);
  }

  /** Counts n bytes written at `length` by such a writer. */
  advance(n: number): void {
    this.pos += n;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  bytes(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    // Most fragments are a few dozen bytes: a loop beats set()'s call overhead.
    if (n < 8) for (let i = 0; i < n; i++) buf[p++] = b[i] as number;
    else { buf.set(b, p); p += n; }
    this.pos = p;
  }

  /** Any well-formed string, as UTF-8. */
  text(s: string): void {
    const n = s.length;
    this.ensure(n * 3);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        p += utf8.encodeInto(s.slice(i), buf.subarray(p)).written;
        break;
      }
      buf[p++] = c;
    }
    this.pos = p;
  }

  /** A string as a JSON string literal (`JSON.stringify`'s escaping). */
  string(s: string): void {
    this.text(JSON.stringify(s));
  }

  /** A number as `JSON.stringify` writes it: `String(x)` when finite, else null. */
  number(x: number): void {
    if ((x | 0) === x) this.int(x);
    else this.text(Number.isFinite(x) ? String(x) : "null");
  }

  /** A 32-bit integer's decimal digits (-0 is "0", as String writes it). */
  private int(x: number): void {
    this.ensure(11);
    const buf = this.buf;
    let p = this.pos;
    if (x < 0) { buf[p++] = 0x2d; x = -x; }
    let digits = 1;
    for (let t = x; t >= 10; t = (t / 10) | 0) digits++;
    for (let i = digits - 1; i >= 0; i--) { buf[p + i] = 0x30 + (x % 10); x = (x / 10) | 0; }
    this.pos = p + digits;
  }

  /**
   * `String(r)` for r = `Math.round(x * 1e6) / 1e6` with x > 1e-6 (a
   * classifier's impact): such a quotient is the double nearest the decimal
   * k × 10⁻⁶, and that decimal (at most 16 significant digits) is its shortest
   * form, so the digits come from k without converting a double. Anything
   * else goes through String.
   */
  micros(r: number): void {
    const k = Math.round(r * 1e6);
    if (!(k >= 1 && k < 0x7fffffff && k / 1e6 === r)) { this.number(r); return; }
    const whole = (k / 1e6) | 0;
    let frac = k - whole * 1e6;
    this.int(whole);
    if (frac === 0) return;
    let digits = 6;
    while (frac % 10 === 0) { frac /= 10; digits--; }
    this.ensure(8);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 0x2e;
    for (let i = digits - 1; i >= 0; i--) { buf[p + i] = 0x30 + (frac % 10); frac = (frac / 10) | 0; }
    this.pos = p + digits;
  }

  /** A copy of what was written. */
  take(): Uint8Array<ArrayBuffer> {
    const out = this.buf.slice(0, this.pos);
    if (this.buf.length > KEEP_BYTES && this.grow === copyInto) this.buf = new Uint8Array(1 << 16);
    this.pos = 0;
    return out;
  }
}
