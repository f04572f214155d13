/** Bindings and vars (wrangler.toml `[vars]`, secrets) and their parsed form. */
export interface Env {
  MODELS: R2Bucket;
  MODEL_NAME?: string;
  MODEL_REFRESH_SECONDS?: string;
  MAX_BATCH?: string;
  MAX_BODY_BYTES?: string;
  /** "required" (default): no keys configured → 503. "off": no auth when no keys are set (local dev). */
  AUTH_MODE?: string;
  /** Secret: comma-separated API keys. */
  API_KEYS?: string;
  CORS_ORIGINS?: string;
  /** "wasm" (default) or "cpu". */
  TFJS_BACKEND?: string;
  /** Default number of reason codes per prediction. */
  REASONS_TOP_K?: string;
  R2_TIMEOUT_MS?: string;
  /** "on" enables /__bench/noop, the benchmark's floor route (never set in production). */
  BENCH_ROUTES?: string;
}

export interface Settings {
  modelName: string;
  refreshMs: number;
  maxBatch: number;
  maxBodyBytes: number;
  authMode: "required" | "off";
  apiKeys: string[];
  corsOrigins: string[];
  backend: "wasm" | "cpu";
  topK: number;
  r2TimeoutMs: number;
}

function int(v: string | undefined, fallback: number, min: number): number {
  const x = Number(v);
  return v !== undefined && v.trim() !== "" && Number.isInteger(x) && x >= min ? x : fallback;
}

export function settings(env: Env): Settings {
  return {
    modelName: env.MODEL_NAME || "credit-risk",
    refreshMs: int(env.MODEL_REFRESH_SECONDS, 30, 0) * 1000,
    maxBatch: int(env.MAX_BATCH, 1000, 1),
    maxBodyBytes: int(env.MAX_BODY_BYTES, 1024 * 1024, 1024),
    authMode: env.AUTH_MODE === "off" ? "off" : "required",
    apiKeys: (env.API_KEYS ?? "").split(",").map((k) => k.trim()).filter(Boolean),
    corsOrigins: (env.CORS_ORIGINS ?? "").split(",").map((o) => o.trim()).filter(Boolean),
    backend: env.TFJS_BACKEND === "cpu" ? "cpu" : "wasm",
    topK: int(env.REASONS_TOP_K, 4, 0),
    r2TimeoutMs: int(env.R2_TIMEOUT_MS, 5000, 1),
  };
}
