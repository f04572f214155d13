/** What every handler can read from the Hono context, set by the middleware in app.ts. */
import type { Scope } from "./auth/config.ts";
import type { Env, Settings } from "./env.ts";

/** Who is calling, once authenticated. Never holds the credential itself. */
export interface Caller {
  kind: "key" | "jwt" | "anonymous";
  /** Rate-limit identity: the JWT `sub`, the API key's id, else the client IP. */
  rateKey: string;
  /** Safe to log: a key id (hash prefix), a hash of the JWT subject, or "anonymous". */
  logId: string;
  scopes: ReadonlySet<Scope>;
}

/**
 * Read with `c.get(name)`, not `c.var.name`: Hono's `c.var` builds a new
 * object from every variable on each read (~1 µs), and a request reads them
 * a dozen times or more.
 */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    settings: Settings;
    requestId: string;
    /** performance.now() when the request arrived (the log line's and decision records' latency). */
    startedAt: number;
    modelVersion?: string;
    /** Set when the canary answered (the request log says so). */
    modelRole?: "canary";
    caller?: Caller;
    /** Why authentication failed, for the log line (a code, never the credential). */
    authFailure?: string;
    /** The query's parameter names, read once (app.ts); unset when the URL has no query. */
    queryKeys?: Set<string>;
  };
};

export type Log = (event: Record<string, unknown>) => void;

/** One JSON line per event on stdout (Workers Logs / wrangler tail). */
export const log: Log = (event) => console.log(JSON.stringify(event));
