/** The one JSON error shape every 4xx/5xx uses: `{"error": {code, message, details?}}`. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorDetail } from "../shared/validate.ts";

export { describeValue, type ErrorDetail } from "../shared/validate.ts";

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}

export function errorBody(code: string, message: string, details?: ErrorDetail[]): ErrorBody {
  return { error: { code, message, ...(details && details.length ? { details } : {}) } };
}

export function fail(c: Context, status: ContentfulStatusCode, code: string, message: string, details?: ErrorDetail[], headers?: Record<string, string>): Response {
  return c.json(errorBody(code, message, details), status, headers);
}
