/**
 * A classifier's reasons written by the reasons kernel
 * (shared/kernels/reasons.wat, through shared/reasons-writer.ts) are the
 * bytes the JavaScript writer writes, and so JSON.stringify's of the
 * prediction objects: on generated classifiers and batches validated the way
 * the edge validates them (values written into the kernel's cells as they are
 * checked, pass-through values alongside), on adversarial impacts, with rows
 * left to JavaScript mixed in; every number the kernel writes is String()'s,
 * or it leaves the row; and the answer's writer grows the kernel's memory
 * without losing what it wrote.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { answerBytes } from "../shared/answer-json.ts";
import { JsonBytes } from "../shared/json-bytes.ts";
import { MODEL_FILE, thresholdsOf, WEIGHTS_FILE } from "../shared/artifact.ts";
import { denseFromFiles } from "../shared/dense-files.ts";
import { scoreEncoded } from "../shared/predict.ts";
import type { Row } from "../shared/preprocess.ts";
import { CELL_OTHER, reasonsWriter, type KernelReasons } from "../shared/reasons-writer.ts";
import { createScorer, type Scorer } from "../shared/scorer.ts";
import { instanceSchema } from "../shared/validate.ts";
import { compileWat } from "../train/kernels/build.ts";
import { impactKernelModule } from "../train/kernels/load.ts";
import { classifierArb, headArb, impactArb, modelArb, objectPath, rowsArb, RUNS } from "./helpers/answer-arbitraries.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";

/** The Workers types declare the constructor abstract (Workers may not compile at runtime); Node may. */
const CompileModule = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;
const module = new CompileModule(readFileSync("shared/kernels/reasons.wasm"));
const text = new TextDecoder();

/** How many rows each side wrote, across a test's runs: both paths must have run for the test to mean anything. */
interface Tally { kernel: number; javascript: number }

/** What a test may put in place of the scores: impacts, answers, pass-through values, rows marked for JavaScript. */
interface Overrides { impacts?: Float64Array; p?: Float32Array; echoes?: (string | number | undefined)[]; leave?: boolean[] }

/**
 * Validates `rows` as the edge does (checkInto, values into the writer's cells), scores them, lets the kernel write
 * the rows and reasons it can (with `o`'s overrides), and expects the answer's bytes to be the object path's, and
 * each prediction's marks to cut it out of them (what decision capture slices).
 */
function expectKernelAnswer(scorer: Scorer, rows: Row[], topK: number, head: Record<string, unknown>, tally: Tally, o: Overrides = {}): void {
  const { leave = [], impacts, echoes = [] } = o;
  const m = scorer.manifest;
  const writer = reasonsWriter(module, scorer)!;
  expect(writer).toBeDefined();
  const schema = instanceSchema(m.spec, { passThroughKey: "_key", preprocess: m.preprocess });
  const key = schema.passThroughKey;
  const n = rows.length;
  const nf = m.spec.features.length;
  const x = scorer.impactKernel!.input(n);
  const cells = writer.prepare(n);
  const adjusted = new Uint8Array(n);
  const valid: Row[] = [];
  const passed: (string | number | undefined)[] = [];
  rows.forEach((row, i) => {
    const instance = key && echoes[i] !== undefined ? { ...row, [key]: echoes[i] } : row;
    const r = schema.checkInto!(instance, i, 20, x, i * m.preprocess.width, cells);
    if (!r.ok) throw new Error(`generated row ${i} is invalid: ${JSON.stringify(r.details)}`);
    valid.push(r.row);
    passed.push(r.passThrough);
    adjusted[i] = r.adjusted ? 1 : 0;
    if (leave[i]) cells.codes.fill(CELL_OTHER, i * nf, (i + 1) * nf);
  });
  const scored = scoreEncoded(scorer, x, n, adjusted, true, true);
  if (impacts) scored.impacts = impacts;
  if (o.p) scored.p = scored.out = o.p;
  const kernel = writer.begin(n, topK, scored.impacts!);
  const reasons: KernelReasons = {
    out: kernel.out,
    row: (i) => (kernel.row(i) ? (tally.kernel++, true) : (tally.javascript++, false)),
    rows: (p, t, own) => {
      const from = kernel.rows(p, t, own);
      return (i, marks) => { const stop = from(i, marks); tally.kernel += stop - i; return stop; };
    },
  };
  const a = { rows: valid, scored, topK, reasons, passThroughKey: key, echoes: passed };
  const marks: number[] = [];
  const got = answerBytes(scorer, head, a, marks);
  const expected = objectPath(scorer, head, a);
  expect(text.decode(got)).toBe(expected);
  const predictions = (JSON.parse(expected) as { predictions: unknown[] }).predictions;
  expect(marks).toHaveLength(n + 1);
  predictions.forEach((prediction, i) => {
    expect(text.decode(got.subarray(marks[i], marks[i + 1]))).toBe(`${i ? "," : ""}${JSON.stringify(prediction)}`);
  });
  expect(got[marks[n]!]).toBe(0x5d); // the array's "]"
}

