/** The one JSON error shape every 4xx/5xx uses: `{"error": {code, message, details?}}`. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface ErrorDetail {
  /** e.g. `instances[3].Income` */
  path: string;
  expected: string;
  received: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}

export function errorBody(code: string, message: string, details?: ErrorDetail[]): ErrorBody {
  return { error: { code, message, ...(details && details.length ? { details } : {}) } };
}

export function fail(c: Context, status: ContentfulStatusCode, code: string, message: string, details?: ErrorDetail[], headers?: Record<string, string>): Response {
  return c.json(errorBody(code, message, details), status, headers);
}

/** A short, safe rendering of a received value: never echoes a huge body back. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "missing";
  let s: string;
  try {
    s = typeof v === "string" ? JSON.stringify(v) : typeof v === "number" && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
