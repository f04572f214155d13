/**
 * The compiled impact kernel for Node (training reports, offline scoring,
 * monitoring): the same shared/kernels/impacts.wasm the edge bundles, compiled
 * once per process.
 */
import { readFileSync } from "node:fs";

/** The Workers types (tsconfig) declare the constructor abstract, since Workers may not compile at runtime; Node may. */
const CompileModule = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;

let compiled: WebAssembly.Module | undefined;

export function impactKernelModule(): WebAssembly.Module {
  return (compiled ??= new CompileModule(readFileSync(new URL("../../shared/kernels/impacts.wasm", import.meta.url))));
}

let trainCompiled: WebAssembly.Module | undefined;

/** The simd engine's kernel (train/kernels/train.wasm), compiled once per thread; each network instantiates its own memory. */
export function trainKernelModule(): WebAssembly.Module {
  return (trainCompiled ??= new CompileModule(readFileSync(new URL("./train.wasm", import.meta.url))));
}
