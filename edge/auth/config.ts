/**
 * Who may call what, parsed once per isolate from the environment. Every
 * credential source (API_KEYS, OPERATOR_KEYS, the JWT settings) is checked on
 * its own; a source with any problem authenticates nobody (fails closed: a
 * typo in a secret must not half-work) and its problems are logged and shown
 * in the operator's /healthz, never to clients.
 */
import type { Env } from "../env.ts";
import { int, list } from "../env.ts";

export type Scope = "scoring" | "operator";
export const SCOPES: readonly Scope[] = ["scoring", "operator"];

export type AuthMode = "off" | "keys" | "jwt" | "keys+jwt";

export type JwtAlgorithm = "RS256" | "ES256";
export const JWT_ALGORITHMS: readonly JwtAlgorithm[] = ["RS256", "ES256"];

export interface KeyEntry {
  key: string;
  scopes: ReadonlySet<Scope>;
}

export interface KeySource {
  /** The variable it came from: API_KEYS or OPERATOR_KEYS. */
  name: string;
  entries: KeyEntry[];
  problems: string[];
}

export interface JwtConfig {
  jwksUrl: string;
  issuer: string;
  audiences: string[];
  algorithms: JwtAlgorithm[];
  scopeClaim: string;
  operatorScope: string;
  clockSkewSeconds: number;
  jwksCacheSeconds: number;
  problems: string[];
}

export interface AuthConfig {
  mode: AuthMode;
  /** Problems with AUTH_MODE itself: nothing authenticates. */
  modeProblems: string[];
  /** Configured key sources (non-empty variables), when the mode uses keys. */
  keySources: KeySource[];
  jwt?: JwtConfig;
}

/** Keys shorter than this are refused: guessable, or a placeholder left in a secret. */
export const MIN_KEY_LENGTH = 16;

function parseKeys(name: string, raw: string | undefined, defaultScopes: Scope[], allowScopeSuffix: boolean): KeySource | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const entries: KeyEntry[] = [];
  const problems: string[] = [];
  const parts = raw.split(",").map((s) => s.trim());
  parts.forEach((part, i) => {
    // Never quote a key: say which entry and what is wrong with it.
    const where = `${name} entry ${i + 1} of ${parts.length}`;
    if (part === "") return problems.push(`${where} is empty (a stray comma?)`);
    let key = part;
    let scopes = defaultScopes;
    const colon = part.lastIndexOf(":");
    if (allowScopeSuffix && colon >= 0) {
      key = part.slice(0, colon);
      const named = part.slice(colon + 1).split("+");
      const unknown = named.filter((s) => !SCOPES.includes(s as Scope));
      if (unknown.length || named.length === 0) return problems.push(`${where} names an unknown scope after ":" (scopes: scoring, operator, scoring+operator)`);
      scopes = named as Scope[];
    }
    if (/\s/.test(key)) return problems.push(`${where} contains whitespace`);
    if (key.length < MIN_KEY_LENGTH) return problems.push(`${where} is ${key.length} characters; keys must be at least ${MIN_KEY_LENGTH} (e.g. openssl rand -hex 32)`);
    entries.push({ key, scopes: new Set(scopes) });
  });
  return { name, entries: problems.length ? [] : entries, problems };
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

