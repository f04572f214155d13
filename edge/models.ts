/**
 * The isolate's model registry and the two answers every route that takes a
 * model name gives: 404 model_not_found for a name that is not published
 * (whatever its spelling), 503 model_unavailable for one that is but cannot
 * load now. Routes that read other objects of a published model (versions,
 * reports) use `modelNameParam` and `modelFailure` the same way.
 */
import type { Context } from "hono";
import { MODEL_NAME_PATTERN } from "../shared/artifact.ts";
import { initBackend } from "./backend.ts";
import type { AppEnv } from "./context.ts";
import { log } from "./context.ts";
import { describeKey, fail, failWithHint } from "./errors.ts";
import { ModelRegistry, type Failure } from "./registry.ts";
import { requireKeys } from "./signing.ts";

let registry: ModelRegistry | undefined;

export function models(c: Context<AppEnv>): ModelRegistry {
  const s = c.get("settings");
  registry ??= new ModelRegistry(c.env.MODELS, {
    refreshMs: s.refreshMs, timeoutMs: s.r2TimeoutMs, log, pinned: s.modelName, passThroughKey: s.passThroughKey, simd: s.simd,
    backendReady: () => initBackend(s.backend),
    trust: () => requireKeys(s.signingKeys),
  });
  return registry;
}

/** The registry if a request has created it (health views must not load anything). */
export const existingModels = (): ModelRegistry | undefined => registry;

/** Background work a request hands to the runtime. */
export const deferTo = (c: Context<AppEnv>) => (p: Promise<unknown>) => c.executionCtx.waitUntil(p);

export const RETRY_AFTER = { "Retry-After": "5" };

/** `:name` if it can be a model name at all, else the 404 (without touching storage). */
export function modelNameParam(c: Context<AppEnv>): string | Response {
  const name = c.req.param("name") ?? "";
  return MODEL_NAME_PATTERN.test(name) ? name : fail(c, 404, "model_not_found", `no model named ${JSON.stringify(describeKey(name))} is published`);
}

/** 404 for a name nothing is published under, with the operator's hint (every route says it the same way). */
export function notPublished(c: Context<AppEnv>, name: string): Response {
  return failWithHint(c, 404, "model_not_found", `no model named "${name}" is published`, "publish one with `npm run train` (locally) or `npm run train -- --publish s3`");
}

/** The response for a failed lookup: never a 503 for a name that was never published. */
export function modelFailure(c: Context<AppEnv>, name: string, f: Failure): Response {
  if (f.reason === "not_published") return notPublished(c, name);
  return failWithHint(c, 503, "model_unavailable", `model "${name}" is temporarily unavailable; retry later`, `${f.message} (GET /healthz with operator credentials shows every model's last error)`, RETRY_AFTER);
}
