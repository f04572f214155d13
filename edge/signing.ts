/**
 * What the edge trusts: the public keys in MODEL_SIGNING_KEYS, parsed once
 * per isolate, and the check a pointer must pass before its version loads
 * (run once per pointer change, never per request). With keys set, a version
 * loads only if its pointer's move is signed by one of them, its sequence is
 * not below one this isolate already served, the history holds no later move,
 * and its manifest is signed (checked by the loader). Unset: an unsigned
 * store, served on hash checks alone (the log and /healthz say so).
 */
import type { Pointer } from "../shared/artifact.ts";
import type { Challengers } from "../shared/challengers.ts";
import { historyKey, moveOf, verifyMove } from "../shared/move.ts";
import { parseTrustedKeys, type KeysParse, type TrustedKeys } from "../shared/signing.ts";
import { LoadError, withTimeout } from "./loader.ts";

let parsed: { raw: string; result: Promise<KeysParse> } | undefined;

/** The trusted keys; undefined when MODEL_SIGNING_KEYS is empty (signing off). Memoised per isolate. */
export function trustedKeys(raw: string): Promise<KeysParse> | undefined {
  if (!raw) return undefined;
  if (parsed?.raw !== raw) parsed = { raw, result: parseTrustedKeys(raw) };
  return parsed.result;
}

/** The keys, or a LoadError that fails closed: a key list that does not parse trusts nothing. */
export async function requireKeys(raw: string): Promise<TrustedKeys | undefined> {
  const r = trustedKeys(raw);
  if (!r) return undefined;
  const keys = await r;
  if (!keys.ok) throw new LoadError(`MODEL_SIGNING_KEYS is malformed (${keys.error}): no version is trusted until it is fixed`);
  return keys.keys;
}

export interface VerifiedMove { seq: number; keyid: string }

/**
 * Judges a pointer (already parsed, its challengers too: the signature covers them) against the trusted keys and the highest
 * sequence number this isolate served for the name. Throws LoadError saying why.
 */
export async function verifyPointer(bucket: R2Bucket, raw: unknown, pointer: Pointer & { challengers?: Challengers | undefined }, trusted: TrustedKeys, served: number | undefined, timeoutMs: number): Promise<VerifiedMove> {
  const parsedMove = moveOf(raw);
  if (!parsedMove.ok) throw new LoadError(`the pointer's move is malformed (${parsedMove.error}); refused: signing is on`);
  const move = parsedMove.move;
  if (!move) throw new LoadError("the pointer carries no signed move (it was written outside the registry, or before signing began); refused: signing is on");
  const check = await verifyMove(trusted, { ...pointer, move });
  if (!check.ok) throw new LoadError(`the pointer's move ${move.seq} (${move.action} to ${pointer.version}): ${check.error}; refused`);
  if (served !== undefined && move.seq < served) {
    throw new LoadError(`the pointer's move ${move.seq} is older than move ${served}, which this isolate already served: an older signed pointer was put back (replayed); refused`);
  }
  // A fresh isolate has served nothing yet: the history tells it whether a later move exists.
  const next = historyKey(pointer.name, move.seq + 1);
  if (await withTimeout(bucket.head(next), timeoutMs, `reading ${next}`)) {
    throw new LoadError(`the pointer's move ${move.seq} is not the latest: the history already records move ${move.seq + 1} (an older signed pointer was put back); refused`);
  }
  return { seq: move.seq, keyid: check.keyid };
}
