/**
 * What the sections share within one run: mode, a temp root (removed at the
 * end), the worker builds and the trained model (each made once, on first
 * use), and cleanup hooks for anything still running when a section fails.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { quickJob } from "../test/helpers/train-fixture.ts";
import { runJob } from "../train/job.ts";
import type { Artifact } from "../train/store/package.ts";
import { buildWorker, writeBenchConfig, type Build } from "./build.ts";

export interface Context {
  quick: boolean;
  /** --tune-budget: the tune section's budget in seconds (default 120; quick 45). */
  tuneBudgetS?: number;
  /** --capture-rounds: the capture section's cost rounds (default 8; quick 2). More rounds, a finer median. */
  captureRounds?: number;
  tmp(name: string): string;
  /** edge/index.ts as wrangler.toml builds it. */
  workerBuild(): Promise<Build>;
  /** bench/model-time-worker.ts: tfjs + edge/backend.ts, no app. */
  modelTimeBuild(): Promise<Build>;
  /** A model trained on the bundled data with the real training code (5 epochs, cpu). */
  artifact(): Promise<Artifact>;
  /** Runs at the end of the run, even after a failure (latest first). */
  onCleanup(fn: () => Promise<void> | void): void;
  cleanup(): Promise<void>;
  /** Synchronous last resort on a signal: removes the temp root (Miniflare's own exit hook stops workerd). */
  removeTmp(): void;
  log(line: string): void;
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= make());
}

export function createContext(quick: boolean, log: (line: string) => void, tuneBudgetS?: number, captureRounds?: number): Context {
  const root = mkdtempSync(join(tmpdir(), "edgescore-bench-"));
  const cleanups: (() => Promise<void> | void)[] = [];
  const tmp = (name: string) => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  return {
    quick,
    ...(tuneBudgetS !== undefined ? { tuneBudgetS } : {}),
    ...(captureRounds !== undefined ? { captureRounds } : {}),
    tmp,
    log,
    workerBuild: once(async () => {
      log("building the worker (wrangler deploy --dry-run)…");
      return buildWorker(tmp("worker"));
    }),
    modelTimeBuild: once(async () => {
      log("building the model-time bench worker…");
      const dir = tmp("model-time-worker");
      return buildWorker(join(dir, "out"), writeBenchConfig(dir, "edgescore-bench-model-time", "bench/model-time-worker.ts"));
    }),
    artifact: once(async () => {
      log("training the served model (5 epochs, cpu)…");
      const result = await runJob(quickJob({ train: { ...quickJob().train, epochs: 5 } }), { log: () => {} });
      if (!result.artifact) throw new Error("runJob returned no artifact");
      return result.artifact;
    }),
    onCleanup: (fn) => { cleanups.push(fn); },
    cleanup: async () => {
      for (const fn of cleanups.splice(0).reverse()) {
        try { await fn(); } catch (e) { log(`cleanup: ${(e as Error).message}`); }
      }
      rmSync(root, { recursive: true, force: true });
    },
    removeTmp: () => rmSync(root, { recursive: true, force: true }),
  };
}
