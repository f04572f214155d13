/**
 * The trial workers: one worker_thread per core, each with its own tfjs
 * backend (tfjs runs one op at a time per thread, so threads are how two cores
 * train two trials at once). The rows are shared, not copied, through
 * SharedArrayBuffers; the deadline is one shared number every worker reads
 * after each epoch, so the tuner can move it as its estimates improve.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { rowsInMemory, type Matrix } from "../data/matrix.ts";
import type { HeadSpec } from "../fit/architecture.ts";
import type { TrainBackend } from "../fit/backend.ts";
import type { FromWorker, ToWorker, WorkerGroups, WorkerInit } from "./protocol.ts";
import type { Unit } from "./schedule.ts";

export type UnitReply = Exclude<FromWorker, { type: "ready" }>;

function sharedMatrix(m: Matrix): Matrix {
  const rows = rowsInMemory(m, "npm run tune");
  const x = new Float32Array(new SharedArrayBuffer(rows.byteLength));
  x.set(rows);
  const y = new Float32Array(new SharedArrayBuffer(m.y.byteLength));
  y.set(m.y);
  return { x, y, n: m.n, width: m.width };
}

function sharedBytes(a: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

/** Workers load TypeScript through tsx, as `npm run` scripts do (also when started from vitest). */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export class TrialPool {
  private readonly waiting = new Map<number, (r: UnitReply) => void>();
  private nextId = 0;
  private failure?: Error;

  private constructor(private readonly workers: Worker[], private readonly deadline: Float64Array, readonly backend: string) {}

  static async start(size: number, data: { backend: TrainBackend; head: HeadSpec; rows: Matrix; fold?: Uint8Array; validation?: Matrix; groups?: WorkerGroups; confirm?: WorkerInit["confirm"] }): Promise<TrialPool> {
    const deadline = new Float64Array(new SharedArrayBuffer(8)).fill(Infinity);
    const fold = data.fold ? sharedBytes(data.fold) : undefined;
    const init: WorkerInit = {
      backend: data.backend, head: data.head, rows: sharedMatrix(data.rows), deadline,
      ...(fold ? { fold } : {}), ...(data.validation ? { validation: sharedMatrix(data.validation) } : {}),
      ...(data.groups ? { groups: data.groups } : {}),
      ...(data.confirm ? { confirm: { ...data.confirm, assignment: sharedBytes(data.confirm.assignment) } } : {}),
    };
    const workers = Array.from({ length: size }, () => new Worker(new URL("./trial-worker.ts", import.meta.url), { workerData: init, execArgv: ["--import", TSX] }));
    let backend = "";
    try {
      await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
        w.once("error", reject);
        w.once("exit", (code) => reject(new Error(`a trial worker exited with code ${code} while starting`)));
        w.once("message", (m: FromWorker) => {
          if (m.type === "ready") { backend = m.backend; resolve(); }
        });
      })));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    const pool = new TrialPool(workers, deadline, backend);
    for (const w of workers) {
      // Only our own listeners: Worker keeps internal "newListener" hooks that start its message port.
      for (const event of ["message", "error", "exit"]) w.removeAllListeners(event);
      w.on("message", (m: FromWorker) => {
        if (m.type === "ready") return;
        const done = pool.waiting.get(m.id);
        pool.waiting.delete(m.id);
        done?.(m);
      });
      w.on("error", (e) => pool.fail(e));
      w.on("exit", (code) => { if (code !== 0) pool.fail(new Error(`a trial worker exited with code ${code}`)); });
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const [id, done] of this.waiting) done({ type: "failed", id, error: `trial worker failed: ${e.message}` });
    this.waiting.clear();
  }

  /** Units running on or after this time (Date.now) stop at their next epoch end. */
  setDeadline(ms: number): void {
    this.deadline[0] = ms;
  }

  run(worker: number, unit: Unit): Promise<UnitReply> {
    if (this.failure) return Promise.resolve({ type: "failed", id: -1, error: `trial worker failed: ${this.failure.message}` });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      (this.workers[worker] as Worker).postMessage({ type: "run", id, unit } satisfies ToWorker);
    });
  }

  /** Frees the state of trials that get no more work. */
  drop(trials: number[]): void {
    if (!trials.length) return;
    for (const w of this.workers) w.postMessage({ type: "drop", trials } satisfies ToWorker);
  }

  async close(): Promise<void> {
    for (const w of this.workers) w.removeAllListeners("exit");
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
