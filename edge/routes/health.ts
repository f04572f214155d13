/**
 * GET /healthz. Anyone: `{"ok": true}`, or `{"ok": false, "reasons": [...]}`
 * with a 503, the reasons being public error codes (authentication
 * misconfigured, the IdP's keys unavailable, the default model failing to
 * load or MODEL_SIGNING_KEYS trusting nothing), nothing that names models,
 * versions, URLs or errors. Operators: the
 * backend, tensor count, each loaded model's version and last error,
 * authentication problems, the JWKS's state, the signing keys and decision capture (mode, records
 * sent and failed since the isolate started). Never loads a model; fetches
 * the JWKS when none is held (back-off permitting), since without it no
 * token can be verified.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Context } from "hono";
import { authProblems } from "../auth/config.ts";
import { jwksFor } from "../auth/jwt.ts";
import { backendError, initBackend } from "../backend.ts";
import { captureTotals } from "../capture/counters.ts";
import { log, type AppEnv } from "../context.ts";
import type { ErrorCode } from "../errors.ts";
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
  const s = c.get("settings");
  const problems = authProblems(s.auth);
  const models = existingModels()?.status() ?? {};
  const defaultModel = models[s.modelName];
  const signing = await signingStatus(s.signingKeys);
  const jwks = s.auth.jwt && !problems.length ? jwksFor(s.auth.jwt, log) : undefined;
  const reasons: ErrorCode[] = [];
  if (problems.length) reasons.push("auth_not_configured");
  if (jwks && !(await jwks.usable())) reasons.push("auth_unavailable");
  // A key list that does not parse trusts nothing: no model can load.
  const untrusting = typeof signing === "object" && "error" in signing;
  if (untrusting || (defaultModel && !defaultModel.version && defaultModel.lastError)) reasons.push("model_unavailable");
  const ok = reasons.length === 0;
  const status = ok ? 200 : 503;
  if (!c.get("caller")?.scopes.has("operator")) return c.json(ok ? { ok } : { ok, reasons }, status);
  const backend = await initBackend(s.backend);
  const fallback = backendError();
  return c.json({
    ok,
    ...(ok ? {} : { reasons }),
    backend,
    ...(fallback ? { backendFallbackReason: fallback } : {}),
    // Constant across requests unless something leaks (tests check it).
    tensors: tf.memory().numTensors,
    models,
    // Reports refused since the isolate started (scoring is not affected).
    reports: reportProblems(),
    defaultModel: s.modelName,
    auth: { mode: s.auth.mode, problems },
    // Settings whose value could not be used, and the default used instead.
    settings: { problems: s.problems },
    ...(jwks ? { jwks: jwks.status() } : {}),
    signing,
    rateLimit: s.rateLimit.enabled ? { periodSeconds: s.rateLimit.periodSeconds } : "off",
    // Decision records: the mode in effect and records sent / failed since this isolate started.
    capture: { mode: s.capture.mode, sample: s.capture.sample, ...(s.capture.problem ? { problem: s.capture.problem } : {}), ...captureTotals() },
  }, status);
}
