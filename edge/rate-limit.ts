/**
 * Per-caller rate limits with the Workers Rate Limiting binding
 * (wrangler.toml `[[ratelimits]]`, name RATE_LIMITER). The key is the JWT
 * subject, else the API key's id, else the client IP, so one app user cannot
 * spend another's budget. The binding says only yes or no, so `Retry-After`
 * is its period (RATE_LIMIT_PERIOD_SECONDS): a client that waits that long is
 * in a new window.
 */
import type { Context } from "hono";
import type { AppEnv } from "./context.ts";
import { log } from "./context.ts";
import { fail } from "./errors.ts";

/** A 429 response if `key` is over its limit, else undefined. A failing binding lets the request through (logged). */
export async function rateLimited(c: Context<AppEnv>, key: string): Promise<Response | undefined> {
  const { enabled, periodSeconds } = c.get("settings").rateLimit;
  const limiter = c.env.RATE_LIMITER;
  if (!enabled || !limiter) return undefined;
  let success: boolean;
  try {
    ({ success } = await limiter.limit({ key }));
  } catch (e) {
    log({ id: c.get("requestId"), event: "rate_limit_error", error: e instanceof Error ? e.message : String(e) });
    return undefined;
  }
  if (success) return undefined;
  return fail(c, 429, "rate_limited", `too many requests; retry after ${periodSeconds} s`, undefined, { "Retry-After": String(periodSeconds) });
}
