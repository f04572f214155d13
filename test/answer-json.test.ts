/**
 * The answer of POST /predict is written as JSON bytes straight from the
 * scores (shared/answer-json.ts). It must be, byte for byte, the UTF-8 of
 * `JSON.stringify` of the prediction objects the object path builds
 * (`predictionsOf` + `withPassThrough`, as the route answered before): same
 * key order, same numbers, same reasons in the same order. Checked on
 * generated models (awkward feature names, category values and reason texts,
 * classification and regression), generated batches (pass-through values of
 * any string or number, nulls, missing features, values outside the training
 * range), scores from the kernel and adversarial synthetic scores (tied,
 * tiny, huge and non-finite impacts), every topK, explain=false; and on the
 * bundled model's test applicants, in Node and as the Worker in workerd sends them.
 */
import { request, type IncomingHttpHeaders } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerBytes } from "../shared/answer-json.ts";
import { MODEL_FILE, WEIGHTS_FILE } from "../shared/artifact.ts";
import { JsonBytes } from "../shared/json-bytes.ts";
import { denseFromFiles } from "../shared/dense-files.ts";
import { scoreWithImpacts, type ScoredRows } from "../shared/predict.ts";
import { type Row } from "../shared/preprocess.ts";
import { createScorer } from "../shared/scorer.ts";
import { impactKernelModule } from "../train/kernels/load.ts";
import { publishTo } from "../train/job.ts";
import { echoArb, expectSameBytes, headArb, impactArb, modelArb, objectPath, passThroughKeyArb, rowsArb, RUNS, utf8 } from "./helpers/answer-arbitraries.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

describe("the answer written as JSON bytes equals JSON.stringify of the prediction objects", () => {
  it("for generated models and batches scored by the kernel, any topK (0 = explain=false), pass-through keys and values", () => {
    fc.assert(fc.property(
      modelArb.chain((m) => fc.tuple(fc.constant(m), rowsArb(m.spec, { min: 1, max: 12 }), fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constantFrom(-1, 2.5)), passThroughKeyArb, headArb)
        .chain(([m, rows, topK, key, head]) => fc.tuple(fc.constant({ m, rows, topK, key, head }), fc.array(echoArb, { minLength: rows.length, maxLength: rows.length })))),
      ([{ m, rows, topK, key, head }, echoes]) => {
        const scored = scoreWithImpacts(m.scorer, rows, topK > 0);
        expectSameBytes(m.scorer, head, { rows, scored, topK, passThroughKey: key, echoes });
      },
    ), { numRuns: RUNS });
  });

  it("for adversarial scores: tied, tiny, huge and non-finite impacts and answers, warnings or none, with and without impacts", () => {
    fc.assert(fc.property(
      modelArb.chain((m) => fc.tuple(fc.constant(m), rowsArb(m.spec, { min: 1, max: 8 }))).chain(([m, rows]) => {
        const nf = m.spec.features.length;
        return fc.record({
          m: fc.constant(m), rows: fc.constant(rows),
          p: fc.array(fc.oneof(fc.float({ min: 0, max: 1, noNaN: true }).map(Math.fround), fc.double(), fc.constantFrom(0, 1, 0.25, 0.5, -0)), { minLength: rows.length, maxLength: rows.length }),
          out: fc.array(fc.float({ noNaN: false }), { minLength: rows.length, maxLength: rows.length }),
          // Drawn from a small pool per batch half the time, so equal impacts (ties) are common.
          impacts: fc.option(fc.oneof(
            fc.array(impactArb, { minLength: rows.length * nf, maxLength: rows.length * nf }),
            fc.array(impactArb, { minLength: 2, maxLength: 3 }).chain((pool) => fc.array(fc.constantFrom(...pool), { minLength: rows.length * nf, maxLength: rows.length * nf })),
          ), { nil: undefined }),
          adjusted: fc.array(fc.boolean(), { minLength: rows.length, maxLength: rows.length }),
          topK: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constantFrom(0, -2, 1.5, 100)),
          key: passThroughKeyArb,
          echoes: fc.array(echoArb, { minLength: rows.length, maxLength: rows.length }),
          head: headArb,
        });
      }),
      ({ m, rows, p, out, impacts, adjusted, topK, key, echoes, head }) => {
        const classifier = m.scorer.task.kind === "classification";
        const scored: ScoredRows = {
          out: Float32Array.from(out), p: classifier ? Float32Array.from(p) : Float64Array.from(p),
          ...(impacts ? { impacts: Float64Array.from(impacts) } : {}), adjusted: Uint8Array.from(adjusted, Number),
        };
        expectSameBytes(m.scorer, head, { rows, scored, topK, passThroughKey: key, echoes });
      },
    ), { numRuns: RUNS });
  });

  it("for the bundled model's test applicants, 256 at once (the bench's batch) and one at a time, with reasons and without", () => {
    const a = readArtifact(fixtures().artifactDirs[0]);
    const scorer = createScorer(a.manifest, denseFromFiles(a.files.get(MODEL_FILE)!, a.files.get(WEIGHTS_FILE)!)!, impactKernelModule());
    const rows = fixtures().parity.slice(0, 256).map((c) => c.instance as Row);
    expect(rows.length).toBe(256);
    const head = { id: "batch-7", model: { name: a.name, version: a.version } };
    const echoes = rows.map((_, i) => (i % 3 === 0 ? undefined : i % 3 === 1 ? `applicant-${i}` : i));
    for (const topK of [4, 0, 13, 1]) {
      const scored = scoreWithImpacts(scorer, rows, topK > 0);
      expectSameBytes(scorer, head, { rows, scored, topK, passThroughKey: "_key", echoes });
      expectSameBytes(scorer, { model: head.model }, { rows, scored, topK });
    }
    // Answers with reasons and warnings are what is being compared, not empty lists.
    const text = new TextDecoder().decode(answerBytes(scorer, head, { rows, scored: scoreWithImpacts(scorer, rows, true), topK: 4 }));
    expect(text).toContain('"reasons":[{"feature"');
    expect(text).toContain('"code":"imputed"');
    expect(rows.slice(0, 20).map((r) => new TextDecoder().decode(answerBytes(scorer, head, { rows: [r], scored: scoreWithImpacts(scorer, [r], true), topK: 4 }))))
      .toEqual(rows.slice(0, 20).map((r) => objectPath(scorer, head, { rows: [r], scored: scoreWithImpacts(scorer, [r], true), topK: 4 })));
  });

  it("hands out its own bytes: a later answer (the writer's buffer is reused) leaves an earlier one as it was", () => {
    const a = readArtifact(fixtures().artifactDirs[0]);
    const scorer = createScorer(a.manifest, denseFromFiles(a.files.get(MODEL_FILE)!, a.files.get(WEIGHTS_FILE)!)!, impactKernelModule());
    const rows = fixtures().parity.map((c) => c.instance as Row);
    const head = { model: { name: a.name, version: a.version } };
    const first = answerBytes(scorer, head, { rows: rows.slice(0, 3), scored: scoreWithImpacts(scorer, rows.slice(0, 3), true), topK: 4 });
    const copy = first.slice();
    answerBytes(scorer, head, { rows, scored: scoreWithImpacts(scorer, rows, true), topK: 4 });
    expect(Buffer.from(first).equals(copy)).toBe(true);
  });
});

