/**
 * Bearer API keys, compared in constant time: both sides are hashed to
 * SHA-256 (equal length) and compared with `crypto.subtle.timingSafeEqual`,
 * against every configured key without stopping at the first match.
 */
import type { Context, MiddlewareHandler } from "hono";
import { fail } from "./errors.ts";
import type { Settings } from "./env.ts";

async function digest(s: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
}

export async function keyMatches(presented: string, keys: string[]): Promise<boolean> {
  const p = await digest(presented);
  let match = false;
  for (const k of keys) {
    // Call first, then OR: every key is compared whatever the earlier results.
    match = crypto.subtle.timingSafeEqual(p, await digest(k)) || match;
  }
  return match;
}

/** With keys configured: require one. Without: allowed only in AUTH_MODE=off (local dev), else fail closed. */
export function requireApiKey<C extends Context>(get: (c: C) => Settings): MiddlewareHandler {
  return async (c, next) => {
    const s = get(c as C);
    if (s.apiKeys.length === 0) {
      if (s.authMode === "off") return next();
      return fail(c, 503, "auth_not_configured", "no API keys are configured for this deployment; set them with `wrangler secret put API_KEYS`");
    }
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m || !(await keyMatches(m[1] as string, s.apiKeys))) {
      return fail(c, 401, "unauthorized", "missing or invalid API key: send Authorization: Bearer <key>", undefined, { "WWW-Authenticate": 'Bearer realm="edgescore"' });
    }
    return next();
  };
}
