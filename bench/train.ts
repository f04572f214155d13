/**
 * Section 5, training: the seed's recipe (bundled data, 64-relu net, adam,
 * batch 32, no early stopping, `--validation 0`: the 3,563 training rows;
 * 100 epochs, quick 20) with the simd engine and with tfjs (wasm and cpu
 * backends), each a separate child process, and scikit-learn's
 * MLPClassifier on the same rows (bench/sklearn.ts). Ratios are fit time
 * over fit time within this run. Floor: a `--dry-run` of the same command
 * (read and profile the data, infer the spec, stop).
 */
import { availableParallelism, loadavg } from "node:os";
import type { Context } from "./context.ts";
import { sklearnFit, type SklearnFit } from "./sklearn.ts";
import { ratio } from "./stats.ts";
import { fmt, table, times } from "./table.ts";
import { trainRun, type TrainRun } from "./train-run.ts";

type Engine = "simd" | "tfjs";

export interface TrainResult {
  epochs: number;
  floor: TrainRun;
  runs: (TrainRun & { engine: Engine; backendAsked: "wasm" | "cpu"; secondsPerEpoch: number; wallVsFloor: number })[];
  sklearn: SklearnFit;
  /** simd fit ÷ tfjs (wasm) fit, and ÷ scikit-learn's fit. */
  simdVsTfjs: number;
  simdVsSklearn: number;
  /** 1-minute load average before and after the section (a shared machine). */
  load: [number, number];
  cores: number;
}

export async function train(ctx: Context): Promise<TrainResult> {
  const epochs = ctx.quick ? 20 : 100;
  const out = ctx.tmp("train");
  const loadBefore = loadavg()[0] ?? NaN;
  const floor = await trainRun(["--dry-run"], out, 120_000);
  ctx.log(`  dry run: ${fmt(floor.wallS, 2)} s wall`);
  const runs: TrainResult["runs"] = [];
  const plan: [Engine, "wasm" | "cpu"][] = [["simd", "wasm"], ["tfjs", "wasm"], ...(ctx.quick ? [] : [["tfjs", "cpu"] as [Engine, "cpu"]])];
  for (const [engine, backend] of plan) {
    const r = await trainRun(["--validation", "0", "--patience", "0", "--epochs", String(epochs), "--batch-size", "32", "--engine", engine, "--backend", backend], out, 600_000);
    if (r.engine !== engine) throw new Error(`asked for the ${engine} engine, trained with ${r.engine}`);
    if (r.backend !== backend) throw new Error(`asked for the ${backend} backend, ran on ${r.backend}`);
    if (r.epochs !== epochs) throw new Error(`asked for ${epochs} epochs, ran ${r.epochs}`);
    runs.push({ ...r, engine, backendAsked: backend, secondsPerEpoch: (r.fitS ?? NaN) / epochs, wallVsFloor: ratio(r.wallS, floor.wallS) });
    ctx.log(`  ${engine} (${backend}): fit ${fmt(r.fitS, 2)} s, wall ${fmt(r.wallS, 2)} s, AUC ${fmt(r.auc, 4)}`);
  }
  const sklearn = await sklearnFit(out, epochs);
  ctx.log(`  scikit-learn: fit ${fmt(sklearn.fitS, 2)} s (${sklearn.source})`);
  const fit = (e: Engine) => runs.find((r) => r.engine === e && r.backendAsked === "wasm")?.fitS ?? NaN;
  return {
    epochs, floor, runs, sklearn, simdVsTfjs: ratio(fit("simd"), fit("tfjs")), simdVsSklearn: ratio(fit("simd"), sklearn.fitS),
    load: [loadBefore, loadavg()[0] ?? NaN], cores: availableParallelism(),
  };
}

export function trainTable(r: TrainResult): string {
  const simd = r.runs.find((x) => x.engine === "simd")?.fitS ?? NaN;
  return table(
    `5. Training: bundled data, 3,563 rows (--validation 0), ${r.epochs} epochs, batch 32, patience 0, one child process each (floor: --dry-run = start-up + read + profile); load average ${fmt(r.load[0], 2)} → ${fmt(r.load[1], 2)} on ${r.cores} cores`,
    ["run", "wall s", "fit s", "s/epoch", "simd fit ÷ this fit", "report s", "test AUC", "peak RSS MiB", "wall ÷ floor"],
    [
      ["dry run (floor)", fmt(r.floor.wallS, 2), "–", "–", "–", "–", "–", fmt(r.floor.maxRssMiB, 0), "floor"],
      ...r.runs.map((x) => [`train --engine ${x.engine} --backend ${x.backendAsked}`, fmt(x.wallS, 2), fmt(x.fitS, 2), fmt(x.secondsPerEpoch, 4), times(ratio(simd, x.fitS ?? NaN)), fmt(x.reportS, 2), fmt(x.auc, 4), fmt(x.maxRssMiB, 0), times(x.wallVsFloor)]),
      [`scikit-learn MLPClassifier (${r.sklearn.source})`, "–", fmt(r.sklearn.fitS, 2), fmt(r.sklearn.fitS / r.epochs, 4), times(r.simdVsSklearn), "–", "–", "–", "–"],
    ],
  ) + `\n   scikit-learn: ${r.sklearn.note}`;
}
