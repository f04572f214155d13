/**
 * Bearer API keys, compared in constant time: both sides are hashed to
 * SHA-256 (equal length) and compared with `crypto.subtle.timingSafeEqual`,
 * against every configured key without stopping at the first match. Configured
 * keys are hashed once per isolate.
 */
import type { KeyEntry, KeySource, Scope } from "./config.ts";

async function digest(s: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
}

const hex = (b: ArrayBuffer, bytes: number) => [...new Uint8Array(b, 0, bytes)].map((x) => x.toString(16).padStart(2, "0")).join("");

/** A key as the matcher holds it: its digest and a loggable id (the first 6 bytes of that digest). */
interface HashedKey { digest: ArrayBuffer; id: string; scopes: ReadonlySet<Scope> }

const hashed = new WeakMap<KeyEntry[], Promise<HashedKey[]>>();

function hashAll(entries: KeyEntry[]): Promise<HashedKey[]> {
  let p = hashed.get(entries);
  if (!p) {
    p = Promise.all(entries.map(async (e) => { const d = await digest(e.key); return { digest: d, id: `key-${hex(d, 6)}`, scopes: e.scopes }; }));
    hashed.set(entries, p);
  }
  return p;
}

/** The matching key's id and scopes, or undefined. Every configured key is compared. */
export async function matchKey(presented: string, sources: KeySource[]): Promise<{ id: string; scopes: ReadonlySet<Scope> } | undefined> {
  const p = await digest(presented);
  let match: HashedKey | undefined;
  for (const source of sources) {
    for (const k of await hashAll(source.entries)) {
      // Call first, then choose: every key is compared whatever the earlier results.
      const equal = crypto.subtle.timingSafeEqual(p, k.digest);
      match = equal ? k : match;
    }
  }
  return match && { id: match.id, scopes: match.scopes };
}

const subjects = new Map<string, string>();

/** A loggable, stable pseudonym for a JWT subject (remembered for the most recent 2048 subjects). */
export async function subjectId(sub: string): Promise<string> {
  let id = subjects.get(sub);
  if (id === undefined) {
    id = `sub-${hex(await digest(sub), 6)}`;
    if (subjects.size >= 2048) subjects.clear();
    subjects.set(sub, id);
  }
  return id;
}
