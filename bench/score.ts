/**
 * Section 9, batch scoring: `npm run score` on generated CSVs of the bundled
 * credit schema (bench/gen-csv.ts; 200k and 1M rows, quick 100k and 200k)
 * with the served model from a throwaway local R2 store, without and with
 * reasons, one child process each (wall time, peak RSS, the command's own
 * rows/s). Floor: the same file read and written back by the same reader and
 * writer without validating or scoring (bench/score-floor.ts). Memory: V8
 * collects lazily, so an uncapped run's peak RSS follows the collector's
 * sawtooth, not what is retained; the largest file is scored once more with
 * the heap capped at {@link HEAP_CAP_MIB} MiB, which only a run whose live
 * memory does not grow with the rows survives.
 */
import { join } from "node:path";
import { publishTo } from "../train/job.ts";
import { startLocalR2 } from "../train/store/local-r2.ts";
import type { S3Target } from "../train/store/storage.ts";
import type { Context } from "./context.ts";
import { generateCsv } from "./gen-csv.ts";
import { runNodeMeasured, tail } from "./proc.ts";
import { ratio } from "./stats.ts";
import { fmt, table, times } from "./table.ts";

export interface ScoreRun {
  case: string;
  rows: number;
  wallS: number;
  /** The command's own seconds (load the version, stream, score, write) and rows per second over them. */
  runS: number;
  rowsPerS: number;
  maxRssMiB: number;
}

export interface ScoreResult {
  runs: ScoreRun[];
  /** On the largest file: scoring without reasons against the floor (own seconds). */
  vsFloor?: number;
  /** Peak RSS of the capped run on the largest file ÷ the uncapped run on the smallest file. */
  cappedRssVsSmallest?: number;
}

/** The V8 old-space cap of the flat-memory run (the process starts at about 150 MiB of heap: tfjs, arktype, the S3 SDK). */
export const HEAP_CAP_MIB = 256;
const CAPPED = `score, heap capped at ${HEAP_CAP_MIB} MiB`;

async function floorRun(csv: string, out: string, rows: number): Promise<ScoreRun> {
  const r = await runNodeMeasured("bench/score-floor.ts", [csv, out], { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`score floor exited ${r.code ?? r.signal}\n${tail(r.stderr)}`);
  const s = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "") as { records: number; seconds: number };
  return { case: "read + write (floor)", rows, wallS: r.wallMs / 1000, runS: s.seconds, rowsPerS: s.records / s.seconds, maxRssMiB: (r.maxRssKiB ?? NaN) / 1024 };
}

async function scoreRun(name: string, args: string[], store: S3Target, rows: number, nodeOptions?: string): Promise<ScoreRun> {
  const env = {
    ...process.env, S3_ENDPOINT: store.endpoint, S3_BUCKET: store.bucket, S3_FORCE_PATH_STYLE: "true",
    AWS_ACCESS_KEY_ID: store.accessKeyId, AWS_SECRET_ACCESS_KEY: store.secretAccessKey,
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
  };
  const full = [...args, "--model", "credit-risk", "--backend", "wasm", "--store", "s3", "--json", "--quiet"];
  const r = await runNodeMeasured("train/cli/score.ts", full, { timeoutMs: 1_800_000, env });
  if (r.code !== 0) throw new Error(`npm run score -- ${full.join(" ")} exited ${r.code ?? r.signal}\n${tail(r.stderr)}`);
  const s = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "") as { seconds: number; data: { records: number; rejected: number } };
  if (s.data.rejected) throw new Error(`${s.data.rejected} generated rows were rejected`);
  return { case: name, rows, wallS: r.wallMs / 1000, runS: s.seconds, rowsPerS: s.data.records / s.seconds, maxRssMiB: (r.maxRssKiB ?? NaN) / 1024 };
}

export async function score(ctx: Context): Promise<ScoreResult> {
  const sizes = ctx.quick ? [100_000, 200_000] : [200_000, 1_000_000];
  const dir = ctx.tmp("score");
  const r2 = await startLocalR2("edgescore-bench", ctx.tmp("score-r2"));
  ctx.onCleanup(() => r2.dispose());
  await publishTo(r2.target, await ctx.artifact());
  const runs: ScoreRun[] = [];
  for (const rows of sizes) {
    const csv = join(dir, `credit-${rows}.csv`);
    const { bytes } = generateCsv(csv, rows);
    ctx.log(`  ${rows} rows: generated ${fmt(bytes / 2 ** 20, 1)} MiB`);
    const out = join(dir, `scores-${rows}.csv`);
    const cases = [
      await floorRun(csv, out, rows),
      await scoreRun("score", ["--data", csv, "--out", out], r2.target, rows),
      await scoreRun("score --explain", ["--data", csv, "--out", out, "--explain"], r2.target, rows),
    ];
    if (rows === sizes.at(-1)) cases.push(await scoreRun(CAPPED, ["--data", csv, "--out", out], r2.target, rows, `--max-old-space-size=${HEAP_CAP_MIB}`));
    for (const c of cases) ctx.log(`  ${rows} rows, ${c.case}: ${fmt(c.runS, 2)} s own, ${fmt(c.rowsPerS, 0)} rows/s, ${fmt(c.maxRssMiB, 0)} MiB peak`);
    runs.push(...cases);
  }
  const at = (rows: number, name: string) => runs.find((r) => r.rows === rows && r.case === name);
  const largest = sizes.at(-1) as number;
  const smallest = sizes[0] as number;
  return {
    runs,
    vsFloor: ratio(at(largest, "score")?.runS ?? NaN, at(largest, "read + write (floor)")?.runS ?? NaN),
    cappedRssVsSmallest: ratio(at(largest, CAPPED)?.maxRssMiB ?? NaN, at(smallest, "score")?.maxRssMiB ?? NaN),
  };
}

export function scoreTable(r: ScoreResult): string {
  const floorOf = (x: ScoreRun) => r.runs.find((f) => f.rows === x.rows && f.case === "read + write (floor)");
  return table(
    `9. Batch scoring: npm run score on generated credit CSVs, the served model (wasm), one child process each (floor: the same file read and written back by the same reader and writer, no validation or scoring); own s = the command's own time (version load, stream, score, write)`,
    ["rows", "case", "wall s", "own s", "rows/s (own)", "peak RSS MiB", "own ÷ floor"],
    r.runs.map((x) => [x.rows, x.case, fmt(x.wallS, 2), fmt(x.runS, 2), fmt(x.rowsPerS, 0), fmt(x.maxRssMiB, 0), x.case.startsWith("read") ? "floor" : times(ratio(x.runS, floorOf(x)?.runS ?? NaN))]),
  );
}
