/**
 * Ed25519 signatures through Web Crypto, which Node ≥ 22 and workerd both
 * have, so the trainer signs and the edge verifies with the same code and no
 * crypto dependency. What a signature covers is bound to its kind by DSSE's
 * pre-authentication encoding (the envelope Sigstore and in-toto use): a
 * signature over a pointer move can never pass as one over a manifest.
 *
 * Keys are named by a key id, the first 16 hex digits of the sha256 of the raw
 * 32-byte public key, so a key list cannot label a key with another's id.
 * `MODEL_SIGNING_KEYS` (the Worker's variable, and what the Node commands
 * trust) is a comma-separated list of `<key id>:<base64 public key>`.
 */
import { sha256Hex } from "./hash.ts";

/** What a manifest signature covers: the manifest's exact bytes. */
export const MANIFEST_PAYLOAD = "application/vnd.edgescore.manifest+json";
/** What a move signature covers: the history record's bytes without its signatures. */
export const MOVE_PAYLOAD = "application/vnd.edgescore.move+json";

export const SIGNATURES_FORMAT = "edgescore.signatures/v1";
/** A decisions object's signature covers its gzip bytes as the consumer wrote them. */
export const DECISIONS_PAYLOAD = "application/vnd.edgescore.decisions+ndjson+gzip";

export interface Signature {
  keyid: string;
  /** base64 of the 64-byte Ed25519 signature over PAE(payloadType, payload). */
  sig: string;
}

/** A public key the verifier trusts. */
export interface TrustedKey { keyid: string; key: CryptoKey; raw: Uint8Array }
export type TrustedKeys = ReadonlyMap<string, TrustedKey>;

/** The private half, with the id of its public key. */
export interface Signer { keyid: string; key: CryptoKey; publicKey: Uint8Array }

export const KEYID_PATTERN = /^[0-9a-f]{16}$/;
/** Signatures looked at per object: one per key in use (two while rotating) leaves room; a writer cannot make a check slow. */
const MAX_SIGNATURES = 8;
const ED25519 = { name: "Ed25519" } as const;

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** DSSE v1 pre-authentication encoding: "DSSEv1 <len> <type> <len> <body>". */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const enc = new TextEncoder();
  const type = enc.encode(payloadType);
  const head = enc.encode(`DSSEv1 ${type.byteLength} ${payloadType} ${payload.byteLength} `);
  const out = new Uint8Array(head.byteLength + payload.byteLength);
  out.set(head);
  out.set(payload, head.byteLength);
  return out;
}

export async function keyIdOf(rawPublicKey: Uint8Array): Promise<string> {
  return (await sha256Hex(rawPublicKey)).slice(0, 16);
}

export async function importPublicKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, ED25519, true, ["verify"]);
}

export type KeysParse = { ok: true; keys: TrustedKeys } | { ok: false; error: string };

/**
 * `<key id>:<base64>` entries, comma-separated. Fails closed: one malformed
 * entry, an id that is not its key's, or no entry at all makes the whole list an error.
 */
export async function parseTrustedKeys(text: string): Promise<KeysParse> {
  const keys = new Map<string, TrustedKey>();
  for (const entry of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const at = entry.indexOf(":");
    const keyid = at > 0 ? entry.slice(0, at) : "";
    const raw = fromBase64(entry.slice(at + 1));
    if (!KEYID_PATTERN.test(keyid) || !raw || raw.byteLength !== 32) {
      return { ok: false, error: `entry ${keys.size + 1} is not "<16 hex key id>:<base64 of a 32-byte Ed25519 public key>" (as \`npm run models -- keygen\` prints)` };
    }
    if ((await keyIdOf(raw)) !== keyid) return { ok: false, error: `key id ${keyid} is not the id of the public key beside it` };
    try {
      keys.set(keyid, { keyid, key: await importPublicKey(raw), raw });
    } catch (e) {
      return { ok: false, error: `key ${keyid} is not an Ed25519 public key: ${(e as Error).message}` };
    }
  }
  // A setting that lists nothing (",") is a mistake: read as "no keys", a Node command would check nothing.
  if (!keys.size) return { ok: false, error: "it lists no key" };
  return { ok: true, keys };
}

/** The `MODEL_SIGNING_KEYS` entry for a public key. */
export async function trustedKeyEntry(rawPublicKey: Uint8Array): Promise<string> {
  return `${await keyIdOf(rawPublicKey)}:${toBase64(rawPublicKey)}`;
}

/** The DER inside a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), or undefined when there is none. */
function pemToDer(pem: string): Uint8Array | undefined {
  const m = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(pem);
  return m ? fromBase64((m[1] as string).replace(/\s+/g, "")) : undefined;
}

