/**
 * Section 6, scale: generated CSVs (bench/gen-csv.ts) of 100k, 1M and 3M rows
 * (quick: 100k and 200k; 3M is above the in-memory limit, so its encoded
 * training rows are read from a spill file), each trained for one epoch in a child process
 * (preprocessing statistics + one epoch + evaluation), with peak RSS, then
 * judged by `npm run monitor --target Status` (stream, score every row on
 * wasm, drift, CBPE, labelled metrics) against a version published to a
 * throwaway local R2 store. Floor for both: `--dry-run` on the same file
 * (start-up + one read/profile pass).
 */
import { join } from "node:path";
import { publishTo } from "../train/job.ts";
import { startLocalR2 } from "../train/store/local-r2.ts";
import type { Context } from "./context.ts";
import { generateCsv } from "./gen-csv.ts";
import { monitorRun, type MonitorRun } from "./monitor-run.ts";
import { ratio } from "./stats.ts";
import { fmt, table, times } from "./table.ts";
import { trainRun, type TrainRun } from "./train-run.ts";

export interface ScaleRow {
  rows: number;
  csvBytes: number;
  generateS: number;
  floor: TrainRun;
  run: TrainRun;
  wallVsFloor: number;
  rssVsFloor: number;
  monitor?: MonitorRun;
  monitorVsFloor?: number;
}

export interface ScaleResult {
  rows: ScaleRow[];
  /** Largest over smallest file: how rows and peak RSS grew. */
  rowsGrowth: number;
  rssGrowth: number;
  /** The same for the monitor's peak RSS. */
  monitorRssGrowth?: number;
}

export async function scale(ctx: Context): Promise<ScaleResult> {
  const sizes = ctx.quick ? [100_000, 200_000] : [100_000, 1_000_000, 3_000_000];
  const dir = ctx.tmp("scale");
  // A version to monitor, in a store of its own (never the checkout's .wrangler state).
  const r2 = await startLocalR2("edgescore-bench", ctx.tmp("scale-r2"));
  ctx.onCleanup(() => r2.dispose());
  await publishTo(r2.target, await ctx.artifact());
  const out: ScaleRow[] = [];
  for (const rows of sizes) {
    const csv = join(dir, `credit-${rows}.csv`);
    const t0 = performance.now();
    const { bytes } = generateCsv(csv, rows);
    const generateS = (performance.now() - t0) / 1000;
    ctx.log(`  ${rows} rows: generated ${fmt(bytes / 2 ** 20, 1)} MiB in ${fmt(generateS, 1)} s`);
    const floor = await trainRun(["--data", csv, "--dry-run"], join(dir, "out"), 600_000);
    const run = await trainRun(["--data", csv, "--epochs", "1", "--patience", "0", "--test-share", "0.2"], join(dir, "out"), 3_600_000);
    ctx.log(`  ${rows} rows: dry run ${fmt(floor.wallS, 1)} s, 1 epoch ${fmt(run.wallS, 1)} s wall, ${fmt(run.maxRssMiB, 0)} MiB peak`);
    const monitor = await monitorRun(["--data", csv, "--model", "credit-risk", "--target", "Status", "--backend", "wasm"], r2.target, 3_600_000);
    ctx.log(`  ${rows} rows: monitor ${fmt(monitor.wallS, 1)} s wall, ${fmt(monitor.maxRssMiB, 0)} MiB peak, ${monitor.status}`);
    out.push({
      rows, csvBytes: bytes, generateS, floor, run, wallVsFloor: ratio(run.wallS, floor.wallS), rssVsFloor: ratio(run.maxRssMiB, floor.maxRssMiB),
      monitor, monitorVsFloor: ratio(monitor.wallS, floor.wallS),
    });
  }
  const first = out[0] as ScaleRow;
  const last = out.at(-1) as ScaleRow;
  return {
    rows: out, rowsGrowth: last.rows / first.rows, rssGrowth: ratio(last.run.maxRssMiB, first.run.maxRssMiB),
    ...(first.monitor && last.monitor ? { monitorRssGrowth: ratio(last.monitor.maxRssMiB, first.monitor.maxRssMiB) } : {}),
  };
}

export function scaleTable(r: ScaleResult): string {
  const train = table(
    `6. Scale: generated CSVs, 1 epoch (statistics + epoch + evaluation), child process each (floor: --dry-run on the same file); rows ×${fmt(r.rowsGrowth, 0)} → peak RSS ×${fmt(r.rssGrowth, 2)}`,
    ["rows", "CSV MiB", "floor s", "floor RSS MiB", "wall s", "fit s", "test AUC", "peak RSS MiB", "wall ÷ floor", "RSS ÷ floor"],
    r.rows.map((x) => [x.rows, fmt(x.csvBytes / 2 ** 20, 1), fmt(x.floor.wallS, 2), fmt(x.floor.maxRssMiB, 0), fmt(x.run.wallS, 2), fmt(x.run.fitS, 2), fmt(x.run.auc, 4), fmt(x.run.maxRssMiB, 0), times(x.wallVsFloor), times(x.rssVsFloor)]),
  );
  const withMonitor = r.rows.filter((x) => x.monitor);
  if (!withMonitor.length) return train;
  const monitor = table(
    `   Monitor on the same files: npm run monitor --target Status --backend wasm (every row scored; drift, CBPE, labelled metrics); rows ×${fmt(r.rowsGrowth, 0)} → peak RSS ×${fmt(r.monitorRssGrowth, 2)}`,
    ["rows", "wall s", "run s", "µs/row", "peak RSS MiB", "status", "wall ÷ floor", "RSS ÷ floor"],
    withMonitor.map((x) => {
      const m = x.monitor as MonitorRun;
      return [x.rows, fmt(m.wallS, 2), fmt(m.runS, 2), fmt((m.runS * 1e6) / m.rows, 1), fmt(m.maxRssMiB, 0), m.status, times(x.monitorVsFloor), times(ratio(m.maxRssMiB, x.floor.maxRssMiB))];
    }),
  );
  return `${train}\n${monitor}`;
}
