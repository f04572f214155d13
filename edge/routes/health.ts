/**
 * GET /healthz. Anyone: `{"ok": true|false}` (503 when false: authentication
 * or MODEL_SIGNING_KEYS misconfigured, or the default model failing to load), nothing that names
 * models, versions or errors. Operators: the backend, tensor count, each
 * loaded model's version and last error, and authentication problems.
 * Never loads a model.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Context } from "hono";
import { authProblems } from "../auth/config.ts";
import { backendError, initBackend } from "../backend.ts";
import type { AppEnv } from "../context.ts";
import { existingModels } from "../models.ts";
import { reportProblems } from "./report.ts";
import { trustedKeys } from "../signing.ts";

/** "off", the trusted key ids, or why MODEL_SIGNING_KEYS trusts nothing (then nothing loads). */
async function signingStatus(raw: string): Promise<"off" | { keys: string[] } | { error: string }> {
  const parsed = trustedKeys(raw);
  if (!parsed) return "off";
  const keys = await parsed;
  return keys.ok ? { keys: [...keys.keys.keys()] } : { error: `MODEL_SIGNING_KEYS is malformed: ${keys.error}` };
}

export async function health(c: Context<AppEnv>): Promise<Response> {
  const s = c.var.settings;
  const problems = authProblems(s.auth);
  const models = existingModels()?.status() ?? {};
  const defaultModel = models[s.modelName];
  const signing = await signingStatus(s.signingKeys);
  const ok = problems.length === 0 && !(typeof signing === "object" && "error" in signing) && !(defaultModel && !defaultModel.version && defaultModel.lastError);
  const status = ok ? 200 : 503;
  if (!c.var.caller?.scopes.has("operator")) return c.json({ ok }, status);
  const backend = await initBackend(s.backend);
  const fallback = backendError();
  return c.json({
    ok,
    backend,
    ...(fallback ? { backendFallbackReason: fallback } : {}),
    // Constant across requests unless something leaks (tests check it).
    tensors: tf.memory().numTensors,
    models,
    // Reports refused since the isolate started (scoring is not affected).
    reports: reportProblems(),
    defaultModel: s.modelName,
    auth: { mode: s.auth.mode, problems },
    signing,
    rateLimit: s.rateLimit.enabled ? { periodSeconds: s.rateLimit.periodSeconds } : "off",
  }, status);
}