describe("the reasons kernel", () => {
  it("is what reasons.wat compiles to (npm run build:kernels)", async () => {
    expect(Buffer.from(await compileWat("shared/kernels/reasons.wat")).equals(readFileSync("shared/kernels/reasons.wasm"))).toBe(true);
  });

  it("writes a number as String() does when it is 0, an integer below 1e15 or the double nearest some k / 1e6, and refuses every other", () => {
    const exports = new WebAssembly.Instance(module, {}).exports as unknown as { memory: WebAssembly.Memory; decimal: (p: number, v: number) => number };
    const writes = (v: number) => {
      const a = Math.abs(v);
      const k = Math.round(a * 1e6);
      return a === 0 || (Number.isInteger(a) && a < 1e15) || (k >= 1 && k < 1e15 && k / 1e6 === a);
    };
    const numbers = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(), fc.integer({ min: -1e15, max: 1e15 }), fc.maxSafeInteger(),
      fc.tuple(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 7 })).map(([k, d]) => k / 10 ** d),
      fc.double({ min: -500, max: 500, noNaN: true }),
      fc.constantFrom(0, -0, 1e-6, 1e-7, 9.99999e-7, 0.1, 0.000123, 123.456, 999999999999999, 1e15, 2 ** 53, 2 ** 60, 5e-324, 1e21, 499.99999999999994, 2 ** 32, 4294967295.5, 1e9 + 0.5),
    );
    let written = 0;
    fc.assert(fc.property(numbers, (v) => {
      const end = exports.decimal(64, v);
      expect(end >= 0).toBe(writes(v));
      if (end >= 0) {
        expect(text.decode(new Uint8Array(exports.memory.buffer, 64, end - 64))).toBe(String(v));
        written++;
      }
    }), { numRuns: RUNS * 10 });
    expect(written).toBeGreaterThan(RUNS);
  });

  it("is built for a classifier only", () => {
    fc.assert(fc.property(modelArb, (m) => {
      expect(reasonsWriter(module, m.scorer) !== undefined).toBe(m.scorer.task.kind === "classification");
    }), { numRuns: 30 });
  });
});

describe("JsonBytes over WebAssembly memory", () => {
  it("grows the memory as it fills and keeps what was written before and after", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const w = JsonBytes.over(memory, 1000);
    const piece = "é0123456789\"abc".repeat(10);
    let expected = "";
    for (let i = 0; i < 2000; i++) { w.string(piece); w.number(i / 7); expected += JSON.stringify(piece) + String(i / 7); }
    expect(memory.buffer.byteLength).toBeGreaterThan(65536);
    expect(text.decode(w.take())).toBe(expected);
  });
});

