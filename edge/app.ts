/**
 * The HTTP surface. Every request gets a request id and one log line (id,
 * route, status, latency, model version: never feature values or keys); every
 * error is the JSON shape in errors.ts; nothing the client sends can reach a 5xx.
 */
import * as tf from "@tensorflow/tfjs-core";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { MODEL_NAME_PATTERN } from "../shared/artifact.ts";
import type { Row } from "../shared/preprocess.ts";
import { requireApiKey } from "./auth.ts";
import { backendError, initBackend } from "./backend.ts";
import { settings, type Env, type Settings } from "./env.ts";
import { parseJsonBody } from "./body.ts";
import { describeValue, fail, type ErrorDetail } from "./errors.ts";
import { openApiDocument } from "./openapi.ts";
import { predict } from "../shared/predict.ts";
import { ModelRegistry, type Log } from "./registry.ts";
import { reportHandlers, reportProblems } from "./report.ts";
import { handleVersions } from "./versions.ts";

type AppEnv = { Bindings: Env; Variables: { settings: Settings; requestId: string; modelVersion?: string } };

const log: Log = (event) => console.log(JSON.stringify(event));

let registry: ModelRegistry | undefined;
const settingsCache = new WeakMap<Env, Settings>();

function getSettings(env: Env): Settings {
  let s = settingsCache.get(env);
  if (!s) { s = settings(env); settingsCache.set(env, s); }
  return s;
}

function getRegistry(env: Env, s: Settings): ModelRegistry {
  registry ??= new ModelRegistry(env.MODELS, { refreshMs: s.refreshMs, timeoutMs: s.r2TimeoutMs, log, backendReady: () => initBackend(s.backend) });
  return registry;
}

const RETRY_AFTER = { "Retry-After": "5" };

/** A name that can never be published: 404 without touching storage. */
const badModelName = (c: Context<AppEnv>) => fail(c, 404, "model_not_found", "model names are lowercase letters, digits, '.', '_' and '-'");

/** Shape check of the TensorFlow Serving-style envelope, before any model work. */
function readEnvelope(c: Context<AppEnv>, body: unknown, s: Settings): unknown[] | Response {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return fail(c, 400, "invalid_request", 'the body must be a JSON object like {"instances": [{...}]}', [{ path: "$", expected: "an object", received: describeValue(body) }]);
  }
  const extra = Object.keys(body).filter((k) => k !== "instances");
  if (extra.length) {
    return fail(c, 400, "invalid_request", `unknown top-level field${extra.length > 1 ? "s" : ""}: only "instances" is accepted`,
      extra.slice(0, 5).map((k) => ({ path: describeValue(k), expected: "no such field", received: "present" })));
  }
  const instances = (body as { instances?: unknown }).instances;
  if (!Array.isArray(instances)) {
    return fail(c, 400, "invalid_request", '"instances" must be an array of applicants', [{ path: "instances", expected: "an array", received: describeValue(instances) }]);
  }
  if (instances.length === 0) {
    return fail(c, 400, "invalid_request", '"instances" is empty', [{ path: "instances", expected: `1 to ${s.maxBatch} items`, received: "0 items" }]);
  }
  if (instances.length > s.maxBatch) {
    return fail(c, 413, "batch_too_large", `at most ${s.maxBatch} instances per request`, [{ path: "instances", expected: `1 to ${s.maxBatch} items`, received: `${instances.length} items` }]);
  }
  return instances;
}

async function handlePredict(c: Context<AppEnv>, name: string): Promise<Response> {
  const s = c.var.settings;
  const contentType = c.req.header("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    return fail(c, 415, "unsupported_media_type", "send the body as JSON with Content-Type: application/json");
  }
  const parsed = parseJsonBody(await c.req.arrayBuffer());
  if (!parsed.ok) return fail(c, 400, parsed.code, parsed.message);
  const instances = readEnvelope(c, parsed.value, s);
  if (instances instanceof Response) return instances;
  const explain = c.req.query("explain");
  if (explain !== undefined && explain !== "true" && explain !== "false") {
    return fail(c, 400, "invalid_request", "explain must be true or false", [{ path: "?explain", expected: "true or false", received: describeValue(explain) }]);
  }

  // A loaded model implies a live backend: the registry's first load starts it and awaits it before building.
  const lookup = await getRegistry(c.env, s).get(name, (p) => c.executionCtx.waitUntil(p));
  if (!lookup.ok) {
    return fail(c, 503, lookup.reason === "not_published" ? "model_not_published" : "model_unavailable",
      lookup.reason === "not_published" ? lookup.message : `model "${name}" is temporarily unavailable; GET /healthz says why`, undefined, RETRY_AFTER);
  }
  const model = lookup.model;
  c.set("modelVersion", model.version);
  const rows: Row[] = [];
  const details: ErrorDetail[] = [];
  let invalid = 0;
  instances.forEach((instance, i) => {
    const r = model.validate(instance, i);
    if (r.ok) rows.push(r.row);
    else { invalid++; if (details.length < 20) details.push(...r.details.slice(0, 20 - details.length)); }
  });
  if (invalid) {
    return fail(c, 422, "invalid_instance", `${invalid} of ${instances.length} instance${instances.length > 1 ? "s are" : " is"} invalid; nothing was scored`, details);
  }
  const predictions = predict(model, rows, explain === "false" ? 0 : s.topK);
  return c.json({ model: { name: model.name, version: model.version }, predictions });
}

