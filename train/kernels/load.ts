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
