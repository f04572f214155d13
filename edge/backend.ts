/**
 * TensorFlow.js backend selection for the Worker: the WASM (SIMD) backend when
 * it can be brought up inside workerd, the pure-JS CPU backend otherwise.
 *
 * Why this is not just `tf.setBackend("wasm")`: Workers refuse to compile
 * WebAssembly from bytes at runtime ("Wasm code generation disallowed by
 * embedder"), and tfjs-backend-wasm always fetches the .wasm file and calls
 * `WebAssembly.instantiate(bytes, imports)`. The binary therefore ships as a
 * `CompiledWasm` module (wrangler.toml rule, see edge/wasm.d.ts) that workerd
 * compiles at upload time, and the init below routes tfjs's loader to it:
 *
 *  1. `setWasmPaths(map, true)` makes tfjs install its emscripten
 *     `instantiateWasm` hook, which loads through tfjs-core's platform fetch.
 *  2. During init the platform's `fetch` answers our sentinel URL locally with
 *     a Response whose `arrayBuffer()` resolves to the compiled Module.
 *  3. tfjs then calls `WebAssembly.instantiate(module, imports)`, which for a
 *     Module resolves to a bare Instance while tfjs reads `.instance`/`.module`
 *     (the `{instance, module}` shape of the bytes overload). For exactly that
 *     Module object `WebAssembly.instantiate` is wrapped to return that shape;
 *     every other call passes straight through. Both the platform and
 *     `WebAssembly.instantiate` are restored as soon as init settles.
 *
 * Upstream request for a supported way to pass a precompiled module:
 * https://github.com/tensorflow/tfjs/issues/8157
 */
import * as tf from "@tensorflow/tfjs-core";
import "./cpu-kernels.ts";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

export type BackendName = "wasm" | "cpu";

type Platform = tf.Platform;

/** Never requested over the network: answered by the platform wrapper below. */
const WASM_URL = "edgescore-precompiled:/tfjs-backend-wasm-simd.wasm";

let ready: Promise<BackendName> | undefined;
let fallbackReason: string | undefined;

/**
 * Initialise tfjs once per isolate; returns the backend that is live. Safe to
 * call concurrently (one shared promise). Only the first call's `preferred`
 * counts. Never rejects because of wasm: any wasm failure falls back to "cpu"
 * and is reported by backendError(). Await it before any tfjs op (the wasm
 * backend is registered at priority 2, so an op run before init would try to
 * use it uninitialised).
 */
export function initBackend(preferred: BackendName = "wasm"): Promise<BackendName> {
  ready ??= start(preferred);
  return ready;
}

/** Why wasm was not used, if init fell back to cpu; undefined otherwise. */
export function backendError(): string | undefined {
  return fallbackReason;
}

async function start(preferred: BackendName): Promise<BackendName> {
  if (preferred === "wasm") {
    try {
      await startWasm();
      return "wasm";
    } catch (err) {
      fallbackReason = describe(err);
      // Drop the wasm registration: clears a possibly still pending wasm init in
      // the engine (which would otherwise block every op) and stops tfjs from
      // auto-selecting it (priority 2 > cpu's 1) later.
      try {
        tf.removeBackend("wasm");
      } catch {
        // not registered: nothing to clear
      }
    }
  }
  if (!(await tf.setBackend("cpu"))) {
    throw new Error("tfjs: could not initialise the cpu backend");
  }
  return "cpu";
}

async function startWasm(): Promise<void> {
  const compiled = await loadCompiledModule();

  const environment = tf.env();
  // Single-threaded SIMD build: workerd has no Workers/SharedArrayBuffer
  // threads, and only the SIMD binary is bundled. Setting the flags also skips
  // their async feature probes.
  environment.set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  environment.set("WASM_HAS_SIMD_SUPPORT", true);
  // All three names point at the one bundled module; with the flags above tfjs
  // only ever asks for the SIMD one (the vanilla build shares the same JS glue).
  setWasmPaths(
    {
      "tfjs-backend-wasm.wasm": WASM_URL,
      "tfjs-backend-wasm-simd.wasm": WASM_URL,
      "tfjs-backend-wasm-threaded-simd.wasm": WASM_URL,
    },
    true,
  );

  const basePlatform: Platform | undefined = environment.platform;
  if (basePlatform == null) {
    throw new Error("tfjs-core registered no platform in this runtime");
  }
  // Inherit every platform method, override fetch for the sentinel URL only.
  const localPlatform: Platform = Object.create(basePlatform) as Platform;
  localPlatform.fetch = (path, init, options) =>
    path === WASM_URL ? Promise.resolve(moduleResponse(compiled)) : basePlatform.fetch(path, init, options);

  let rejectInit: (reason: unknown) => void = () => {};
  const instantiateFailed = new Promise<never>((_, reject) => {
    rejectInit = reject;
  });

  const originalInstantiate = WebAssembly.instantiate;
  const instantiate = (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
    if (source !== compiled) {
      return Reflect.apply(originalInstantiate, WebAssembly, [source, imports]) as Promise<unknown>;
    }
    return originalInstantiate(compiled, imports).then(
      (instance) => ({ instance, module: compiled }),
      (err: unknown) => {
        // tfjs's loader has no rejection handler: it would hang the backend
        // init forever. Fail our init instead and leave tfjs's chain pending.
        rejectInit(err);
        return new Promise<never>(() => {});
      },
    );
  };

  try {
    environment.platform = localPlatform;
    // Throws (caught by start(), which falls back) if a runtime ever makes it read-only.
    WebAssembly.instantiate = instantiate as typeof WebAssembly.instantiate;
    const ok = await Promise.race([tf.setBackend("wasm"), instantiateFailed]);
    if (!ok) {
      throw new Error("tf.setBackend('wasm') returned false (tfjs logged the cause as a warning)");
    }
  } finally {
    if (WebAssembly.instantiate === instantiate) {
      WebAssembly.instantiate = originalInstantiate;
    }
    if (environment.platform === localPlatform) {
      environment.platform = basePlatform;
    }
  }
  if (tf.getBackend() !== "wasm") {
    throw new Error(`tfjs reports backend '${tf.getBackend()}' after selecting wasm`);
  }
}

/**
 * The binary is imported lazily so that this file also loads where `.wasm`
 * imports are not supported (Node, vitest): there the import rejects and init
 * falls back to cpu.
 */
async function loadCompiledModule(): Promise<WebAssembly.Module> {
  const imported = await import("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm");
  const compiled: unknown = imported.default;
  if (!(compiled instanceof WebAssembly.Module)) {
    throw new Error(
      "tfjs-backend-wasm-simd.wasm was not imported as a compiled WebAssembly.Module (missing CompiledWasm rule?)",
    );
  }
  return compiled;
}

/** A 200 Response whose body tfjs reads via arrayBuffer(): hand it the Module instead. */
function moduleResponse(compiled: WebAssembly.Module): Response {
  const response = new Response(null, { status: 200 });
  Object.defineProperty(response, "arrayBuffer", { value: () => Promise.resolve(compiled) });
  return response;
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  if (typeof err === "object" && err !== null && "message" in err) return String(err.message);
  return String(err);
}
