/**
 * Bearer JWTs from the identity provider, verified against its JWKS.
 *
 * Parsing and signature checks are Hono's (`hono/utils/jwt`: decode, verify).
 * What is here is policy Hono's `jwk` middleware does not offer: the JWKS is
 * fetched once per isolate and its keys imported once (Hono's middleware
 * fetches the JWKS on every request), refetched when older than
 * JWKS_CACHE_SECONDS or, at most once a minute, for an unknown `kid` (key
 * rotation); only RS256/ES256 and only the algorithm each key is for; and
 * `exp`/`nbf`/`iat` judged with a small clock skew, which Hono's verify has
 * no option for. Hono's claim checks are turned off: time, `iss` and `aud`
 * are judged here, after the signature verified (Hono compares `iss`/`aud`
 * before it, which answers a forger's guesses). The time claims are also
 * judged before a key is fetched: a token they refuse is refused whatever
 * its signature, and gets its 401 while the JWKS cannot be fetched.
 *
 * A token that verified is remembered (per isolate, at most
 * VERIFIED_CACHE_SIZE, until it expires or the JWKS changes), as API
 * gateways do: a mobile app sends the same token for its whole lifetime, and
 * repeating the signature check on each request is most of the cost. Time
 * claims are still judged on every request.
 *
 * Hono's error messages quote the whole token: they are mapped to codes and
 * never logged or returned.
 */
import { Jwt } from "hono/utils/jwt";
import type { JwtAlgorithm, JwtConfig } from "./config.ts";

export type JwtFailure =
  | "token_invalid" | "token_algorithm_not_allowed" | "token_unknown_key" | "token_invalid_signature"
  | "token_expired" | "token_not_yet_valid" | "token_wrong_issuer" | "token_wrong_audience";

export type JwtResult =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; code: JwtFailure; message: string }
  | { ok: false; code: "auth_unavailable"; message: string };

export const VERIFIED_CACHE_SIZE = 2048;

/** Minimum time between JWKS refetches caused by an unknown `kid`. */
export const UNKNOWN_KID_REFETCH_MS = 60_000;
const FETCH_TIMEOUT_MS = 3_000;
/**
 * After a failed JWKS fetch no other is tried for 2 s, doubling per failure
 * up to 60 s: while the IdP is down each isolate asks about once a minute,
 * not once per request, and notices its return within a minute.
 */
export const JWKS_RETRY_MIN_MS = 2_000;
export const JWKS_RETRY_MAX_MS = 60_000;

const IMPORT: Record<JwtAlgorithm, SubtleCryptoImportKeyAlgorithm> = {
  RS256: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  ES256: { name: "ECDSA", namedCurve: "P-256" },
};

interface CachedKey { key: CryptoKey; alg: JwtAlgorithm }

/** The algorithm a JWK is for: its own `alg`, else what its type and curve imply. */
function algorithmOf(jwk: JsonWebKey & { kid?: string }): JwtAlgorithm | undefined {
  if (jwk.alg) return jwk.alg === "RS256" || jwk.alg === "ES256" ? jwk.alg : undefined;
  if (jwk.kty === "RSA") return "RS256";
  if (jwk.kty === "EC" && jwk.crv === "P-256") return "ES256";
  return undefined;
}

/** One identity provider's signing keys, by `kid`. */
export class Jwks {
  private keys = new Map<string, CachedKey>();
  /** Tokens whose signature, issuer and audience verified against the keys held now (least recently used first). */
  readonly verified = new Map<string, Record<string, unknown>>();
  private fetchedAt = 0;
  private lastUnknownKidFetch = -Infinity;
  private pending: Promise<boolean> | undefined;
  /** Failed fetches in a row, and when the back-off they earned ends. */
  private failures = 0;
  private retryAt = 0;
  private lastError: string | undefined;

  constructor(private readonly url: string, private readonly algorithms: readonly JwtAlgorithm[], private readonly maxAgeMs: number, private readonly log: (e: Record<string, unknown>) => void) {}

  /** The key for `kid`, fetching or refetching the JWKS as the rules above allow. */
  async get(kid: string, defer: (p: Promise<unknown>) => void): Promise<CachedKey | "unknown" | "unavailable"> {
    if (this.fetchedAt === 0) {
      if (!(await this.refresh())) return "unavailable";
    } else if (Date.now() - this.fetchedAt > this.maxAgeMs) {
      defer(this.refresh());
    }
    let found = this.keys.get(kid);
    if (!found && Date.now() - this.lastUnknownKidFetch >= UNKNOWN_KID_REFETCH_MS) {
      this.lastUnknownKidFetch = Date.now();
      await this.refresh();
      found = this.keys.get(kid);
    }
    return found ?? "unknown";
  }

