/**
 * Section 7, smaller models: the bundled data trained with each compression
 * option (and logistic regression) in its own child process, same seed, so
 * every variant starts from the same network as the default (the floor).
 * Measured: test AUC and its change against the floor, weights.bin bytes,
 * and the edge's forward pass inside workerd (wasm; tfjs per row for one
 * applicant and for 256 rows, median over rounds that visit every variant),
 * beside the floor's in the same run.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MANIFEST_FILE, WEIGHTS_FILE, type Manifest } from "../shared/artifact.ts";
import type { Context } from "./context.ts";
import { encodedRows, timeForwardPass } from "./model-time.ts";
import { median, ratio } from "./stats.ts";
import { fmt, table, times } from "./table.ts";
import { trainRun } from "./train-run.ts";
import { startWorker } from "./worker.ts";

const VARIANTS: [string, string[]][] = [
  ["default 64 relu (floor)", []],
  ["--hidden 0 (logistic)", ["--hidden", "0"]],
  ["--prune 0.5", ["--prune", "0.5"]],
  ["--quantize float16", ["--quantize", "float16"]],
  ["--quantize uint8", ["--quantize", "uint8"]],
  ["--prune 0.5 --quantize uint8", ["--prune", "0.5", "--quantize", "uint8"]],
];

export interface OptionsRow {
  variant: string;
  args: string[];
  auc: number;
  aucChange: number;
  layers: string[];
  weightsBytes: number;
  sizeVsFloor: number;
  /** tfjs forward pass inside workerd, wasm: ms per call for 1 row and for 256 rows. */
  msOneRow: number;
  ms256Rows: number;
  /** The same weights as plain Float32Array loops (the physical floor), 256 rows. */
  plain256Rows: number;
  timeVsFloor256: number;
  fitS: number;
}

export interface OptionsResult { epochs: number; rounds: number; rows: OptionsRow[] }

function readVersion(dir: string): { manifest: Manifest; files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  for (const f of readdirSync(dir)) files.set(f, new Uint8Array(readFileSync(join(dir, f))));
  return { manifest: JSON.parse(new TextDecoder().decode(files.get(MANIFEST_FILE))) as Manifest, files };
}

export async function options(ctx: Context): Promise<OptionsResult> {
  const epochs = ctx.quick ? 30 : 100;
  const rounds = ctx.quick ? 2 : 3;
  const budgetMs = ctx.quick ? 300 : 700;
  const out = ctx.tmp("options");
  const trained = [];
  for (const [variant, args] of VARIANTS) {
    const run = await trainRun([...args, "--epochs", String(epochs)], out, 600_000);
    trained.push({ variant, args, run, version: readVersion(run.dir as string) });
    ctx.log(`  ${variant}: test AUC ${fmt(run.auc, 4)}`);
  }
  const build = await ctx.modelTimeBuild();
  const w = await startWorker({ dir: build.dir, entry: build.entry });
  ctx.onCleanup(() => w.dispose());
  try {
    // Rounds over all variants, medians per variant: a burst of load from elsewhere hits one round, not one variant.
    const times = trained.map(() => ({ one: [] as number[], many: [] as number[], plain: [] as number[] }));
    for (let round = 0; round <= rounds; round++) {
      for (const [i, t] of trained.entries()) {
        const one = await timeForwardPass(w.url, t.version, "wasm", encodedRows(t.version, 1), 1, budgetMs);
        const many = await timeForwardPass(w.url, t.version, "wasm", encodedRows(t.version, 256), 256, budgetMs);
        // Round 0 warms the isolate up (wasm backend start, first kernels): not counted.
        if (round > 0) { times[i]!.one.push(one.tfjs.msPerPrediction); times[i]!.many.push(many.tfjs.msPerPrediction); times[i]!.plain.push(many.plain.msPerPrediction); }
      }
    }
    const rows: OptionsRow[] = [];
    for (const [i, { variant, args, run, version }] of trained.entries()) {
      const floor = rows[0];
      const weightsBytes = version.files.get(WEIGHTS_FILE)?.byteLength ?? NaN;
      const auc = run.auc ?? NaN;
      const [msOneRow, ms256Rows] = [median(times[i]!.one), median(times[i]!.many)];
      rows.push({
        variant, args, auc, aucChange: floor ? auc - floor.auc : 0, layers: (version.manifest.card as { model: { layers: string[] } }).model.layers,
        weightsBytes, sizeVsFloor: floor ? ratio(floor.weightsBytes, weightsBytes) : 1,
        msOneRow, ms256Rows, plain256Rows: median(times[i]!.plain), timeVsFloor256: floor ? ratio(ms256Rows, floor.ms256Rows) : 1, fitS: run.fitS ?? NaN,
      });
      ctx.log(`  ${variant}: weights.bin ${weightsBytes} B, 256 rows ${fmt(ms256Rows, 4)} ms (median of ${rounds})`);
    }
    return { epochs, rounds, rows };
  } finally {
    await w.dispose();
  }
}

export function optionsTable(r: OptionsResult): string {
  return table(
    `7. Smaller models: bundled data, up to ${r.epochs} epochs with early stopping, seed 42, one child process each; tfjs wasm forward pass inside workerd, median of ${r.rounds} rounds (floor: the default network of the same run)`,
    ["variant", "layers", "test AUC", "Δ AUC", "weights.bin B", "smaller ×", "µs/row (1 row)", "µs/row (256)", "256 rows ÷ floor", "plain loop µs/row (256)"],
    r.rows.map((x) => [x.variant, x.layers.join(" → "), fmt(x.auc, 4), `${x.aucChange >= 0 ? "+" : ""}${fmt(x.aucChange, 4)}`, x.weightsBytes, times(x.sizeVsFloor), fmt(x.msOneRow * 1000, 2), fmt((x.ms256Rows * 1000) / 256, 3), times(x.timeVsFloor256), fmt((x.plain256Rows * 1000) / 256, 3)]),
  );
}
