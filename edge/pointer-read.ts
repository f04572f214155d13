/**
 * One read of a model's pointer for the registry (edge/registry.ts): the
 * object its conditional get returned, parsed, checked against the name it
 * was read for, the challengers it names, and with signing on the move's
 * signature verified against the history (edge/signing.ts). A failure is
 * thrown carrying the pointer's ETag, so the registry does not retry a
 * version that failed until the pointer moves.
 */
import { keys, parsePointer, type Pointer } from "../shared/artifact.ts";
import { challengersOf, type Challengers } from "../shared/challengers.ts";
import type { TrustedKeys } from "../shared/signing.ts";
import type { Log } from "./context.ts";
import { tooLarge, withTimeout } from "./loader.ts";
import { verifyPointer, type VerifiedMove } from "./signing.ts";

export interface PointerRead {
  pointer: Pointer;
  /** Undefined when the pointer names none, or names them malformed (logged as challengers_malformed). */
  challengers?: Challengers;
  /** The trusted keys, when signing is on. */
  trusted?: TrustedKeys;
  /** The verified move, with how long verifying took, when signing is on. */
  signed?: VerifiedMove & { ms: number };
}

export interface PointerReadOptions {
  timeoutMs: number;
  log: Log;
  trust?: () => Promise<TrustedKeys | undefined>;
  /** The highest signed move this isolate served for the name: an older one is a replay. */
  servedSeq?: number | undefined;
}

const failed = (message: string, etag: string) => Object.assign(new Error(message), { etag });

export async function readPointer(bucket: R2Bucket, obj: R2ObjectBody, name: string, o: PointerReadOptions): Promise<PointerRead> {
  const key = keys.pointer(name);
  const large = tooLarge(obj, key);
  if (large) throw failed(large, obj.etag);
  const text = await withTimeout(obj.text(), o.timeoutMs, `reading ${key}`);
  const parsed = parsePointer(text);
  if (!parsed.ok) throw failed(`${key}: ${parsed.error}`, obj.etag);
  const pointer: Pointer = parsed.value;
  if (pointer.name !== name) throw failed(`${key} names model "${pointer.name}"`, obj.etag);
  // Malformed challengers are none (with signing on, the move's signature then decides whether current stands).
  const named = challengersOf(parsed.value);
  if (!named.ok) o.log({ event: "challengers_malformed", model: name, error: named.error });
  const withChallengers = named.ok && named.challengers ? { challengers: named.challengers } : {};
  const tVerify = performance.now();
  const trusted = await o.trust?.();
  if (!trusted) return { pointer, ...withChallengers };
  try {
    const move = await verifyPointer(bucket, parsed.value, { ...pointer, ...withChallengers }, trusted, o.servedSeq, o.timeoutMs);
    return { pointer, ...withChallengers, trusted, signed: { ...move, ms: performance.now() - tVerify } };
  } catch (e) {
    throw failed(`${key}: ${(e as Error).message}`, obj.etag);
  }
}