  /** Whether tokens can be verified: keys are held, or a fetch (if the back-off allows one) gets them. */
  async usable(): Promise<boolean> {
    return this.fetchedAt !== 0 || this.refresh();
  }

  /** For the operator's /healthz: keys held, and the failure streak with its last error. */
  status(): { keys: number; failedFetches: number; lastError?: string } {
    return { keys: this.keys.size, failedFetches: this.failures, ...(this.failures && this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** Starts a background refetch when the JWKS is older than its maximum age (cached tokens skip `get`). */
  refreshIfStale(defer: (p: Promise<unknown>) => void): void {
    if (this.fetchedAt !== 0 && Date.now() - this.fetchedAt > this.maxAgeMs && !this.pending) defer(this.refresh());
  }

  /** One fetch at a time, none during a back-off; on failure the keys already held stay. */
  private refresh(): Promise<boolean> {
    if (!this.pending && Date.now() < this.retryAt) return Promise.resolve(false);
    this.pending ??= this.fetchKeys().finally(() => { this.pending = undefined; });
    return this.pending;
  }

  private async fetchKeys(): Promise<boolean> {
    try {
      // A redirect is not followed: the keys come from the configured https URL or not at all.
      const res = await fetch(this.url, { redirect: "manual", signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: "application/json" } });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(res.status >= 300 && res.status < 400 ? `HTTP ${res.status}: redirects are not followed` : `HTTP ${res.status}`);
      }
      const body = (await res.json()) as { keys?: unknown };
      if (!Array.isArray(body.keys)) throw new Error('no "keys" array');
      const next = new Map<string, CachedKey>();
      for (const jwk of body.keys as (JsonWebKey & { kid?: string })[]) {
        const alg = algorithmOf(jwk);
        if (typeof jwk.kid !== "string" || !alg || !this.algorithms.includes(alg) || (jwk.use !== undefined && jwk.use !== "sig")) continue;
        const material = jwk.kty === "RSA" ? { kty: "RSA", n: jwk.n, e: jwk.e } : { kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y };
        try {
          next.set(jwk.kid, { alg, key: await crypto.subtle.importKey("jwk", material, IMPORT[alg], false, ["verify"]) });
        } catch {
          this.log({ event: "jwks_key_skipped", kid: jwk.kid.slice(0, 64), reason: "import failed" });
        }
      }
      this.keys = next;
      // A key may have been withdrawn: every token is checked against the new set.
      this.verified.clear();
      this.fetchedAt = Date.now();
      this.failures = 0;
      this.retryAt = 0;
      this.log({ event: "jwks_fetched", keys: next.size });
      return true;
    } catch (e) {
      const wait = Math.min(JWKS_RETRY_MIN_MS * 2 ** this.failures++, JWKS_RETRY_MAX_MS);
      this.retryAt = Date.now() + wait;
      this.lastError = e instanceof Error ? e.message : String(e);
      this.log({ event: "jwks_fetch_failed", error: this.lastError, retryInSeconds: wait / 1000 });
      return false;
    }
  }
}

const jwksByUrl = new Map<string, Jwks>();

/** The isolate's JWKS cache for this configuration. */
export function jwksFor(cfg: JwtConfig, log: (e: Record<string, unknown>) => void): Jwks {
  let j = jwksByUrl.get(cfg.jwksUrl);
  if (!j) {
    j = new Jwks(cfg.jwksUrl, cfg.algorithms, cfg.jwksCacheSeconds * 1000, log);
    jwksByUrl.set(cfg.jwksUrl, j);
  }
  return j;
}

/** A JWT is three base64url parts; anything else presented as a bearer value is an API key. */
export const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);

const HONO_ERRORS: Record<string, JwtFailure> = {
  JwtTokenSignatureMismatched: "token_invalid_signature",
  JwtAlgorithmMismatch: "token_algorithm_not_allowed",
};

const MESSAGES: Record<JwtFailure, string> = {
  token_invalid: "the bearer token is not a valid JWT (three base64url parts, a JSON header and payload, an exp claim)",
  token_algorithm_not_allowed: "the token's signing algorithm is not accepted",
  token_unknown_key: "the token's kid names no key of the identity provider",
  token_invalid_signature: "the token's signature does not verify",
  token_expired: "the token has expired; get a new one from the identity provider",
  token_not_yet_valid: "the token is not valid yet (nbf or iat in the future); check the clock",
  token_wrong_issuer: "the token was issued by another issuer than this service accepts",
  token_wrong_audience: "the token is for another audience than this service",
};

