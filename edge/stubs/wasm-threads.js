// Stands in for tfjs-backend-wasm's multi-threaded glue in the Worker bundle (wrangler.toml [alias]):
// Workers have no threads, edge/backend.ts sets WASM_HAS_MULTITHREAD_SUPPORT=false, so tfjs never
// calls it; the real glue is 35 KB of code no request could run. Node (training) imports the real one.
export default function threadedWasmUnavailable() {
  throw new Error("tfjs-backend-wasm's threaded build is not bundled: Workers have no threads");
}
export const wasmWorkerContents = "";
