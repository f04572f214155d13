/**
 * The HTTP surface: middleware every request passes, then the route table.
 * Every request gets a request id and one log line (id, route, status,
 * latency, model version, caller id: never feature values, keys or tokens);
 * every error is the JSON shape in errors.ts; nothing the client sends can
 * reach a 5xx. Routes live in routes/, access control in auth/guard.ts.
 */
import { Hono, type Context, type Next } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { guard, identify } from "./auth/guard.ts";
import { logRequest } from "./capture/tally.ts";
import { parseJsonBody } from "./body.ts";
import { log, type AppEnv } from "./context.ts";
import { settings, type Env, type Settings } from "./env.ts";
import { describeKey, fail } from "./errors.ts";
import { drain, DRAIN_MAX_BYTES, DRAIN_MAX_MS, limitBody, readBody } from "./limits.ts";
import { answerOtherMethods } from "./methods.ts";
import { openApiDocument } from "./openapi.ts";
import { health } from "./routes/health.ts";
import { modelApiDocument, modelCard } from "./routes/models.ts";
import { currentReport, versionReport } from "./routes/report.ts";
import { modelVersions } from "./routes/versions.ts";
import { predictDefault, predictNamed } from "./routes/predict.ts";

const settingsCache = new WeakMap<Env, Settings>();

function getSettings(env: Env): Settings {
  let s = settingsCache.get(env);
  if (!s) {
    s = settings(env);
    settingsCache.set(env, s);
    // Once per isolate (per env): the operator's /healthz lists them too.
    for (const problem of s.problems) log({ event: "setting_ignored", problem });
  }
  return s;
}

/** A client's own X-Request-Id is kept when it is this well-formed; otherwise one is made. */
export const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

async function requestContext(c: Context<AppEnv>, next: Next): Promise<void> {
  const started = performance.now();
  c.set("startedAt", started);
  c.set("settings", getSettings(c.env));
  const given = c.req.header("x-request-id");
  c.set("requestId", given !== undefined && REQUEST_ID.test(given) ? given : crypto.randomUUID());
  await next();
  c.header("X-Request-Id", c.get("requestId"));
  // Scores, cards and errors are about people's finances: never kept by any cache. A route that
  // sets its own policy keeps it (the report pages: private, revalidated or immutable by version).
  if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
  // With capture, the line carries the records queued before the response: `capture: {records}` (capture/tally.ts).
  logRequest(c, {
    id: c.get("requestId"), method: c.req.method, path: c.req.routePath, status: c.res.status, ms: Number((performance.now() - started).toFixed(3)),
    version: c.get("modelVersion") ?? null, ...(c.get("modelRole") ? { role: c.get("modelRole") } : {}), caller: c.get("caller")?.logId ?? null, ...(c.get("authFailure") ? { auth: c.get("authFailure") } : {}),
  });
}

/**
 * A refusal that never read the body (401, 403, 404, 405, 415, 429, 503, a query error) drains it
 * within drain's bounds before answering. Left unread, the runtime reads the whole upload before the
 * answer leaves (a 60 MB unauthenticated body), or never answers a body that stalls. Successes read
 * their body, so they pay only the status check.
 */
async function drainUnreadBody(c: Context<AppEnv>, next: Next): Promise<void> {
  await next();
  if (c.res.status >= 400 && !c.req.raw.bodyUsed) await drain(c.req.raw.body, DRAIN_MAX_BYTES, DRAIN_MAX_MS);
}

const corsCache = new WeakMap<Settings, ReturnType<typeof cors>>();

function corsFromSettings(c: Context<AppEnv>, next: Next) {
  const s = c.get("settings");
  if (s.corsOrigins.length === 0) return next();
  let handler = corsCache.get(s);
  if (!handler) {
    handler = cors({
      origin: s.corsOrigins, allowMethods: ["GET", "POST"], allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
      exposeHeaders: ["X-Request-Id", "Retry-After"], maxAge: 600,
    });
    corsCache.set(s, handler);
  }
  return handler(c, next);
}

