/**
 * `.wasm` imports. Wrangler's `CompiledWasm` module rule (wrangler.toml
 * `[[rules]] type = "CompiledWasm" globs = ["**\/*.wasm"]`) uploads the file as
 * a separate module that workerd compiles ahead of time, so the default export
 * is an already compiled `WebAssembly.Module` (never bytes: Workers refuse to
 * compile WebAssembly from bytes at runtime).
 */
declare module "*.wasm" {
  const compiled: WebAssembly.Module;
  export default compiled;
}
