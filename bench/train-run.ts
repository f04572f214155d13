/**
 * One `npm run train` as a measured child process (`node --import tsx
 * train/cli/train.ts …`, the same code the npm script runs, without npm/tsx wrapper
 * processes in between): wall time, peak RSS, and what the run reports about
 * itself (fit seconds and epochs from the written manifest, test AUC).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { keys, MANIFEST_FILE } from "../shared/artifact.ts";
import { runNodeMeasured, tail } from "./proc.ts";

export interface TrainRun {
  args: string[];
  wallS: number;
  maxRssMiB: number;
  /** runJob's own total (read, profile, split, fit, evaluate, package). */
  jobS: number;
  backend?: string;
  /** The training engine the card names (simd or tfjs). */
  engine?: string;
  fitS?: number;
  epochs?: number;
  auc?: number;
  /** The model report: analysis + rendering seconds and size (part of jobS). */
  reportS?: number;
  reportKiB?: number;
  /** The written version directory (manifest.json, model.json, weights.bin). */
  dir?: string;
}

interface Summary { status: string; seconds: number; model?: { name: string; version: string }; metrics?: { auc: number }; report?: { seconds: number; bytes: number } }

export async function trainRun(args: string[], outDir: string, timeoutMs: number): Promise<TrainRun> {
  const full = [...args, "--publish", "none", "--quiet", "--json", "--out", outDir];
  const r = await runNodeMeasured("train/cli/train.ts", full, { timeoutMs });
  if (r.code !== 0) throw new Error(`npm run train -- ${full.join(" ")} exited ${r.code ?? r.signal}\n${tail(r.stderr)}`);
  const line = r.stdout.trim().split("\n").at(-1) ?? "";
  const summary = JSON.parse(line) as Summary;
  const run: TrainRun = { args, wallS: r.wallMs / 1000, maxRssMiB: (r.maxRssKiB ?? NaN) / 1024, jobS: summary.seconds };
  if (summary.model) {
    const dir = join(outDir, keys.version(summary.model.name, summary.model.version));
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), "utf8")) as { card: { training: { backend: string; engine?: string; seconds: number; epochsRun: number } } };
    const t = manifest.card.training;
    Object.assign(run, { backend: t.backend, engine: t.engine ?? "tfjs", fitS: t.seconds, epochs: t.epochsRun, auc: summary.metrics?.auc, dir });
    if (summary.report) Object.assign(run, { reportS: summary.report.seconds, reportKiB: summary.report.bytes / 1024 });
  }
  return run;
}