function parseJwt(env: Env): JwtConfig {
  const problems: string[] = [];
  const jwksUrl = (env.JWT_JWKS_URL ?? "").trim();
  let url: URL | undefined;
  try {
    url = jwksUrl ? new URL(jwksUrl) : undefined;
  } catch {
    problems.push("JWT_JWKS_URL is not a URL");
  }
  if (!jwksUrl) problems.push("JWT_JWKS_URL is not set");
  else if (url && url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
    problems.push("JWT_JWKS_URL must be https:// (http:// only on loopback, for local tests)");
  }
  const issuer = (env.JWT_ISSUER ?? "").trim();
  if (!issuer) problems.push("JWT_ISSUER is not set");
  const audiences = list(env.JWT_AUDIENCE);
  if (!audiences.length) problems.push("JWT_AUDIENCE is not set");
  const algs = env.JWT_ALGORITHMS === undefined ? [...JWT_ALGORITHMS] : list(env.JWT_ALGORITHMS);
  const badAlgs = algs.filter((a) => !JWT_ALGORITHMS.includes(a as JwtAlgorithm));
  if (badAlgs.length) problems.push(`JWT_ALGORITHMS may only list ${JWT_ALGORITHMS.join(", ")} (found ${badAlgs.map((a) => JSON.stringify(a.slice(0, 20))).join(", ")})`);
  if (!algs.length) problems.push("JWT_ALGORITHMS is empty");
  const skew = int(env.JWT_CLOCK_SKEW_SECONDS, -1, 0, 300);
  if (env.JWT_CLOCK_SKEW_SECONDS !== undefined && skew < 0) problems.push("JWT_CLOCK_SKEW_SECONDS must be a whole number from 0 to 300");
  return {
    jwksUrl, issuer, audiences,
    algorithms: algs.filter((a): a is JwtAlgorithm => JWT_ALGORITHMS.includes(a as JwtAlgorithm)),
    scopeClaim: env.JWT_SCOPE_CLAIM?.trim() || "scope",
    operatorScope: env.JWT_OPERATOR_SCOPE?.trim() || "edgescore:operator",
    clockSkewSeconds: skew < 0 ? 30 : skew,
    jwksCacheSeconds: int(env.JWKS_CACHE_SECONDS, 600, 60, 86_400),
    problems,
  };
}

export function authConfig(env: Env): AuthConfig {
  const raw = (env.AUTH_MODE ?? "keys").trim();
  // "required" is this setting's earlier name for "keys".
  const mode = raw === "required" ? "keys" : raw;
  if (mode !== "off" && mode !== "keys" && mode !== "jwt" && mode !== "keys+jwt") {
    return { mode: "keys", modeProblems: [`AUTH_MODE is ${JSON.stringify(raw.slice(0, 40))}; it must be keys, jwt, keys+jwt or off`], keySources: [] };
  }
  const keySources = [parseKeys("API_KEYS", env.API_KEYS, ["scoring"], true), parseKeys("OPERATOR_KEYS", env.OPERATOR_KEYS, ["operator"], false)]
    .filter((s): s is KeySource => s !== undefined);
  const usesKeys = mode === "keys" || mode === "keys+jwt" || (mode === "off" && keySources.length > 0);
  return {
    // "off" with keys configured enforces them: local dev asks for a key only when .dev.vars sets one.
    mode: mode === "off" && usesKeys ? "keys" : mode,
    modeProblems: [],
    keySources: usesKeys ? keySources : [],
    ...(mode === "jwt" || mode === "keys+jwt" ? { jwt: parseJwt(env) } : {}),
  };
}

/** Every configuration problem, for the log and the operator's /healthz. */
export function authProblems(a: AuthConfig): string[] {
  const out = [...a.modeProblems, ...a.keySources.flatMap((s) => s.problems), ...(a.jwt?.problems ?? [])];
  if (a.mode === "keys" && a.modeProblems.length === 0 && a.keySources.length === 0) {
    out.push("AUTH_MODE is keys but neither API_KEYS nor OPERATOR_KEYS is set (wrangler secret put API_KEYS)");
  }
  return out;
}

/** Whether any working credential source could grant `scope`: if none can, a request for it is 503, not 401. */
export function canGrant(a: AuthConfig, scope: Scope): boolean {
  if (a.modeProblems.length) return false;
  if (a.mode === "off") return true;
  if (a.jwt && a.jwt.problems.length === 0) return true;
  return a.keySources.some((s) => s.entries.some((e) => e.scopes.has(scope)));
}
