/**
 * Training engines: what the loop asks of whatever runs the arithmetic. Two
 * exist: `simd`, the hand-written WebAssembly SIMD kernel for Dense stacks
 * (train/fit/simd/), and `tfjs` (train/fit/tfjs-engine.ts), the general path.
 * `auto` (the default) takes simd wherever it covers the options and head and
 * tfjs otherwise, and says why. Both start from the same seeded tfjs network
 * and shuffle the same way, so their runs agree (test/engine-agreement.test.ts).
 */
import type { Matrix } from "../data/matrix.ts";
import type { Head } from "./architecture.ts";
import type { Batch } from "./batches.ts";

export const ENGINES = ["simd", "tfjs"] as const;
export type EngineName = (typeof ENGINES)[number];
export type EngineChoice = EngineName | "auto";
export const ENGINE_CHOICES: readonly EngineChoice[] = ["auto", ...ENGINES];

/** Best weights kept for early stopping (tensors or a copy of the kernel's block). */
export interface Snapshot {
  dispose(): void;
}

export interface Engine {
  readonly name: EngineName;
  /** One optimizer step on a batch; the batch's objective (loss + L2 penalty) before the step. */
  step(batch: Batch): number;
  /** The network's outputs for every row of `m`, with the current weights. */
  predict(m: Matrix): Float32Array;
  snapshot(): Snapshot;
  restore(s: Snapshot): void;
  /** Writes the current weights into the tfjs model (the artifact is saved from it). */
  sync(): void;
  /** Frees optimizer state and kernel memory (not the tfjs model). */
  dispose(): void;
}

/** Losses the simd kernel computes, by the head's name for them, with the output activation each needs. */
export const SIMD_LOSSES: Record<string, Head["activation"]> = { "binary cross-entropy": "sigmoid", "mean squared error": "linear" };

/**
 * Which engine runs, and why when `auto` does not take simd. `simd` asked for
 * options it does not cover is an error (the caller's usage error).
 */
export function chooseEngine(choice: EngineChoice | undefined, head: Head): { engine: EngineName; reason?: string } {
  const c = choice ?? "auto";
  if (c === "tfjs") return { engine: "tfjs" };
  const why = SIMD_LOSSES[head.loss] === head.activation ? undefined : `the simd engine covers ${Object.keys(SIMD_LOSSES).join(" and ")}, not ${head.loss} with a ${head.activation} output`;
  if (!why) return { engine: "simd" };
  if (c === "simd") throw new Error(`--engine simd: ${why}; use --engine tfjs (or auto)`);
  return { engine: "tfjs", reason: why };
}
