/** Bindings and vars (wrangler.toml `[vars]`, secrets) and their parsed form. */
import { authConfig, type AuthConfig } from "./auth/config.ts";
import { captureSettings, type CaptureSettings } from "./capture/settings.ts";

export interface Env {
  MODELS: R2Bucket;
  /** Workers Rate Limiting binding (wrangler.toml `[[ratelimits]]`); absent: no rate limits. */
  RATE_LIMITER?: RateLimit;
  MODEL_NAME?: string;
  MODEL_REFRESH_SECONDS?: string;
  MAX_BATCH?: string;
  MAX_BODY_BYTES?: string;
  /** "keys" (default), "jwt", "keys+jwt" or "off" (local dev); see auth/config.ts. */
  AUTH_MODE?: string;
  /** Secret: comma-separated API keys, scope "scoring" unless written `key:operator` or `key:scoring+operator`. */
  API_KEYS?: string;
  /** Secret: comma-separated API keys with the "operator" scope. */
  OPERATOR_KEYS?: string;
  JWT_JWKS_URL?: string;
  JWT_ISSUER?: string;
  /** Comma-separated; a token's `aud` must include one. */
  JWT_AUDIENCE?: string;
  /** Comma-separated subset of RS256, ES256 (default both). */
  JWT_ALGORITHMS?: string;
  /** Claim holding the token's scopes (space-separated string or array); default "scope". */
  JWT_SCOPE_CLAIM?: string;
  /** Scope value in that claim that grants the operator scope; default "edgescore:operator". */
  JWT_OPERATOR_SCOPE?: string;
  JWT_CLOCK_SKEW_SECONDS?: string;
  JWKS_CACHE_SECONDS?: string;
  /** "off" disables the RATE_LIMITER binding (npm run dev); anything else uses it when bound. */
  RATE_LIMIT?: string;
  /** The binding's period (10 or 60), for `Retry-After`. */
  RATE_LIMIT_PERIOD_SECONDS?: string;
  CORS_ORIGINS?: string;
  /** Per-instance key echoed back in its prediction; "" disables. Default "_key". */
  PASS_THROUGH_KEY?: string;
  /** "wasm" (default) or "cpu". */
  TFJS_BACKEND?: string;
  /** "off" serves every network on tfjs (reasons by the JavaScript shortcut); default "on": the SIMD kernel where it runs the network. */
  SIMD_KERNEL?: string;
  /** Default number of reason codes per prediction. */
  REASONS_TOP_K?: string;
  R2_TIMEOUT_MS?: string;
  /** Trusted Ed25519 public keys, `<key id>:<base64>` comma-separated (npm run models -- keygen); set: only signed versions and moves load. */
  MODEL_SIGNING_KEYS?: string;
  /** Queue the edge sends decision records to (wrangler.toml `[[queues.producers]]`); absent: capture is off. */
  DECISIONS_QUEUE?: Queue<string>;
  /** Bucket the queue consumer writes decision records to (by default the models' bucket). */
  DECISIONS?: R2Bucket;
  /** Ed25519 private key (PKCS#8 PEM, npm run models -- keygen): set, the consumer signs every decisions object it writes. */
  DECISIONS_SIGNING_KEY?: string;
  /** "off", "decisions" (answers, versions, ids; no feature values) or "full" (also the validated features); default "full". */
  CAPTURE?: string;
  /** Share of requests captured, 0 to 1 (default 1). */
  CAPTURE_SAMPLE?: string;
  /** "on" enables /__bench/noop, the benchmark's floor route (never set in production). */
  BENCH_ROUTES?: string;
}

export interface Settings {
  modelName: string;
  refreshMs: number;
  maxBatch: number;
  maxBodyBytes: number;
  auth: AuthConfig;
  rateLimit: { enabled: boolean; periodSeconds: number };
  corsOrigins: string[];
  passThroughKey: string;
  backend: "wasm" | "cpu";
  simd: boolean;
  topK: number;
  r2TimeoutMs: number;
  /** MODEL_SIGNING_KEYS as given (parsed once per isolate in edge/signing.ts); "" is signing off. */
  signingKeys: string;
  capture: CaptureSettings;
}

export function int(v: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const x = Number(v);
  return v !== undefined && v.trim() !== "" && Number.isInteger(x) && x >= min && x <= max ? x : fallback;
}

export const list = (v: string | undefined) => (v ?? "").split(",").map((s) => s.trim()).filter(Boolean);

export function settings(env: Env): Settings {
  const passThrough = env.PASS_THROUGH_KEY ?? "_key";
  return {
    modelName: env.MODEL_NAME || "credit-risk",
    refreshMs: int(env.MODEL_REFRESH_SECONDS, 30, 0) * 1000,
    maxBatch: int(env.MAX_BATCH, 1000, 1),
    maxBodyBytes: int(env.MAX_BODY_BYTES, 1024 * 1024, 1024),
    auth: authConfig(env),
    rateLimit: { enabled: env.RATE_LIMITER !== undefined && env.RATE_LIMIT !== "off", periodSeconds: int(env.RATE_LIMIT_PERIOD_SECONDS, 60, 1, 3600) },
    corsOrigins: list(env.CORS_ORIGINS),
    // A key that could never be a JSON field name a client types is treated as "none".
    passThroughKey: /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(passThrough) ? passThrough : "",
    backend: env.TFJS_BACKEND === "cpu" ? "cpu" : "wasm",
    simd: env.SIMD_KERNEL !== "off",
    topK: int(env.REASONS_TOP_K, 4, 0),
    r2TimeoutMs: int(env.R2_TIMEOUT_MS, 5000, 1),
    signingKeys: (env.MODEL_SIGNING_KEYS ?? "").trim(),
    capture: captureSettings(env),
  };
}
