/**
 * Every model option family, trained by the real job and served by the built
 * Worker in workerd: the edge's probabilities equal the training side's on
 * all 891 test applicants (|diff| < 1e-5; quantized models against the
 * dequantized weights, which is what the training side scores with), and the
 * edge's reason codes equal those computed in Node from the same files. Both
 * tfjs backends of the Worker: wasm, and the CPU fallback with its trimmed
 * kernel set. In Node, the Dense shortcut for reasons equals one tfjs variant
 * row per feature for every activation, logistic regression included.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL_FILE, WEIGHTS_FILE } from "../shared/artifact.ts";
import { networkFromFiles } from "../shared/network.ts";
import { predict, scoreWithImpacts, type Scores } from "../shared/predict.ts";
import { createScorer, type Scorer } from "../shared/scorer.ts";
import { runJob, publishTo, type JobOptions } from "../train/job.ts";
import type { Artifact } from "../train/store/package.ts";
import { fixtures } from "./helpers/fixtures.ts";
import { quickJob } from "./helpers/train-fixture.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";
import { useBackend } from "../train/fit/backend.ts";
import { impactKernelModule } from "../train/kernels/load.ts";

const base = quickJob().train;
const FAMILIES: [string, Partial<JobOptions>][] = [
  ["logistic", { train: { ...base, hidden: [] } }],
  ["tanh", { train: { ...base, hidden: [16], activation: "tanh" } }],
  ["sigmoid-2-layers", { train: { ...base, hidden: [16, 8], activation: "sigmoid" } }],
  ["elu", { train: { ...base, hidden: [16], activation: "elu" } }],
  ["sgd-momentum", { train: { ...base, optimizer: "sgd", momentum: 0.9, learningRate: 0.01 } }],
  ["rmsprop", { train: { ...base, optimizer: "rmsprop", learningRate: 0.003 } }],
  ["l2-dropout", { train: { ...base, l2: 1e-3, dropout: 0.25 } }],
  ["balanced", { train: { ...base, classWeight: "balanced" } }],
  ["pruned", { prune: { sparsity: 0.5, fineTuneEpochs: 1 } }],
  ["float16", { quantize: "float16" }],
  ["uint8", { train: { ...base, activation: "tanh" }, quantize: "uint8" }],
];

interface Trained { name: string; artifact: Artifact; expected: Scores; scorer: Scorer }

interface PredictBody { model: { version: string }; predictions: { probability: number; reasons?: { feature: string; impact: number }[] }[] }

describe("every model option family at the edge", () => {
  const models: Trained[] = [];
  beforeAll(async () => {
    for (const [family, overrides] of FAMILIES) {
      const name = `opt-${family}`;
      const r = await runJob(quickJob({ ...overrides, modelName: name }), { log: () => {} });
      const artifact = r.artifact!;
      const model = await networkFromFiles(artifact.files.get(MODEL_FILE)!, artifact.files.get(WEIGHTS_FILE)!);
      models.push({ name, artifact, expected: r.testScores!, scorer: createScorer(artifact.manifest, model, impactKernelModule()) });
    }
  }, 180_000);

  it("stores only Dense layers (dropout stays out of the topology), the options in the card, and the quantization in the manifest", () => {
    for (const m of models) {
      const json = JSON.parse(new TextDecoder().decode(m.artifact.files.get(MODEL_FILE))) as { modelTopology: { config: { layers: { class_name: string }[] } }; weightsManifest: { weights: { quantization?: { dtype: string } }[] }[] };
      expect(json.modelTopology.config.layers.map((l) => l.class_name).filter((c) => c !== "InputLayer").every((c) => c === "Dense")).toBe(true);
      const card = m.artifact.manifest.card as { model: { layers: string[] }; training: { hyperparameters: Record<string, unknown>; compression?: Record<string, unknown> } };
      const dtypes = json.weightsManifest[0]!.weights.map((w) => w.quantization?.dtype ?? "float32");
      if (m.name === "opt-logistic") expect(card.model.layers).toEqual(["Dense(1, sigmoid)"]);
      if (m.name === "opt-l2-dropout") expect(card.training.hyperparameters).toMatchObject({ l2: 1e-3, dropout: 0.25 });
      if (m.name === "opt-pruned") expect(card.model.layers).toEqual(["Dense(32, relu)", "Dense(1, sigmoid)"]);
      if (m.name === "opt-uint8") {
        expect(new Set(dtypes)).toEqual(new Set(["uint8"]));
        expect(card.training.compression).toMatchObject({ quantization: { dtype: "uint8" } });
      }
      if (m.name === "opt-float16") expect(new Set(dtypes)).toEqual(new Set(["float16"]));
    }
    const weights = (n: string) => models.find((m) => m.name === n)!.artifact.files.get(WEIGHTS_FILE)!.byteLength;
    expect(weights("opt-float16")).toBe(weights("opt-rmsprop") / 2);
    expect(weights("opt-uint8")).toBe(weights("opt-rmsprop") / 4);
  });

  it("computes reasons with the Dense shortcut (and the SIMD kernel where it applies) exactly as one tfjs variant row per feature, for every activation", async () => {
    await useBackend("cpu");
    const rows = fixtures().parity.slice(0, 100).map((c) => c.instance);
    let kernels = 0;
    for (const m of models) {
      expect(m.scorer.dense, m.name).toBeDefined();
      const variants = scoreWithImpacts({ ...m.scorer, dense: undefined, impactKernel: undefined }, rows, true);
      for (const scorer of [m.scorer, { ...m.scorer, impactKernel: undefined }]) {
        const shortcut = scoreWithImpacts(scorer, rows, true);
        let worst = 0;
        shortcut.impacts!.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - variants.impacts![i]!)); });
        expect(worst, `${m.name}${scorer.impactKernel ? " (kernel)" : ""}`).toBeLessThan(1e-5);
      }
      if (m.scorer.impactKernel) kernels++;
    }
    // The relu families (every one without another activation or a second hidden layer) run on the kernel.
    expect(kernels).toBe(models.filter((m) => (m.artifact.manifest.card as { model: { layers: string[] } }).model.layers.length === 2 && (m.artifact.manifest.card as { model: { layers: string[] } }).model.layers[0]!.includes("relu")).length);
    expect(kernels).toBeGreaterThanOrEqual(6);
  });

  // Default: the relu families on the SIMD kernel, the others on tfjs-wasm. SIMD_KERNEL=off: every family on tfjs's CPU fallback.
  for (const backend of ["wasm", "cpu"] as const) {
    describe(`on the ${backend} backend${backend === "cpu" ? " with SIMD_KERNEL=off" : ""}`, () => {
      let w: TestWorker;
      beforeAll(async () => {
        w = await startWorker({ TFJS_BACKEND: backend, ...(backend === "cpu" ? { SIMD_KERNEL: "off" } : {}) });
        expect(((await (await w.fetch("/healthz")).json()) as { backend: string }).backend).toBe(backend);
        for (const m of models) await publishTo(w.s3, m.artifact);
      }, 120_000);
      afterAll(async () => { await w.dispose(); });

      it("serves each family with the training side's probabilities on all 891 test applicants (|diff| < 1e-5)", async () => {
        const cases = fixtures().parity;
        for (const m of models) {
          const res = await w.post(`/models/${m.name}/predict?explain=false`, { instances: cases.map((c) => c.instance) });
          expect(res.status, m.name).toBe(200);
          const body = (await res.json()) as PredictBody;
          expect(body.model.version).toBe(m.artifact.version);
          let worst = 0;
          body.predictions.forEach((p, i) => { worst = Math.max(worst, Math.abs(p.probability - m.expected[i]!)); });
          expect(worst, m.name).toBeLessThan(1e-5);
        }
      });

      it("gives each family's reason codes as Node computes them from the same files", async () => {
        await useBackend("cpu");
        const rows = fixtures().parity.slice(0, 50).map((c) => c.instance);
        for (const m of models) {
          const body = (await (await w.post(`/models/${m.name}/predict`, { instances: rows })).json()) as PredictBody;
          const node = predict(m.scorer, rows, 4);
          body.predictions.forEach((p, i) => {
            const want = new Map(node[i]!.reasons!.map((r) => [r.feature, r.impact]));
            expect(p.reasons!.length, m.name).toBe(want.size);
            for (const r of p.reasons!) expect(Math.abs(r.impact - (want.get(r.feature) ?? NaN)), `${m.name} ${r.feature}`).toBeLessThan(1e-5);
          });
        }
      });
    });
  }
});
