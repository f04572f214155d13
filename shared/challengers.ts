/**
 * Challengers of a model's current version, as the pointer `<name>/current.json`
 * names them: a canary (answers a stable share of callers) and a shadow
 * (scores every request after the answer is sent; never returned). They live
 * in the pointer, so every change is a pointer move: compare-and-swap, a
 * history record, and, with signing on, a signature over that record which
 * covers the versions, their manifest hashes and the share. A bucket writer
 * can therefore neither route traffic to another version nor change the share
 * without the edge refusing the whole pointer.
 *
 * Who is in the canary: `canaryPoint(model, callerKey)` maps the caller to a
 * point in [0, 1) with FNV-1a (32-bit) over the UTF-8 bytes of
 * `<model>\n<caller key>`, mixed by MurmurHash3's 32-bit finalizer; the caller
 * is in the canary when the point is below the share. Deterministic across
 * isolates and versions (no salt), so a caller stays in (or out of) the
 * canary, and raising the share only adds callers.
 */
import { type } from "arktype";
import { VERSION_PATTERN } from "./artifact.ts";

/** A version a challenger role names, with its manifest's sha256 (the edge loads and checks it like current). */
export interface ChallengerRef { version: string; manifestSha256: string }

export interface Challengers {
  canary?: ChallengerRef & { share: number };
  shadow?: ChallengerRef;
}

export type ChallengerRole = keyof Challengers;

/** The roles, in the order every listing and check takes them. */
export const CHALLENGER_ROLES: readonly ChallengerRole[] = ["canary", "shadow"];

/** The challengers a pointer or record names, each with its role, in CHALLENGER_ROLES order. */
export function challengerList(c: Challengers | undefined): (ChallengerRef & { role: ChallengerRole })[] {
  return CHALLENGER_ROLES.flatMap((role) => {
    const ref = c?.[role];
    return ref ? [{ role, version: ref.version, manifestSha256: ref.manifestSha256 }] : [];
  });
}

const sha = /^[0-9a-f]{64}$/;
export const challengerRef = type({ version: VERSION_PATTERN, manifestSha256: sha });
export const challengersType = type({
  "canary?": { version: VERSION_PATTERN, manifestSha256: sha, share: "0 < number <= 1" },
  "shadow?": challengerRef,
});

export type ChallengersParse = { ok: true; challengers: Challengers | undefined } | { ok: false; error: string };

/** The `challengers` a parsed pointer carries (undefined: none). */
export function challengersOf(raw: unknown): ChallengersParse {
  const c = (raw as { challengers?: unknown } | null)?.challengers;
  if (c === undefined) return { ok: true, challengers: undefined };
  const out = challengersType(c);
  if (out instanceof type.errors) return { ok: false, error: out.summary };
  return { ok: true, challengers: normalize(out as Challengers) };
}

/** Fields in a fixed order and empty roles dropped: the bytes a record signs must not depend on who built the object. */
export function normalize(c: Challengers | undefined): Challengers | undefined {
  if (!c) return undefined;
  const out: Challengers = {};
  if (c.canary) out.canary = { version: c.canary.version, manifestSha256: c.canary.manifestSha256, share: c.canary.share };
  if (c.shadow) out.shadow = { version: c.shadow.version, manifestSha256: c.shadow.manifestSha256 };
  return out.canary || out.shadow ? out : undefined;
}

/** Every move keeps the challengers, except a role whose version becomes current (a promote of the canary ends the canary). */
export function afterMoveTo(c: Challengers | undefined, current: string): Challengers | undefined {
  if (!c) return undefined;
  return normalize({
    ...(c.canary && c.canary.version !== current ? { canary: c.canary } : {}),
    ...(c.shadow && c.shadow.version !== current ? { shadow: c.shadow } : {}),
  });
}

/** The point in [0, 1) a caller key maps to for a model (see the module comment). */
export function canaryPoint(model: string, callerKey: string): number {
  const bytes = new TextEncoder().encode(`${model}\n${callerKey}`);
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

export function inCanary(model: string, callerKey: string, share: number): boolean {
  return canaryPoint(model, callerKey) < share;
}
