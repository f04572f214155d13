/**
 * A classifier's reasons as JSON bytes from the reasons kernel
 * (shared/kernels/reasons.wat). For 256 applicants, writing about 1,000
 * reasons piece by piece in JavaScript was the largest cost of an answer above
 * its floor. With the kernel, the whole answer is written into the kernel's
 * memory (`KernelReasons.out`), and where a row's reasons go the kernel picks
 * and writes them in place. The bytes are the JavaScript writer's (the same
 * fragments, shared/answer-fragments.ts; test/reasons-writer.test.ts); a row
 * the kernel cannot write (a value it cannot format as String() would) is
 * left to the JavaScript writer, into the same bytes.
 *
 * Validation writes each row's values into `prepare(n)`'s cells as it checks
 * them (shared/accept-into.ts), so the writer never looks a value up by name.
 * The memory is reused by the next answer: the caller writes the answer and
 * takes its bytes before anything else can score on this model (the edge
 * does both in the same synchronous step).
 */
import { F, fragmentsOf } from "./answer-fragments.ts";
import { JsonBytes } from "./json-bytes.ts";
import type { Scorer } from "./scorer.ts";
import { align16, growTo } from "./wasm-memory.ts";

/**
 * Per row and feature (n × features): a category's index in the spec's
 * values, `CELL_NULL` for null or missing, `CELL_NUMBER` for a number (in
 * `values`); `CELL_OTHER` leaves the row's reasons to JavaScript.
 */
export interface ReasonCells {
  codes: Int32Array;
  values: Float64Array;
}

export const CELL_NULL = -1;
export const CELL_NUMBER = -2;
export const CELL_OTHER = -3;

/**
 * One answer's reasons from the kernel: the answer is written into `out` (in
 * the kernel's memory), and `row(i)` writes row i's reasons at its end.
 */
export interface KernelReasons {
  out: JsonBytes;
  /** Writes row i's reasons at `out`'s end; false when that row is JavaScript's to write (nothing was written). */
  row(i: number): boolean;
  /**
   * Hands the kernel whole rows: the answers `p` (n of them), the decision thresholds, and which rows
   * JavaScript writes itself (`own`: a row with warnings, a pass-through value or an answer that is not a
   * finite number). The function it answers writes rows i, i + 1, … at `out`'s end, each one's start in
   * `marks` (relative to `out`), and stops at the first row JavaScript must write, answering its index (n when
   * none is left); the caller writes that row and calls again from the next.
   */
  rows(p: Float32Array, thresholds: { refer: number; decline: number }, own: Uint8Array): (i: number, marks?: number[]) => number;
}

export interface ReasonsWriter {
  /** Cells for n rows inside the kernel's memory, to be filled by validation; valid until the next call. */
  prepare(n: number): ReasonCells;
  /**
   * The prepared rows' reasons, at most k each (k ≥ 1), from their impacts (n × features, as scoring
   * gives them), for one answer written before anything else calls this writer.
   */
  begin(n: number, k: number, impacts: Float64Array): KernelReasons;
}

interface Exports {
  memory: WebAssembly.Memory;
  setup: (...args: number[]) => void;
  row: (i: number, at: number) => number;
  setupRows: (...args: number[]) => void;
  rows: (i: number, n: number, at: number) => number;
  stopped: () => number;
}

/** The kernel's fixed pieces, numbered as reasons.wat's $piece reads them. */
const PIECES = [F.impact, F.nul, F.nextProbability, F.reasonsNoWarnings, F.decisionReasons.approve, F.decisionReasons.refer, F.decisionReasons.decline];
/** The longest String() of a number, with its comma. */
const DIGITS_BYTES = 32;

/** Room for a number the kernel writes: a sign, 15 digits and a point. */
const NUMBER_BYTES = 24;

