/**
 * The SIMD impact kernel (shared/kernels/impacts.wat → impacts.wasm): the
 * committed binary is exactly what its source compiles to; its impacts equal
 * the JavaScript Dense shortcut's and one tfjs variant row per feature's on
 * the test applicants; a feature at its baseline gives exactly no reason;
 * batches larger than its first memory page, and architectures it does not
 * cover (which keep the JavaScript shortcut); and the Worker in workerd loads
 * the bundled kernel and answers with the same reasons as Node.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL_FILE, WEIGHTS_FILE } from "../shared/artifact.ts";
import { denseFromFiles } from "../shared/dense-files.ts";
import { impactKernel } from "../shared/impact-kernel.ts";
import { networkFromFiles } from "../shared/network.ts";
import { answerBytes } from "../shared/answer-json.ts";
import { predict, scoreEncoded, scoreWithImpacts } from "../shared/predict.ts";
import { transformInto, type Row } from "../shared/preprocess.ts";
import { createScorer, type Scorer } from "../shared/scorer.ts";
import { useBackend } from "../train/fit/backend.ts";
import { compileWat } from "../train/kernels/build.ts";
import { impactKernelModule } from "../train/kernels/load.ts";
import { publishTo } from "../train/job.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

function maxDiff(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe("the SIMD impact kernel", () => {
  let scorer: Scorer;
  let rows: Row[];
  beforeAll(async () => {
    await useBackend("cpu");
    const a = readArtifact(fixtures().artifactDirs[0]);
    scorer = createScorer(a.manifest, await networkFromFiles(a.files.get(MODEL_FILE)!, a.files.get(WEIGHTS_FILE)!), impactKernelModule());
    rows = fixtures().parity.map((c) => c.instance);
  });

  it("is committed exactly as its source compiles (npm run build:kernels)", async () => {
    expect(Buffer.from(await compileWat("shared/kernels/impacts.wat")).equals(readFileSync("shared/kernels/impacts.wasm"))).toBe(true);
  });

  it("runs for the reference network and gives the JavaScript shortcut's and tfjs's impacts on all test applicants (|diff| < 1e-5)", () => {
    expect(scorer.impactKernel).toBeDefined();
    const kernel = scoreWithImpacts(scorer, rows, true);
    const shortcut = scoreWithImpacts({ ...scorer, impactKernel: undefined }, rows, true);
    const variants = scoreWithImpacts({ ...scorer, impactKernel: undefined, dense: undefined }, rows, true);
    expect(maxDiff(kernel.impacts!, shortcut.impacts!)).toBeLessThan(1e-5);
    expect(maxDiff(kernel.impacts!, variants.impacts!)).toBeLessThan(1e-5);
    expect(kernel.impacts!.filter((v) => Math.abs(v) > 1e-3).length).toBeGreaterThan(rows.length);
    expect(Array.from(kernel.p)).toEqual(Array.from(shortcut.p));
  });

  it("runs the forward pass: tfjs's probabilities within 1e-6 on all test applicants, bitwise the same with or without reasons and alone or in a batch", async () => {
    expect(scorer.engine).toBe("simd");
    const tfjs = createScorer(scorer.manifest, scorer.model!); // no kernel module: tfjs runs it
    expect(tfjs.engine).toBe("tfjs");
    const served = scoreWithImpacts(scorer, rows, false).p;
    const reference = scoreWithImpacts(tfjs, rows, false).p;
    let worst = 0;
    served.forEach((p, i) => { worst = Math.max(worst, Math.abs(p - reference[i]!)); });
    expect(worst).toBeLessThan(1e-6);
    expect(Array.from(scoreWithImpacts(scorer, rows, true).p)).toEqual(Array.from(served));
    for (const i of [0, 1, 450, 890]) expect(scoreWithImpacts(scorer, [rows[i]!], false).p[0]).toBe(served[i]);
  });

  it("scores the same, bit for bit, when built from the stored files without tfjs (as the edge builds it)", () => {
    const a = readArtifact(fixtures().artifactDirs[0]);
    const fromFiles = createScorer(a.manifest, denseFromFiles(a.files.get(MODEL_FILE)!, a.files.get(WEIGHTS_FILE)!)!, impactKernelModule());
    expect([fromFiles.engine, fromFiles.model]).toEqual(["simd", undefined]);
    const ours = scoreWithImpacts(fromFiles, rows, true);
    const theirs = scoreWithImpacts(scorer, rows, true);
    expect(Array.from(ours.p)).toEqual(Array.from(theirs.p));
    expect(Array.from(ours.impacts!)).toEqual(Array.from(theirs.impacts!));
    // Dense layers alone need the kernel, and an architecture it runs.
    expect(() => createScorer(a.manifest, fromFiles.dense!)).toThrow(/only on the SIMD kernel/);
    expect(() => createScorer(a.manifest, [{ ...fromFiles.dense![0]!, kind: "tanh" }, fromFiles.dense![1]!], impactKernelModule())).toThrow(/only on the SIMD kernel/);
  });

  it("scores rows encoded straight into its memory as rows passed in, and refuses a view that memory growth detached", () => {
    const kernel = scorer.impactKernel!;
    const width = scorer.manifest.preprocess.width;
    const x = new Float32Array(rows.length * width);
    rows.forEach((r, i) => transformInto(scorer.manifest.preprocess, r, x, i * width));
    const copied = [Array.from(kernel.outputs(x, rows.length)), Array.from(kernel.sums(x, rows.length))];
    const view = kernel.input(rows.length);
    view.set(x);
    expect(Array.from(kernel.outputs(view, rows.length))).toEqual(copied[0]);
    view.set(x); // the view holds the input until the next call
    expect(Array.from(kernel.sums(view, rows.length))).toEqual(copied[1]);
    const small = kernel.input(2);
    kernel.input(20_000); // grows the memory: the earlier view is detached
    expect(small.length).toBe(0);
    expect(() => kernel.outputs(small, 2)).toThrow(/0 values for 2 rows/);
  });

  it("for the edge's reasons only: a classifier's rises bit for bit as in full, every fall left at 0, the same answers and bytes", () => {
    const width = scorer.manifest.preprocess.width;
    const n = rows.length;
    const encode = () => {
      const x = new Float32Array(n * width);
      const adjusted = new Uint8Array(n);
      rows.forEach((r, i) => { adjusted[i] = transformInto(scorer.manifest.preprocess, r, x, i * width) ? 1 : 0; });
      return { x, adjusted };
    };
    const e = encode();
    const full = scoreEncoded(scorer, e.x, n, e.adjusted, true);
    const f = encode();
    const rises = scoreEncoded(scorer, f.x, n, f.adjusted, true, true);
    // A rise is a feature whose baseline sum lies below the row's own (the sigmoid increases): computed as in full.
    const nf = scorer.manifest.spec.features.length;
    const sums = scorer.impactKernel!.sums(encode().x, n);
    let falls = 0;
    full.impacts!.forEach((v, i) => {
      const [r, j] = [Math.floor(i / nf), i % nf];
      const raises = (sums[r * (nf + 1) + 1 + j] as number) < (sums[r * (nf + 1)] as number);
      expect(rises.impacts![i]).toBe(raises ? v : 0);
      if (!raises && v < 0) falls++;
      if (v > 1e-6) expect(raises).toBe(true);
    });
    expect(falls).toBeGreaterThan(n); // the test applicants have falls to skip
    expect(Array.from(rises.p)).toEqual(Array.from(full.p));
    const head = { model: { name: "m", version: "v" } };
    expect(Buffer.from(answerBytes(scorer, head, { rows, scored: rises, topK: 4 })).equals(Buffer.from(answerBytes(scorer, head, { rows, scored: full, topK: 4 })))).toBe(true);
    // A regression shows falls too: it never takes the shortcut (regression.test.ts serves one through scoreEncoded).
  });

  it("gives exactly no impact for a feature at its baseline value", () => {
    const typical: Record<string, number | string> = {};
    for (const s of scorer.manifest.preprocess.steps) typical[s.name] = s.kind === "numeric" ? s.fill : s.mode;
    const { impacts } = scoreWithImpacts(scorer, [typical], true);
    expect(Array.from(impacts!)).toEqual(new Array(scorer.segments.length).fill(0));
    expect(predict(scorer, [typical], 13)[0]!.reasons).toEqual([]);
    const one = rows[0]!;
    const own = scoreWithImpacts(scorer, [one], true).impacts!;
    scorer.manifest.spec.features.forEach((f, j) => { if (one[f.name] === typical[f.name]) expect(own[j]).toBe(0); });
  });

  it("grows its memory for a batch larger than its first page and scores it as row by row", () => {
    const many = Array.from({ length: 3000 }, (_, i) => rows[i % rows.length]!);
    const all = scoreWithImpacts(scorer, many, true).impacts!;
    const k = scorer.segments.length;
    for (const i of [0, 1, 890, 891, 2999]) {
      const alone = scoreWithImpacts(scorer, [many[i]!], true).impacts!;
      expect(maxDiff(all.subarray(i * k, (i + 1) * k), alone)).toBeLessThan(1e-7);
    }
  });

  it("declines any other architecture, which keeps the JavaScript shortcut", () => {
    const { dense, baseline, segments } = scorer;
    const [hidden, output] = dense!;
    expect(impactKernel(impactKernelModule(), [{ ...hidden!, kind: "tanh" }, output!], baseline, segments)).toBeUndefined();
    expect(impactKernel(impactKernelModule(), [hidden!, { ...output!, inputs: 64, units: 64 }, output!], baseline, segments)).toBeUndefined();
    expect(impactKernel(impactKernelModule(), [{ ...output!, inputs: hidden!.inputs }], baseline, segments)).toBeUndefined();
  });

  describe("in the Worker (workerd)", () => {
    let w: TestWorker;
    beforeAll(async () => {
      w = await startWorker();
      await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
    }, 120_000);
    afterAll(async () => { await w.dispose(); });

    it("loads the bundled kernels (impacts, and the reasons' text) and answers with Node's reasons", async () => {
      const instances = fixtures().parity.slice(0, 64).map((c) => c.instance);
      const res = await w.fetch("/predict", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ instances }) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { predictions: { probability: number; reasons: { feature: string; impact: number }[] }[] };
      expect(w.logs.some((l) => l.includes('"event":"model_loaded"') && l.includes('"engine":"simd"') && l.includes('"reasons":"simd"') && l.includes('"reasonText":"kernel"'))).toBe(true);
      const node = predict(scorer, instances, 4);
      body.predictions.forEach((p, i) => expect(p.reasons).toEqual(node[i]!.reasons));
      // The same kernel on both sides: the probabilities too are Node's, to the bit.
      body.predictions.forEach((p, i) => expect(p.probability).toBe((node[i] as { probability: number }).probability));
    });
  });
});