const failure = (code: JwtFailure): JwtResult => ({ ok: false, code, message: MESSAGES[code] });

/**
 * `iss` and `aud` against the configuration. Judged here, after the signature
 * verified: Hono's verify compares them first, which told the sender of a
 * forged token whether its guess of the issuer and audience was right.
 */
function checkIssuerAudience(claims: Record<string, unknown>, cfg: JwtConfig): JwtFailure | undefined {
  if (claims.iss !== cfg.issuer) return "token_wrong_issuer";
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  return aud.some((a) => typeof a === "string" && cfg.audiences.includes(a)) ? undefined : "token_wrong_audience";
}

/** `exp` (required), `nbf` and `iat` against the clock, with the configured skew. */
function checkTimes(claims: Record<string, unknown>, skew: number): JwtFailure | undefined {
  const now = Math.floor(Date.now() / 1000);
  const time = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const exp = time(claims.exp);
  if (exp === undefined) return "token_invalid";
  if (exp + skew <= now) return "token_expired";
  for (const claim of ["nbf", "iat"] as const) {
    if (claims[claim] === undefined) continue;
    const t = time(claims[claim]);
    if (t === undefined) return "token_invalid";
    if (t - skew > now) return "token_not_yet_valid";
  }
  return undefined;
}

/**
 * What the unverified claims already settle: a token without `exp`, expired, or not yet valid is
 * refused whatever its signature, so it is refused before the JWKS is asked for a key. While the
 * identity provider is down such a token gets its 401, not 503 auth_unavailable with a Retry-After
 * it could never profit from. The claims are trusted for nothing else before the signature verifies.
 */
function refusedWithoutKeys(payload: unknown, skew: number): JwtFailure | undefined {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return "token_invalid";
  return checkTimes(payload as Record<string, unknown>, skew);
}

export async function verifyJwt(token: string, cfg: JwtConfig, jwks: Jwks, defer: (p: Promise<unknown>) => void): Promise<JwtResult> {
  const known = jwks.verified.get(token);
  if (known) {
    const problem = checkTimes(known, cfg.clockSkewSeconds);
    if (problem) {
      jwks.verified.delete(token);
      return failure(problem);
    }
    jwks.verified.delete(token);
    jwks.verified.set(token, known);
    jwks.refreshIfStale(defer);
    return { ok: true, claims: known };
  }
  let header: { alg?: unknown; kid?: unknown };
  let payload: unknown;
  try {
    ({ header, payload } = Jwt.decode(token) as { header: { alg?: unknown; kid?: unknown }; payload: unknown });
  } catch {
    return failure("token_invalid");
  }
  if (typeof header.alg !== "string" || !cfg.algorithms.includes(header.alg as JwtAlgorithm)) return failure("token_algorithm_not_allowed");
  const never = refusedWithoutKeys(payload, cfg.clockSkewSeconds);
  if (never) return failure(never);
  if (typeof header.kid !== "string") return failure("token_unknown_key");
  const key = await jwks.get(header.kid, defer);
  if (key === "unavailable") return { ok: false, code: "auth_unavailable", message: "the identity provider's keys cannot be fetched right now; retry shortly" };
  if (key === "unknown") return failure("token_unknown_key");
  // A key verifies only the algorithm it is for (no RS256 key used for ES256, or the reverse).
  if (key.alg !== header.alg) return failure("token_algorithm_not_allowed");
  let claims: Record<string, unknown>;
  try {
    // Signature (and alg) only: every claim is judged below, once the token is known to be the provider's.
    claims = (await Jwt.verify(token, key.key, { alg: key.alg, exp: false, nbf: false, iat: false })) as Record<string, unknown>;
  } catch (e) {
    return failure(HONO_ERRORS[(e as Error).name] ?? "token_invalid");
  }
  const problem = checkIssuerAudience(claims, cfg) ?? checkTimes(claims, cfg.clockSkewSeconds);
  if (problem) return failure(problem);
  if (jwks.verified.size >= VERIFIED_CACHE_SIZE) {
    const [oldest] = jwks.verified.keys();
    if (oldest !== undefined) jwks.verified.delete(oldest);
  }
  jwks.verified.set(token, claims);
  return { ok: true, claims };
}

/** The token's scope values from the configured claim: a space-separated string (OAuth) or an array. */
export function claimScopes(claims: Record<string, unknown>, claim: string): string[] {
  const v = claims[claim];
  if (typeof v === "string") return v.split(" ").filter(Boolean);
  if (Array.isArray(v)) return v.filter((s): s is string => typeof s === "string");
  return [];
}
