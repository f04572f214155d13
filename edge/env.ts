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
  /** Seconds a request's body may take to arrive once the handler reads it (1-300, default 30); then 408. */
  BODY_TIMEOUT_SECONDS?: string;
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
  /** BODY_TIMEOUT_SECONDS in ms: a stalled upload is answered 408, not held open. */
  bodyTimeoutMs: number;
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
  /**
   * Settings given a value the edge cannot use, each with the default it uses instead (a safe one: the
   * limits, the backend). Shown to operators in /healthz and logged when an isolate starts: a typo in
   * wrangler.toml must not pass unseen.
   */
  problems: string[];
}

/** A whole number from min to max, or undefined when `v` is not one (or not given). */
function wholeNumber(v: string | undefined, min: number, max: number): number | undefined {
  const x = Number(v);
  return v !== undefined && v.trim() !== "" && Number.isInteger(x) && x >= min && x <= max ? x : undefined;
}

export function int(v: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  return wholeNumber(v, min, max) ?? fallback;
}

export const list = (v: string | undefined) => (v ?? "").split(",").map((s) => s.trim()).filter(Boolean);

const quoted = (v: string) => JSON.stringify(v.slice(0, 40));

/** `int` that also says when a value was given but not usable. */
function intSetting(problems: string[], name: keyof Env, v: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const x = wholeNumber(v, min, max);
  if (x === undefined && v !== undefined && v.trim() !== "") {
    problems.push(`${name} is ${quoted(v)}; expected a whole number ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}: ${fallback} is used`);
  }
  return x ?? fallback;
}

/** A setting that takes one of a few words: anything else is reported, and `fallback` used. */
function wordSetting<T extends string>(problems: string[], name: keyof Env, v: string | undefined, words: readonly T[], fallback: T): T {
  const t = (v ?? "").trim();
  if (t === "") return fallback;
  if ((words as readonly string[]).includes(t)) return t as T;
  problems.push(`${name} is ${quoted(t)}; expected ${words.map((w) => `"${w}"`).join(" or ")}: "${fallback}" is used`);
  return fallback;
}

export function settings(env: Env): Settings {
  const problems: string[] = [];
  const passThrough = env.PASS_THROUGH_KEY ?? "_key";
  // A key that could never be a JSON field name a client types is treated as "none".
  const passThroughOk = passThrough === "" || /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(passThrough);
  if (!passThroughOk) problems.push(`PASS_THROUGH_KEY is ${quoted(passThrough)}; expected a field name (a letter or _, then letters, digits, _ . -): no pass-through key is used`);
  const corsOrigins = list(env.CORS_ORIGINS);
  // Origins are matched exactly: a wildcard would allow nothing, silently.
  const wild = corsOrigins.filter((o) => o.includes("*"));
  if (wild.length) problems.push(`CORS_ORIGINS has ${wild.map(quoted).join(", ")}: origins are matched exactly (https://app.example.com), so a wildcard allows no origin; list each one`);
  return {
    modelName: env.MODEL_NAME || "credit-risk",
    refreshMs: intSetting(problems, "MODEL_REFRESH_SECONDS", env.MODEL_REFRESH_SECONDS, 30, 0) * 1000,
    maxBatch: intSetting(problems, "MAX_BATCH", env.MAX_BATCH, 1000, 1),
    maxBodyBytes: intSetting(problems, "MAX_BODY_BYTES", env.MAX_BODY_BYTES, 1024 * 1024, 1024),
    bodyTimeoutMs: intSetting(problems, "BODY_TIMEOUT_SECONDS", env.BODY_TIMEOUT_SECONDS, 30, 1, 300) * 1000,
    auth: authConfig(env),
    rateLimit: {
      // Anything but "off" keeps the limits on (fail closed); an unknown word is reported.
      enabled: wordSetting(problems, "RATE_LIMIT", env.RATE_LIMIT, ["on", "off"], "on") !== "off" && env.RATE_LIMITER !== undefined,
      periodSeconds: intSetting(problems, "RATE_LIMIT_PERIOD_SECONDS", env.RATE_LIMIT_PERIOD_SECONDS, 60, 1, 3600),
    },
    corsOrigins,
    passThroughKey: passThroughOk ? passThrough : "",
    backend: wordSetting(problems, "TFJS_BACKEND", env.TFJS_BACKEND, ["wasm", "cpu"], "wasm"),
    simd: wordSetting(problems, "SIMD_KERNEL", env.SIMD_KERNEL, ["on", "off"], "on") !== "off",
    topK: intSetting(problems, "REASONS_TOP_K", env.REASONS_TOP_K, 4, 0),
    r2TimeoutMs: intSetting(problems, "R2_TIMEOUT_MS", env.R2_TIMEOUT_MS, 5000, 1),
    signingKeys: (env.MODEL_SIGNING_KEYS ?? "").trim(),
    capture: captureSettings(env),
    problems,
  };
}
