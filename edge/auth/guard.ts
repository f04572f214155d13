/**
 * The one guard every non-public route uses:
 *
 *   app.get("/models/:name/versions", guard("operator"), handler);
 *   app.post("/predict", guard("scoring"), limitBody, handler);
 *   app.get("/openapi.json", guard("scoring", "operator"), handler); // either scope
 *
 * In order: authenticate (API key or JWT, per AUTH_MODE), rate-limit the
 * caller (JWT subject, key id, else client IP; failed attempts count against
 * the client IP, 503s included), then require the scope. Answers 503 auth_not_configured
 * when no working credential source could grant the scope (fails closed),
 * 401 with a specific code for bad credentials (and `WWW-Authenticate`), 429
 * over the limit, 403 insufficient_scope for a valid caller without it. On
 * success `c.get("caller")` is set and the handler runs.
 *
 * Scopes: "scoring" (the mobile app's users and backends: predict) and
 * "operator" (model cards, versions, reports, per-model OpenAPI, health
 * details). `identify()` is for public routes that show more to operators.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { fail } from "../errors.ts";
import { rateLimited } from "../rate-limit.ts";
import { authenticate, clientIp } from "./authenticate.ts";
import type { Scope } from "./config.ts";

export function guard(...anyOf: [Scope, ...Scope[]]): MiddlewareHandler<AppEnv> {
  const needs = anyOf.join(" or ");
  return async (c, next) => {
    const outcome = await authenticate(c, anyOf);
    // Before any answer, failures included: a flood of forged tokens while the IdP is down gets 429s, not endless 503s.
    const limited = await rateLimited(c, outcome.ok ? outcome.caller.rateKey : `ip:${clientIp(c)}`);
    if (limited) return limited;
    if (!outcome.ok && outcome.status === 503) {
      c.set("authFailure", outcome.code);
      return fail(c, 503, outcome.code, outcome.message, undefined, outcome.code === "auth_unavailable" ? { "Retry-After": "5" } : undefined);
    }
    if (!outcome.ok) {
      c.set("authFailure", outcome.code);
      const error = outcome.code === "unauthorized" && !c.req.header("authorization") ? "" : ', error="invalid_token"';
      return fail(c, 401, outcome.code, outcome.message, undefined, { "WWW-Authenticate": `Bearer realm="edgescore"${error}` });
    }
    c.set("caller", outcome.caller);
    if (!anyOf.some((s) => outcome.caller.scopes.has(s))) {
      return fail(c, 403, "insufficient_scope", `these credentials do not have the ${needs} scope this route needs`, undefined, { "WWW-Authenticate": `Bearer realm="edgescore", error="insufficient_scope", scope="${anyOf.join(" ")}"` });
    }
    return next();
  };
}

/**
 * For public routes: a request without credentials proceeds as a public
 * caller (no scopes); one with credentials is authenticated like `guard`
 * (bad credentials are still a 401, not silently ignored). Rate-limited too.
 */
export function identify(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const outcome = await authenticate(c, undefined);
    const limited = await rateLimited(c, outcome.ok ? outcome.caller.rateKey : `ip:${clientIp(c)}`);
    if (limited) return limited;
    if (outcome.ok) {
      c.set("caller", outcome.caller);
      return next();
    }
    c.set("authFailure", outcome.code);
    if (outcome.status === 503) return fail(c, 503, outcome.code, outcome.message);
    return fail(c, 401, outcome.code, outcome.message, undefined, { "WWW-Authenticate": 'Bearer realm="edgescore", error="invalid_token"' });
  };
}