/** For a classifier (whose reasons are rises only, ranked to 1e-6), else undefined. */
export function reasonsWriter(module: WebAssembly.Module, m: Scorer): ReasonsWriter | undefined {
  if (m.task.kind !== "classification" || m.loweredTexts || m.output) return undefined;
  const f = fragmentsOf(m);
  const nf = f.features.length;
  const exports = new WebAssembly.Instance(module, {}).exports as unknown as Exports;

  // Fixed layout: the feature table, the value table, the fixed pieces' table, the pieces; the picks. Then per answer:
  // impacts, values, codes; the answer's bytes. A category's pieces are in the spec's order: a cell's code is
  // the value's index there (shared/accept-into.ts).
  const values = m.manifest.spec.features.map((x, j) => (x.type === "categorical" ? x.values.map((c) => f.nextValued[j]!.get(c)!) : []));
  const nv = values.reduce((s, v) => s + v.length, 0);
  const tab = 0;
  const vtab = tab + nf * 32;
  const ftab = vtab + nv * 8;
  let at = ftab + PIECES.length * 8;
  const pieces: [number, Uint8Array][] = [];
  const place = (b: Uint8Array) => { pieces.push([at, b]); at += b.length; return at - b.length; };
  const table = new Int32Array(nf * 8);
  const vtable = new Int32Array(nv * 2);
  let widest = 0;
  let v = 0;
  for (let j = 0; j < nf; j++) {
    const head = f.nextHead[j] as Uint8Array;
    const text = f.raised[j] as Uint8Array;
    table.set([place(head), head.length, place(text), text.length, v], j * 8);
    // The head, a number (or null) and `,"impact":`, or a category's piece.
    let piece = head.length + NUMBER_BYTES + F.impact.length;
    for (const b of values[j] as Uint8Array[]) {
      vtable.set([place(b), b.length], v * 2);
      v++;
      piece = Math.max(piece, b.length);
    }
    widest = Math.max(widest, piece + NUMBER_BYTES + text.length);
  }
  const ftable = Int32Array.from(PIECES.flatMap((b) => [place(b), b.length]));
  const pick = align16(at);
  const perCall = align16(pick + nf * 16);
  const ensure = (bytes: number) => growTo(exports.memory, bytes);
  ensure(perCall);
  {
    const mem = exports.memory.buffer;
    new Int32Array(mem, tab, nf * 8).set(table);
    new Int32Array(mem, vtab, nv * 2).set(vtable);
    new Int32Array(mem, ftab, PIECES.length * 2).set(ftable);
    const bytes = new Uint8Array(mem);
    for (const [o, b] of pieces) bytes.set(b, o);
  }

  const layout = (n: number) => {
    const imp = perCall;
    const vals = imp + n * nf * 8;
    const codes = vals + n * nf * 8;
    const probs = align16(codes + n * nf * 4);
    const marks = align16(probs + n * 4);
    const own = align16(marks + n * 4);
    const digits = align16(own + n);
    return { imp, vals, codes, probs, marks, own, digits, out: align16(digits + n * DIGITS_BYTES) };
  };
  const utf8 = new TextEncoder();
  return {
    prepare(n) {
      const l = layout(n);
      ensure(l.out);
      const mem = exports.memory.buffer;
      return { codes: new Int32Array(mem, l.codes, n * nf), values: new Float64Array(mem, l.vals, n * nf) };
    },
    begin(n, k, impacts) {
      const l = layout(n);
      const picks = Math.min(k, nf);
      // The most a row's reasons take, with 16 bytes the kernel's copies may write past their end; and a whole
      // row's (its probability, decision and the fixed text around them, under 128 bytes).
      const rowBytes = picks * widest + 16;
      const wholeRow = rowBytes + 128;
      // Room for the whole answer up front, so it rarely grows.
      ensure(l.out + n * wholeRow);
      new Float64Array(exports.memory.buffer, l.imp, n * nf).set(impacts.subarray(0, n * nf));
      exports.setup(nf, picks, tab, vtab, ftab, l.imp, l.codes, l.vals, pick);
      const out = JsonBytes.over(exports.memory, l.out);
      return {
        out,
        row(i) {
          out.reserve(rowBytes);
          const end = exports.row(i, l.out + out.length);
          if (end < 0) return false;
          out.advance(end - l.out - out.length);
          return true;
        },
        rows(p, t, own) {
          const mem = exports.memory.buffer;
          new Float32Array(mem, l.probs, n).set(p.subarray(0, n));
          new Uint8Array(mem, l.own, n).set(own.subarray(0, n));
          // Every answer's String() at once: the digits of a Float32Array's join are String()'s of each element.
          const digits = p.subarray(0, n).join(",");
          const { written } = utf8.encodeInto(digits, new Uint8Array(mem, l.digits, n * DIGITS_BYTES));
          exports.setupRows(l.probs, l.digits, l.digits + written, l.own, l.marks, t.refer, t.decline);
          return (i, marks) => {
            out.reserve((n - i) * wholeRow);
            const end = exports.rows(i, n, l.out + out.length);
            const stop = exports.stopped();
            if (marks) {
              const starts = new Int32Array(exports.memory.buffer, l.marks, n);
              for (let r = i; r < stop; r++) marks.push((starts[r] as number) - l.out);
            }
            out.advance(end - l.out - out.length);
            return stop;
          };
        },
      };
    },
  };
}