describe("JsonBytes writes numbers and strings as JSON.stringify does", () => {
  const written = (write: (w: JsonBytes) => void) => { const w = new JsonBytes(4); write(w); return new TextDecoder().decode(w.take()); };

  it("every impact a classifier can show, k / 1e6 for k = 1 .. 1,000,000, in its integer-digit form", () => {
    const w = new JsonBytes();
    const expected: string[] = [];
    for (let k = 1; k <= 1_000_000; k++) {
      if (k > 1) w.text(",");
      w.micros(k / 1e6);
      expected.push(String(k / 1e6));
    }
    expect(new TextDecoder().decode(w.take())).toBe(expected.join(","));
  });

  it("rounded impacts of any size, and numbers of every kind (integers, -0, fractions, exponents, NaN, infinities)", () => {
    fc.assert(fc.property(fc.double(), (x) => {
      const r = Math.round(x * 1e6) / 1e6;
      expect(written((w) => w.micros(r))).toBe(JSON.stringify(r));
      expect(written((w) => w.number(x))).toBe(JSON.stringify(x));
    }), { numRuns: 20_000 });
    for (const x of [0, -0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, NaN, Infinity, -Infinity]) {
      expect(written((w) => w.number(x))).toBe(JSON.stringify(x));
    }
  });

  it("any string, quoted and escaped (lone surrogates included) and encoded as UTF-8", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
      const w = new JsonBytes(4);
      w.string(s);
      expect(Buffer.from(w.take()).equals(utf8.encode(JSON.stringify(s)))).toBe(true);
    }), { numRuns: 5_000 });
  });
});

function rawPost(url: URL, text: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent: false, headers: { "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(text);
  });
}

describe("POST /predict in workerd answers what the object path answers in Node", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker();
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
  }, 120_000);
  afterAll(async () => { await w.dispose(); });

  it("the bench's 256 applicants with an id and pass-through values, with reasons and with explain=false: the same bytes, JSON's content type and length", async () => {
    const a = readArtifact(fixtures().artifactDirs[0]);
    const scorer = createScorer(a.manifest, denseFromFiles(a.files.get(MODEL_FILE)!, a.files.get(WEIGHTS_FILE)!)!, impactKernelModule());
    const rows = fixtures().parity.slice(0, 256).map((c) => c.instance as Row);
    const echoes = rows.map((_, i) => (i % 3 === 0 ? undefined : i % 3 === 1 ? `applicant-${i} é "q"` : i + 0.5));
    const instances = rows.map((r, i) => (echoes[i] === undefined ? r : { ...r, _key: echoes[i] }));
    const head = { id: "req-ü-1", model: { name: a.name, version: a.version } };
    for (const [path, topK] of [["/predict", 4], ["/predict?explain=false", 0]] as const) {
      // On the wire (fetch hides Content-Length): what c.json() sent before, a JSON type and the body's byte length.
      const res = await rawPost(new URL(path, w.url), JSON.stringify({ instances, id: head.id }));
      const body = res.body;
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toBe("application/json");
      expect(res.headers["content-length"]).toBe(String(body.length));
      const expected = objectPath(scorer, head, { rows, scored: scoreWithImpacts(scorer, rows, topK > 0), topK, passThroughKey: "_key", echoes });
      expect(new TextDecoder().decode(body)).toBe(expected);
    }
  });
});