export type SignerParse = { ok: true; signer: Signer } | { ok: false; problem: "not_pem" | "not_ed25519" | "no_public_key"; detail?: string };

/** A signer from PKCS#8 PEM text (Node's `EDGESCORE_SIGNING_KEY`, the Worker's `DECISIONS_SIGNING_KEY`); never throws. */
export async function signerFromPem(pem: string): Promise<SignerParse> {
  const der = pemToDer(pem);
  if (!der) return { ok: false, problem: "not_pem" };
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("pkcs8", der, ED25519, true, ["sign"]);
  } catch (e) {
    return { ok: false, problem: "not_ed25519", detail: (e as Error).message };
  }
  // The JWK form of an Ed25519 private key carries its public half (x).
  const jwk = (await crypto.subtle.exportKey("jwk", key)) as JsonWebKey;
  const publicKey = fromBase64((jwk.x ?? "").replace(/-/g, "+").replace(/_/g, "/").padEnd(44, "="));
  if (!publicKey || publicKey.byteLength !== 32) return { ok: false, problem: "no_public_key" };
  return { ok: true, signer: { keyid: await keyIdOf(publicKey), key, publicKey } };
}

export async function sign(signer: Signer, payloadType: string, payload: Uint8Array): Promise<Signature> {
  const sig = new Uint8Array(await crypto.subtle.sign(ED25519, signer.key, pae(payloadType, payload)));
  return { keyid: signer.keyid, sig: toBase64(sig) };
}

export type SignatureCheck = { ok: true; keyid: string } | { ok: false; error: string };

/** Valid when one signature is by a trusted key and verifies; otherwise says why not. */
export async function verifySignatures(trusted: TrustedKeys, payloadType: string, payload: Uint8Array, signatures: readonly Signature[] | undefined, setting = "MODEL_SIGNING_KEYS"): Promise<SignatureCheck> {
  if (!signatures?.length) return { ok: false, error: "it is not signed" };
  const message = pae(payloadType, payload);
  const untrusted: string[] = [];
  let failed: string | undefined;
  // Every signature is tried: a bad one beside a good one (a writer can add any) must not hide the good one.
  for (const s of signatures.slice(0, MAX_SIGNATURES)) {
    const k = trusted.get(s.keyid);
    if (!k) { untrusted.push(s.keyid); continue; }
    const sig = fromBase64(s.sig);
    if (sig && sig.byteLength === 64 && (await crypto.subtle.verify(ED25519, k.key, sig, message))) return { ok: true, keyid: s.keyid };
    failed ??= s.keyid;
  }
  if (failed) return { ok: false, error: `its signature by key ${failed} does not verify (changed after signing, or forged)` };
  return { ok: false, error: `it is signed only by key${untrusted.length === 1 ? "" : "s"} ${untrusted.join(", ")}, which ${untrusted.length === 1 ? "is" : "are"} not trusted (${setting})` };
}

/** The well-formed signatures in a parsed list (anything else: none); a writer can put anything there. */
export function signaturesIn(list: unknown): Signature[] {
  return Array.isArray(list) ? list.filter((s): s is Signature => typeof s?.keyid === "string" && typeof s?.sig === "string") : [];
}

/** `manifest.sig`: the signatures over a version's manifest, beside it in the version's folder. */
export interface SignatureFile { format: typeof SIGNATURES_FORMAT; payloadType: string; signatures: Signature[] }

export function signatureFileBytes(signatures: Signature[]): Uint8Array {
  const file: SignatureFile = { format: SIGNATURES_FORMAT, payloadType: MANIFEST_PAYLOAD, signatures };
  return new TextEncoder().encode(`${JSON.stringify(file)}\n`);
}

/** The signatures in a `manifest.sig`, or why it is not one. Never throws. */
export function parseSignatureFile(bytes: Uint8Array): { ok: true; signatures: Signature[] } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { ok: false, error: "manifest.sig is not valid JSON" };
  }
  const f = json as Partial<SignatureFile> | null;
  if (!f || typeof f !== "object" || f.format !== SIGNATURES_FORMAT || f.payloadType !== MANIFEST_PAYLOAD || !Array.isArray(f.signatures)) {
    return { ok: false, error: `manifest.sig is not an ${SIGNATURES_FORMAT} file for a manifest` };
  }
  return { ok: true, signatures: signaturesIn(f.signatures) };
}

/** What a command signs with (absent: it cannot sign) and which keys it accepts (empty: signatures are not required). */
export interface Signing { signer?: Signer; trusted: TrustedKeys }
