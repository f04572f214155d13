/**
 * Turns the request's credentials into a Caller, or says why not. Which
 * source judges a bearer value follows from its shape: three base64url parts
 * is a JWT (with AUTH_MODE jwt or keys+jwt), anything else an API key.
 */
import type { Context } from "hono";
import type { AppEnv, Caller } from "../context.ts";
import { log } from "../context.ts";
import { authProblems, canGrant, SCOPES, type AuthConfig, type Scope } from "./config.ts";
import { claimScopes, jwksFor, looksLikeJwt, verifyJwt, type JwtFailure } from "./jwt.ts";
import { matchKey, subjectId } from "./keys.ts";

export type AuthOutcome =
  | { ok: true; caller: Caller }
  | { ok: false; status: 401; code: "unauthorized" | JwtFailure; message: string }
  | { ok: false; status: 503; code: "auth_not_configured" | "auth_unavailable"; message: string };

const NOT_CONFIGURED: AuthOutcome = { ok: false, status: 503, code: "auth_not_configured", message: "authentication is not configured for this service; try again later" };

/** The client's address as Cloudflare reports it (absent locally). */
export const clientIp = (c: Context<AppEnv>) => c.req.header("cf-connecting-ip") ?? "unknown";

const anonymous = (c: Context<AppEnv>, scopes: readonly Scope[]): Caller => ({ kind: "anonymous", rateKey: `ip:${clientIp(c)}`, logId: "anonymous", scopes: new Set(scopes) });

const logged = new WeakSet<AuthConfig>();

/** Logs a configuration's problems once per isolate: where operators look first. */
function reportProblems(cfg: AuthConfig): void {
  if (logged.has(cfg)) return;
  logged.add(cfg);
  const problems = authProblems(cfg);
  if (problems.length) log({ event: "auth_not_configured", mode: cfg.mode, problems });
}

/**
 * `anyOf` is what the route needs (one of): when no working source could
 * grant it, the answer is 503 (fails closed), not 401. Undefined (public
 * routes): no credentials is a public caller with no scope, not a 401.
 */
export async function authenticate(c: Context<AppEnv>, anyOf: readonly Scope[] | undefined): Promise<AuthOutcome> {
  const cfg = c.get("settings").auth;
  reportProblems(cfg);
  const header = c.req.header("authorization");
  if (cfg.mode === "off" && !cfg.modeProblems.length) return { ok: true, caller: anonymous(c, SCOPES) };
  if (header === undefined && !anyOf) return { ok: true, caller: anonymous(c, []) };
  if (cfg.modeProblems.length) return NOT_CONFIGURED;
  if (header === undefined) {
    if (!anyOf || !anyOf.some((s) => canGrant(cfg, s))) return NOT_CONFIGURED;
    return { ok: false, status: 401, code: "unauthorized", message: `send Authorization: Bearer <${cfg.jwt ? (cfg.mode === "jwt" ? "token" : "token or API key") : "API key"}>` };
  }
  const m = /^Bearer +([^\s]+)$/i.exec(header);
  if (!m) return { ok: false, status: 401, code: "unauthorized", message: "the Authorization header must be Bearer <credential>" };
  const token = m[1] as string;

  if (cfg.jwt && looksLikeJwt(token)) {
    if (cfg.jwt.problems.length) return NOT_CONFIGURED;
    const r = await verifyJwt(token, cfg.jwt, jwksFor(cfg.jwt, log), (p) => c.executionCtx.waitUntil(p));
    if (!r.ok) return r.code === "auth_unavailable" ? { ok: false, status: 503, code: r.code, message: r.message } : { ok: false, status: 401, code: r.code, message: r.message };
    const values = claimScopes(r.claims, cfg.jwt.scopeClaim);
    const scopes: Scope[] = ["scoring", ...(values.includes(cfg.jwt.operatorScope) ? (["operator"] as const) : [])];
    const sub = typeof r.claims.sub === "string" && r.claims.sub ? r.claims.sub : undefined;
    return {
      ok: true,
      caller: { kind: "jwt", rateKey: sub ? `sub:${sub}` : `ip:${clientIp(c)}`, logId: sub ? await subjectId(sub) : "jwt-without-sub", scopes: new Set(scopes) },
    };
  }
  if (cfg.keySources.length) {
    const key = await matchKey(token, cfg.keySources);
    if (key) return { ok: true, caller: { kind: "key", rateKey: key.id, logId: key.id, scopes: key.scopes } };
    // The key may be one of a refused (misconfigured) set: fail closed rather than say it is wrong.
    if (cfg.keySources.some((s) => s.problems.length)) return NOT_CONFIGURED;
    return { ok: false, status: 401, code: "unauthorized", message: "the API key is not valid" };
  }
  // No key source: only a (working) JWT setup could have accepted anything.
  if (!cfg.jwt || cfg.jwt.problems.length) return NOT_CONFIGURED;
  return { ok: false, status: 401, code: "unauthorized", message: "send a JWT from the identity provider: Authorization: Bearer <token>" };
}
