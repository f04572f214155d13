/**
 * `npx tsx bench/engine-agreement.ts [epochs=100] [patience=0]`: the simd and
 * tfjs engines side by side on the same splits, seeds 1–5, on the bundled
 * credit data and the german-like sample (test/helpers/german-like.ts): test
 * AUC, epochs run, best epoch and fit seconds of each. The README's agreement
 * table comes from it; test/engine-agreement.test.ts checks shortened runs.
 */
import { prepareData } from "../train/data/prepare.ts";
import { rocAuc } from "../train/evaluate/metrics.ts";
import { useBackend } from "../train/fit/backend.ts";
import { predictProba, trainModel } from "../train/fit/loop.ts";
import { defaultTrainOptions } from "../train/fit/options.ts";
import { germanLikeCsv } from "../test/helpers/german-like.ts";
import { quickJob } from "../test/helpers/train-fixture.ts";

await useBackend("wasm");
const epochs = Number(process.argv[2] ?? 100);
const patience = Number(process.argv[3] ?? 0);
const german = germanLikeCsv();
for (const which of ["credit", "german-like"] as const) {
  for (const seed of [1, 2, 3, 4, 5]) {
    const o = which === "credit" ? quickJob({ seed }) : quickJob({ seed, data: german, spec: undefined, testRows: undefined, categorical: ["Time"] });
    const d = (await prepareData(o, { log: () => {} })).data!;
    const cells: string[] = [];
    for (const engine of ["simd", "tfjs"] as const) {
      const t0 = performance.now();
      const t = await trainModel(d.train, d.validation, { ...defaultTrainOptions, epochs, patience, seed, engine });
      const seconds = (performance.now() - t0) / 1000;
      const auc = rocAuc(d.test.y, predictProba(t.model, d.test));
      cells.push(`${engine} AUC ${auc.toFixed(4)}, ${t.history.length} epochs (best ${t.bestEpoch}), ${seconds.toFixed(2)} s`);
      t.model.dispose();
    }
    process.stdout.write(`${which} seed ${seed} (${d.train.n} training rows): ${cells.join(" | ")}\n`);
    d.dispose();
  }
}
