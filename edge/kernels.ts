/**
 * The compiled kernels for the Worker: shared/kernels/impacts.wasm (the
 * network and its reason impacts) and reasons.wasm (a classifier's reasons
 * as JSON) are bundled as CompiledWasm modules (wrangler.toml rule,
 * edge/wasm.d.ts), so nothing is compiled at runtime. Where they cannot be
 * imported (Node running the edge's code in tests), scoring keeps the
 * JavaScript paths.
 */
type Loading = Promise<WebAssembly.Module | undefined>;

const compiled = (load: () => Promise<{ default: unknown }>): Loading =>
  load().then((m) => (m.default instanceof WebAssembly.Module ? m.default : undefined), () => undefined);

let impacts: Loading | undefined;
let reasons: Loading | undefined;

export function impactKernelModule(): Loading {
  return (impacts ??= compiled(() => import("../shared/kernels/impacts.wasm")));
}

export function reasonsKernelModule(): Loading {
  return (reasons ??= compiled(() => import("../shared/kernels/reasons.wasm")));
}