describe("an answer with the kernel's reasons equals JSON.stringify of the prediction objects", () => {
  it("for generated classifiers and batches validated into its cells (nulls, missing features, fractions, values beyond training), any topK, rows left to JavaScript", () => {
    const tally: Tally = { kernel: 0, javascript: 0 };
    fc.assert(fc.property(
      classifierArb.chain((m) => fc.tuple(fc.constant(m), rowsArb(m.spec, { min: 1, max: 12 }), fc.integer({ min: 1, max: 9 }), headArb))
        .chain(([m, rows, topK, head]) => fc.tuple(
          fc.constant({ m, rows, topK, head }),
          fc.array(fc.integer({ min: 0, max: 4 }).map((x) => x === 0), { minLength: rows.length, maxLength: rows.length }),
          fc.array(fc.option(fc.oneof(fc.string({ maxLength: 40 }), fc.integer()), { nil: undefined }), { minLength: rows.length, maxLength: rows.length }),
        )),
      ([{ m, rows, topK, head }, leave, echoes]) => expectKernelAnswer(m.scorer, rows, topK, head, tally, { leave, echoes }),
    ), { numRuns: RUNS });
    expect(tally.kernel).toBeGreaterThan(RUNS);
    expect(tally.javascript).toBeGreaterThan(0);
  });

  it("for adversarial impacts (ties after rounding, the 1e-6 cut, huge and non-finite ones) and answers (at a threshold, 0, 1, -0, non-finite)", () => {
    const tally: Tally = { kernel: 0, javascript: 0 };
    fc.assert(fc.property(
      classifierArb.chain((m) => fc.tuple(fc.constant(m), rowsArb(m.spec, { min: 1, max: 8 }))).chain(([m, rows]) => {
        const size = rows.length * m.spec.features.length;
        return fc.record({
          m: fc.constant(m), rows: fc.constant(rows), topK: fc.integer({ min: 1, max: 9 }), head: headArb,
          p: fc.option(fc.array(fc.oneof(
            fc.float({ noNaN: false }), fc.float({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, -0, 1, 0.5, Math.fround(0.1)),
            fc.constantFrom(...Object.values(thresholdsOf(m.scorer.manifest))).map(Math.fround),
          ), { minLength: rows.length, maxLength: rows.length }), { nil: undefined }),
          // Drawn from a small pool per batch half the time, so equal impacts (ties) are common.
          impacts: fc.oneof(
            fc.array(impactArb, { minLength: size, maxLength: size }),
            fc.array(impactArb, { minLength: 2, maxLength: 3 }).chain((pool) => fc.array(fc.constantFrom(...pool), { minLength: size, maxLength: size })),
          ),
        });
      }),
      ({ m, rows, topK, head, impacts, p }) => expectKernelAnswer(m.scorer, rows, topK, head, tally, { impacts: Float64Array.from(impacts), ...(p ? { p: Float32Array.from(p) } : {}) }),
    ), { numRuns: RUNS });
    expect(tally.kernel).toBeGreaterThan(RUNS);
    expect(tally.javascript).toBeGreaterThan(0);
  });

  it("for the bundled model's 256 test applicants (the bench's batch): every row written by the kernel", () => {
    const a = readArtifact(fixtures().artifactDirs[0]);
    const scorer = createScorer(a.manifest, denseFromFiles(a.files.get(MODEL_FILE)!, a.files.get(WEIGHTS_FILE)!)!, impactKernelModule());
    const rows = fixtures().parity.slice(0, 256).map((c) => c.instance as Row);
    expect(rows.length).toBe(256);
    for (const topK of [4, 1, 13]) {
      const tally: Tally = { kernel: 0, javascript: 0 };
      expectKernelAnswer(scorer, rows, topK, { id: "batch-7", model: { name: a.name, version: a.version } }, tally);
      expect(tally).toEqual({ kernel: 256, javascript: 0 });
    }
  });
});
