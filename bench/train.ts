/**
 * Section 5, training: the reference run (bundled data, 64-relu net, batch 32,
 * no early stopping; 100 epochs, quick 20) on the WASM and CPU backends, each
 * a separate child process. Floor: a `--dry-run` of the same command (read and
 * profile the data, infer the spec, stop), i.e. start-up plus one data pass.
 */
import type { Context } from "./context.ts";
import { ratio } from "./stats.ts";
import { fmt, table, times } from "./table.ts";
import { trainRun, type TrainRun } from "./train-run.ts";

export interface TrainResult {
  epochs: number;
  floor: TrainRun;
  runs: (TrainRun & { backendAsked: "wasm" | "cpu"; secondsPerEpoch: number; wallVsFloor: number })[];
}

export async function train(ctx: Context): Promise<TrainResult> {
  const epochs = ctx.quick ? 20 : 100;
  const out = ctx.tmp("train");
  const floor = await trainRun(["--dry-run"], out, 120_000);
  ctx.log(`  dry run: ${fmt(floor.wallS, 2)} s wall`);
  const runs: TrainResult["runs"] = [];
  for (const backend of ["wasm", "cpu"] as const) {
    const r = await trainRun(["--patience", "0", "--epochs", String(epochs), "--batch-size", "32", "--backend", backend], out, 600_000);
    if (r.backend !== backend) throw new Error(`asked for the ${backend} backend, trained on ${r.backend}`);
    if (r.epochs !== epochs) throw new Error(`asked for ${epochs} epochs, ran ${r.epochs}`);
    runs.push({ ...r, backendAsked: backend, secondsPerEpoch: (r.fitS ?? NaN) / epochs, wallVsFloor: ratio(r.wallS, floor.wallS) });
    ctx.log(`  ${backend}: fit ${fmt(r.fitS, 2)} s, wall ${fmt(r.wallS, 2)} s, AUC ${fmt(r.auc, 4)}`);
  }
  return { epochs, floor, runs };
}

export function trainTable(r: TrainResult): string {
  return table(
    `5. Training: bundled data, ${r.epochs} epochs, batch 32, patience 0, one child process each (floor: --dry-run = start-up + read + profile)`,
    ["run", "wall s", "fit s", "s/epoch", "report s", "report KiB", "test AUC", "peak RSS MiB", "wall ÷ floor"],
    [
      ["dry run (floor)", fmt(r.floor.wallS, 2), "–", "–", "–", "–", "–", fmt(r.floor.maxRssMiB, 0), "floor"],
      ...r.runs.map((x) => [`train --backend ${x.backendAsked}`, fmt(x.wallS, 2), fmt(x.fitS, 2), fmt(x.secondsPerEpoch, 3), fmt(x.reportS, 2), fmt(x.reportKiB, 0), fmt(x.auc, 4), fmt(x.maxRssMiB, 0), times(x.wallVsFloor)]),
    ],
  );
}
