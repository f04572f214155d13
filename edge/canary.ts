/**
 * Who a request counts as for the canary (shared/challengers.ts hashes it):
 * the JWT subject, else the API key's id, else the first instance's
 * pass-through id, else the request id. A caller with a subject or a key is
 * always routed the same way; an anonymous caller is, as long as it sends the
 * same pass-through id (or X-Request-Id). The key is hashed, never logged.
 */
import type { Context } from "hono";
import type { AppEnv } from "./context.ts";

/** A pass-through value longer than this is not an id anyone routes by: the request id is used. */
const MAX_KEY = 256;

export function canaryCallerKey(c: Context<AppEnv>, instances: unknown[]): string {
  const caller = c.get("caller");
  if (caller?.kind === "jwt" && caller.rateKey.startsWith("sub:")) return caller.rateKey;
  if (caller?.kind === "key") return `key:${caller.rateKey}`;
  const passKey = c.get("settings").passThroughKey;
  const first = instances[0];
  if (passKey && first && typeof first === "object" && !Array.isArray(first)) {
    const v = (first as Record<string, unknown>)[passKey];
    if ((typeof v === "string" && v.length > 0 && v.length <= MAX_KEY) || (typeof v === "number" && Number.isFinite(v))) return `pass:${v}`;
  }
  return `request:${c.get("requestId")}`;
}
