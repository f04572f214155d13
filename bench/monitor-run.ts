/**
 * One `npm run monitor` as a measured child process (`node --import tsx
 * train/cli/monitor.ts …`, as train-run.ts does for training) against a store
 * given by S3 environment variables: wall time, peak RSS, and what the run
 * reports about itself (its own seconds, rows scored, status).
 */
import type { S3Target } from "../train/store/storage.ts";
import { runNodeMeasured, tail } from "./proc.ts";

export interface MonitorRun {
  args: string[];
  wallS: number;
  maxRssMiB: number;
  /** The monitor's own total (load the version, stream, score, summarise). */
  runS: number;
  rows: number;
  status: string;
  exitCode: number;
}

export async function monitorRun(args: string[], store: S3Target, timeoutMs: number): Promise<MonitorRun> {
  const full = [...args, "--store", "s3", "--json"];
  const env = {
    ...process.env, S3_ENDPOINT: store.endpoint, S3_BUCKET: store.bucket, S3_FORCE_PATH_STYLE: "true",
    AWS_ACCESS_KEY_ID: store.accessKeyId, AWS_SECRET_ACCESS_KEY: store.secretAccessKey,
  };
  const r = await runNodeMeasured("train/cli/monitor.ts", full, { timeoutMs, env });
  // 0 stable, 3 alert: both are runs that worked.
  if (r.code !== 0 && r.code !== 3) throw new Error(`npm run monitor -- ${full.join(" ")} exited ${r.code ?? r.signal}\n${tail(r.stderr)}`);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "") as { seconds: number; status: string; data: { scored: number } };
  return { args, wallS: r.wallMs / 1000, maxRssMiB: (r.maxRssKiB ?? NaN) / 1024, runS: out.seconds, rows: out.data.scored, status: out.status, exitCode: r.code };
}
