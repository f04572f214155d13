/**
 * The simd and tfjs engines train the same model: from the same seeded
 * network, on the same shuffled batches, across 5 seeds, their test AUCs are
 * within ±0.005 of each other on the bundled credit data and on a small
 * imbalanced "german-like" sample (test/helpers/german-like.ts), and early
 * stopping stops them at the same epoch (±1) with the same best epoch. The
 * runs are shortened to keep the suite quick (the 100-epoch comparison is in
 * the README's training section).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { prepareData } from "../train/data/prepare.ts";
import type { Dataset } from "../train/data/dataset.ts";
import { rocAuc } from "../train/evaluate/metrics.ts";
import { useBackend } from "../train/fit/backend.ts";
import { predictProba, trainModel, type Trained } from "../train/fit/loop.ts";
import { defaultTrainOptions, type TrainOptions } from "../train/fit/options.ts";
import { germanLikeCsv } from "./helpers/german-like.ts";
import { quickJob } from "./helpers/train-fixture.ts";

const SEEDS = [1, 2, 3, 4, 5];

async function data(seed: number, csv?: string): Promise<Dataset> {
  const o = csv ? quickJob({ seed, data: csv, spec: undefined, testRows: undefined, categorical: ["Time"] }) : quickJob({ seed });
  const p = await prepareData(o, { log: () => {} });
  return p.data!;
}

async function both(d: Dataset, o: TrainOptions): Promise<{ simd: Trained & { auc: number }; tfjs: Trained & { auc: number } }> {
  const run = async (engine: "simd" | "tfjs") => {
    const t = await trainModel(d.train, d.validation, { ...o, engine });
    const auc = rocAuc(d.test.y, predictProba(t.model, d.test));
    t.model.dispose();
    return { ...t, auc };
  };
  return { simd: await run("simd"), tfjs: await run("tfjs") };
}

describe("the simd engine against tfjs", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });

  it("credit_data, the seed's recipe (64 relu, adam, batch 32), 5 seeds: test AUCs within ±0.005, the same epochs", async () => {
    for (const seed of SEEDS) {
      const d = await data(seed);
      const r = await both(d, { ...defaultTrainOptions, epochs: 5, patience: 0, seed });
      expect(r.simd.engine).toBe("simd");
      expect(r.tfjs.engine).toBe("tfjs");
      expect(r.simd.auc).toBeGreaterThan(0.78);
      expect(Math.abs(r.simd.auc - r.tfjs.auc)).toBeLessThanOrEqual(0.005);
      expect(r.simd.history.length).toBe(5);
      // Per epoch, the same training loss and validation AUC (same batches, same arithmetic up to float32 rounding).
      r.simd.history.forEach((h, i) => {
        expect(Math.abs(h.loss - r.tfjs.history[i]!.loss)).toBeLessThan(1e-3);
        expect(Math.abs(h.valAuc! - r.tfjs.history[i]!.valAuc!)).toBeLessThan(0.005);
      });
    }
  });

  it("german-like sample (1,000 rows, 30 % bad, mostly categorical), early stopping, 5 seeds: the same stop (±1) and test AUCs within ±0.005", async () => {
    const csv = germanLikeCsv();
    let stoppedEarly = 0;
    for (const seed of SEEDS) {
      const d = await data(seed, csv);
      expect(d.train.n).toBe(700);
      // A learning rate that overfits 700 rows within a few dozen epochs, so patience ends the runs.
      const r = await both(d, { ...defaultTrainOptions, hidden: [32], learningRate: 0.01, epochs: 60, patience: 4, seed });
      expect(r.simd.stoppedEarly).toBe(r.tfjs.stoppedEarly);
      expect(Math.abs(r.simd.history.length - r.tfjs.history.length)).toBeLessThanOrEqual(1);
      expect(Math.abs(r.simd.bestEpoch - r.tfjs.bestEpoch)).toBeLessThanOrEqual(1);
      expect(Math.abs(r.simd.auc - r.tfjs.auc)).toBeLessThanOrEqual(0.005);
      if (r.simd.stoppedEarly) stoppedEarly++;
    }
    expect(stoppedEarly).toBeGreaterThanOrEqual(4);
  });
});