/**
 * Reads and discards what is left of a refused body (up to `max` bytes), so
 * the client gets the 413 instead of a connection reset mid-upload.
 */
async function drain(body: ReadableStream<Uint8Array> | null, max: number): Promise<void> {
  if (!body || body.locked) return;
  const reader = body.getReader();
  try {
    for (let read = 0; read < max; ) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
  } catch {
    // The client went away: nothing left to drain.
  } finally {
    reader.releaseLock();
  }
}

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use("*", async (c, next) => {
    const started = performance.now();
    c.set("settings", getSettings(c.env));
    c.set("requestId", crypto.randomUUID());
    await next();
    c.header("X-Request-Id", c.var.requestId);
    log({ id: c.var.requestId, method: c.req.method, path: c.req.routePath, status: c.res.status, ms: Number((performance.now() - started).toFixed(3)), version: c.var.modelVersion ?? null });
  });
  app.use("*", secureHeaders());
  app.use("*", async (c, next) => {
    const origins = c.var.settings.corsOrigins;
    if (origins.length === 0) return next();
    return cors({ origin: origins, allowMethods: ["GET", "POST"], allowHeaders: ["Authorization", "Content-Type"] })(c, next);
  });

  const limitBody = (c: Context<AppEnv>, next: () => Promise<void>) =>
    bodyLimit({
      maxSize: c.var.settings.maxBodyBytes,
      onError: async (c) => {
        await drain(c.req.raw.body, 16 * 1024 * 1024);
        return fail(c, 413, "body_too_large", `the body is larger than ${c.var.settings.maxBodyBytes} bytes`);
      },
    })(c, next);
  const authed = requireApiKey((c) => c.var.settings);

  app.get("/healthz", async (c) => {
    const backend = await initBackend(c.var.settings.backend);
    const fallback = backendError();
    // Tensor count: constant across requests unless something leaks (tests check it).
    return c.json({ status: "ok", backend, ...(fallback ? { backendFallbackReason: fallback } : {}), tensors: tf.memory().numTensors, models: registry?.status() ?? {}, reports: reportProblems() });
  });

  app.get("/openapi.json", (c) => {
    const s = c.var.settings;
    return c.json(openApiDocument(s, registry?.peek(s.modelName)?.manifest.spec));
  });

  app.post("/predict", authed, limitBody, (c) => handlePredict(c, c.var.settings.modelName));
  app.post("/models/:name/predict", authed, limitBody, (c) => {
    const name = c.req.param("name");
    if (!MODEL_NAME_PATTERN.test(name)) return badModelName(c);
    return handlePredict(c, name);
  });

  app.get("/models/:name", authed, async (c) => {
    const name = c.req.param("name");
    if (!MODEL_NAME_PATTERN.test(name)) return badModelName(c);
    const lookup = await getRegistry(c.env, c.var.settings).get(name, (p) => c.executionCtx.waitUntil(p));
    if (!lookup.ok) {
      return lookup.reason === "not_published"
        ? fail(c, 404, "model_not_found", lookup.message)
        : fail(c, 503, "model_unavailable", `model "${name}" is temporarily unavailable; GET /healthz says why`, undefined, RETRY_AFTER);
    }
    const m = lookup.model.manifest;
    c.set("modelVersion", m.version);
    return c.json({ name: m.name, version: m.version, createdAt: m.createdAt, thresholds: m.thresholds, features: m.spec.features, target: { column: m.spec.target, positive: m.spec.positive, negative: m.spec.negative }, card: m.card });
  });

  const report = reportHandlers<Context<AppEnv>>({
    registry: (c) => getRegistry(c.env, c.var.settings), bucket: (c) => c.env.MODELS, timeoutMs: (c) => c.var.settings.r2TimeoutMs,
  });
  app.get("/models/:name/report", authed, report.current);
  app.get("/models/:name/versions/:version/report", authed, report.version);
  // Operator view of the stored versions (module: edge/versions.ts).
  app.get("/models/:name/versions", authed, (c) => handleVersions(c, c.env.MODELS, c.var.settings.r2TimeoutMs));

  // The benchmark's floor: same auth, body limit and JSON parse, no model. Only when BENCH_ROUTES=on.
  app.post("/__bench/noop", authed, limitBody, async (c) => {
    if (c.env.BENCH_ROUTES !== "on") return fail(c, 404, "not_found", "no route");
    const parsed = parseJsonBody(await c.req.arrayBuffer());
    if (!parsed.ok) return fail(c, 400, parsed.code, parsed.message);
    return c.json({ ok: true });
  });

  app.notFound((c) => fail(c, 404, "not_found", `no route ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((err, c) => {
    // Never a stack trace to the client; the log line carries the request id to find it.
    log({ id: c.var.requestId, event: "unhandled_error", error: err instanceof Error ? err.message : String(err) });
    return fail(c, 500, "internal_error", "internal error; the request id is in the X-Request-Id header");
  });
  return app;
}
