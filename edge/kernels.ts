/**
 * The compiled impact kernel for the Worker: shared/kernels/impacts.wasm is
 * bundled as a CompiledWasm module (wrangler.toml rule, edge/wasm.d.ts), so
 * nothing is compiled at runtime. Where it cannot be imported (Node running the
 * edge's code in tests), scoring keeps the JavaScript shortcut.
 */
let loading: Promise<WebAssembly.Module | undefined> | undefined;

export function impactKernelModule(): Promise<WebAssembly.Module | undefined> {
  loading ??= import("../shared/kernels/impacts.wasm").then(
    (m: { default: unknown }) => (m.default instanceof WebAssembly.Module ? m.default : undefined),
    () => undefined,
  );
  return loading;
}
