/** Messages between the tuner and its trial workers (worker_threads). */
import type { Matrix } from "../data/dataset.ts";
import type { HeadSpec } from "../fit/architecture.ts";
import type { TrainBackend } from "../fit/backend.ts";
import type { Thresholds } from "../evaluate/group-stats.ts";
import type { FoldResult, Unit } from "./schedule.ts";

export interface WorkerGroups { codes: Uint16Array[]; sizes: number[]; thresholds: Thresholds }

export interface WorkerInit {
  backend: TrainBackend;
  /** The network's head: binary classification or regression (its fitted target). */
  head: HeadSpec;
  /** Cross-validation: `rows` are split by `fold`; holdout: train on `rows`, validate on `validation`. */
  rows: Matrix;
  fold?: Uint8Array;
  validation?: Matrix;
  /**
   * The confirmation's cross-validation (train/tune/confirm.ts): `repeats` fold
   * assignments of `rows` one after another (n each), `k` folds each, drawn
   * apart from `fold`. Unit fold `offset + r·k + f` trains without fold f of
   * repeat r and validates on it; `offset` is the search's own fold count.
   */
  confirm?: { assignment: Uint8Array; k: number; repeats: number; offset: number };
  /** Protected attributes: each row's group (aligned with `rows` under cross-validation, else with `validation`), counted per epoch at the thresholds. */
  groups?: WorkerGroups;
  /** Float64Array[1] on a SharedArrayBuffer: Date.now() after which running units stop. */
  deadline: Float64Array;
}

export type ToWorker =
  | { type: "run"; id: number; unit: Unit }
  | { type: "drop"; trials: number[] };

export type FromWorker =
  | { type: "ready"; backend: string }
  | { type: "result"; id: number; result: FoldResult }
  | { type: "cancelled"; id: number; epochs: number; seconds: number }
  | { type: "failed"; id: number; error: string };
