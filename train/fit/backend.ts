/**
 * TensorFlow.js backend for training in Node: WASM (SIMD) where it starts,
 * otherwise the pure-JS CPU backend. `@tensorflow/tfjs-node` is not an option:
 * its install script downloads libtensorflow from outside the npm registry.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

export type TrainBackend = "wasm" | "cpu";

export async function useBackend(preferred: TrainBackend): Promise<{ backend: TrainBackend; fallbackReason?: string }> {
  if (preferred === "wasm") {
    try {
      const wasmDir = dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
      setWasmPaths(`${wasmDir}/`);
      // One thread: the threaded build needs worker plumbing that buys nothing for a 64-unit net.
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
      if (await tf.setBackend("wasm")) {
        await tf.ready();
        return { backend: "wasm" };
      }
      return { ...(await cpu()), fallbackReason: "the wasm backend did not initialise" };
    } catch (e) {
      return { ...(await cpu()), fallbackReason: `wasm backend failed: ${(e as Error).message}` };
    }
  }
  return cpu();
}

async function cpu(): Promise<{ backend: TrainBackend }> {
  await tf.setBackend("cpu");
  await tf.ready();
  // The CPU backend prints a banner recommending tfjs-node on first use; that package cannot be
  // installed from the registry alone, and the banner would land in every scheduled run's log.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return { backend: "cpu" };
}