/**
 * `?explain=false&explain=maybe` is ambiguous (which one counts?): refused, like duplicate JSON keys.
 * The names are kept for the routes that refuse unknown ones (edge/routes/predict.ts).
 */
async function rejectRepeatedQuery(c: Context<AppEnv>, next: Next) {
  if (c.req.url.includes("?")) {
    const seen = new Set<string>();
    for (const k of new URL(c.req.url).searchParams.keys()) {
      if (seen.has(k)) {
        return fail(c, 400, "invalid_request", `the query parameter "${describeKey(k)}" is given more than once`, [{ path: `?${describeKey(k)}`, expected: "at most once", received: "repeated" }]);
      }
      seen.add(k);
    }
    c.set("queryKeys", seen);
  }
  return next();
}

const MAX_PADDED_BYTES = 4 * 1024 * 1024;
/** The last size asked for, kept: one at a time, so no caller can make the isolate hold more than one. */
let padded: Uint8Array<ArrayBuffer> | undefined;
/** `{"pad":"xx…"}`, exactly `n` bytes (the bench's floor for an answer's size); undefined outside 12 … MAX_PADDED_BYTES. */
function paddedAnswer(n: number): Uint8Array<ArrayBuffer> | undefined {
  if (!Number.isInteger(n) || n < 12 || n > MAX_PADDED_BYTES) return undefined;
  if (padded?.length !== n) {
    padded = new Uint8Array(n);
    new TextEncoder().encodeInto(`{"pad":"${"x".repeat(n - 10)}"}`, padded);
  }
  return padded;
}

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", requestContext);
  app.use("*", drainUnreadBody);
  app.use("*", secureHeaders());
  app.use("*", corsFromSettings);
  app.use("*", rejectRepeatedQuery);

  // Public: only health, and only {"ok"} unless the caller is an operator.
  app.get("/healthz", identify(), health);

  // Scoring scope: the app's users and backends.
  app.post("/predict", guard("scoring"), limitBody, predictDefault);
  app.post("/models/:name/predict", guard("scoring"), limitBody, predictNamed);
  app.get("/openapi.json", guard("scoring", "operator"), (c) => c.json(openApiDocument(c.get("settings"))));

  // Operator scope: what a model is, was and was trained on. One line per route.
  app.get("/models/:name", guard("operator"), modelCard);
  app.get("/models/:name/openapi.json", guard("operator"), modelApiDocument);
  app.get("/models/:name/versions", guard("operator"), modelVersions);
  app.get("/models/:name/report", guard("operator"), currentReport);
  app.get("/models/:name/versions/:version/report", guard("operator"), versionReport);

  // The benchmark's floor: same auth, body limit and JSON parse, no model. Only when BENCH_ROUTES=on.
  app.post("/__bench/noop", guard("scoring"), limitBody, async (c) => {
    if (c.env.BENCH_ROUTES !== "on") return fail(c, 404, "not_found", "no route");
    const bytes = await readBody(c);
    if (bytes instanceof Response) return bytes;
    const parsed = parseJsonBody(bytes);
    if (!parsed.ok) return fail(c, 400, parsed.code, parsed.message);
    const size = c.req.query("bytes");
    if (size === undefined) return c.json({ ok: true });
    // `?bytes=N`: an answer of N bytes, made once: what sending an answer that size costs, without building it.
    const padded = paddedAnswer(Number(size));
    return padded ? c.body(padded, undefined, { "Content-Type": "application/json" }) : fail(c, 400, "invalid_request", `bytes must be a whole number from 12 to ${MAX_PADDED_BYTES}`);
  });

  // After every route: a known path with another method is 405, not 404.
  answerOtherMethods(app);
  app.notFound((c) => fail(c, 404, "not_found", `no route ${describeKey(c.req.method)} ${describeKey(new URL(c.req.url).pathname)}`));
  app.onError((err, c) => {
    // Never a stack trace to the client; the log line carries the request id to find it.
    log({ id: c.get("requestId"), event: "unhandled_error", error: err instanceof Error ? err.message : String(err) });
    return fail(c, 500, "internal_error", "internal error; the request id is in the X-Request-Id header");
  });
  return app;
}
