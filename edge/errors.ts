/**
 * The one JSON error shape every 4xx/5xx uses: `{"error": {code, message, details?}}`,
 * and the one table of every code the service answers with (the README's
 * table is checked against it by a test). A code is typed to its status, so
 * `fail(c, 404, "rate_limited", ...)` does not compile.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorDetail } from "../shared/validate.ts";

export { describeKey, describeValue, type ErrorDetail } from "../shared/validate.ts";

export const ERRORS = {
  invalid_json: { status: 400, when: "the body is not JSON; the message names the line and column where parsing failed (no position past 256 levels of nesting)" },
  invalid_encoding: { status: 400, when: "the body is not valid UTF-8" },
  duplicate_key: { status: 400, when: "a JSON object has the same key twice (parsers disagree on which one wins)" },
  invalid_request: { status: 400, when: 'not `{"instances": [...]}` (an unwrapped applicant is named as such), a bad `id`, a bad or repeated query parameter, an object with more than 4096 keys' },
  unauthorized: { status: 401, when: "no credentials, or an API key that is not configured" },
  token_invalid: { status: 401, when: "the bearer token is not a well-formed JWT, or has no `exp`" },
  token_algorithm_not_allowed: { status: 401, when: "the token's `alg` is not one of `JWT_ALGORITHMS` (`none` and HS* never are), or not the algorithm of the key its `kid` names" },
  token_unknown_key: { status: 401, when: "no key in the JWKS has the token's `kid` (the JWKS is refetched at most once a minute)" },
  token_invalid_signature: { status: 401, when: "the signature does not verify with the key its `kid` names" },
  token_expired: { status: 401, when: "`exp` is past (beyond the allowed clock skew)" },
  token_not_yet_valid: { status: 401, when: "`nbf` or `iat` is in the future (beyond the allowed clock skew)" },
  token_wrong_issuer: { status: 401, when: "`iss` is not `JWT_ISSUER`" },
  token_wrong_audience: { status: 401, when: "`aud` does not include `JWT_AUDIENCE`" },
  insufficient_scope: { status: 403, when: "valid credentials without the route's scope (`scoring` or `operator`)" },
  not_found: { status: 404, when: "no such route" },
  model_not_found: { status: 404, when: "a model name that has never been published (on every route that takes one)" },
  version_not_found: { status: 404, when: "a version id that is malformed or not stored for the model (versioned report route)" },
  report_not_found: { status: 404, when: "a version published without a report (before reports existed)" },
  body_timeout: { status: 408, when: "the body did not all arrive within `BODY_TIMEOUT_SECONDS` (a stalled upload); `details` give the size declared and what arrived" },
  method_not_allowed: { status: 405, when: "a known path with another method; `Allow` lists the methods" },
  body_too_large: { status: 413, when: "the body is over `MAX_BODY_BYTES`" },
  batch_too_large: { status: 413, when: "more than `MAX_BATCH` instances" },
  unsupported_media_type: { status: 415, when: "`Content-Type` is not `application/json`" },
  invalid_instance: { status: 422, when: "a feature value is wrong (type, range, category, missing, unknown field, too many fields, outside the training range of a `--strict-ranges` model); nothing is scored" },
  rate_limited: { status: 429, when: "over the caller's rate limit; `Retry-After` says when to retry" },
  internal_error: { status: 500, when: "a bug; the log line with the `X-Request-Id` says what" },
  model_unavailable: { status: 503, when: "a published model that cannot be loaded right now (`Retry-After`)" },
  report_unavailable: { status: 503, when: "a report that cannot be read now (`Retry-After`) or failed verification against its manifest (not served; the reason is in the operator's `/healthz`)" },
  storage_unavailable: { status: 503, when: "the model store could not be listed or read (`Retry-After`)" },
  auth_not_configured: { status: 503, when: "authentication is misconfigured or missing for this deployment: fails closed (the reason is in the logs and the operator's `/healthz`)" },
  auth_unavailable: { status: 503, when: "the identity provider's JWKS cannot be fetched and none is cached (`Retry-After`; refetched with back-off, not per request); a token no key could make valid gets its 401 first" },
} as const satisfies Record<string, { status: ContentfulStatusCode; when: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** The codes that go with one status. */
export type CodeFor<S extends ContentfulStatusCode> = { [K in ErrorCode]: (typeof ERRORS)[K]["status"] extends S ? K : never }[ErrorCode];

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: ErrorDetail[]; hint?: string };
}

export function errorBody(code: ErrorCode, message: string, details?: ErrorDetail[], hint?: string): ErrorBody {
  return { error: { code, message, ...(details && details.length ? { details } : {}), ...(hint ? { hint } : {}) } };
}

export function fail<S extends ContentfulStatusCode>(c: Context, status: S, code: CodeFor<S>, message: string, details?: ErrorDetail[], headers?: Record<string, string>): Response {
  return c.json(errorBody(code, message, details), status, headers);
}

/**
 * The same, plus what an operator should do about it (`npm run train`,
 * `wrangler secret put ...`): shown only to callers with the operator scope,
 * since clients cannot act on it and it describes the deployment.
 */
export function failWithHint<S extends ContentfulStatusCode>(c: Context, status: S, code: CodeFor<S>, message: string, hint: string, headers?: Record<string, string>): Response {
  const operator = (c.get("caller") as { scopes?: ReadonlySet<string> } | undefined)?.scopes?.has("operator") ?? false;
  return c.json(errorBody(code, message, undefined, operator ? hint : undefined), status, headers);
}
