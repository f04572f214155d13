/**
 * Signing keys on the Node side: generating a pair, reading the private key
 * that `EDGESCORE_SIGNING_KEY` names (a file path or the PEM itself), and the
 * keys a command trusts (`MODEL_SIGNING_KEYS`, as the Worker gets them, plus
 * the signer's own). The keys are deliberately not storage credentials: a
 * leaked R2 token can write the bucket but cannot sign what the edge loads.
 *
 * The local store (what `npm start` and `npm run dev` use) signs by default
 * with a pair kept in `.edgescore/keys/` (git-ignored), so the secure path is
 * the one every newcomer runs.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { importPublicKey, keyIdOf, parseTrustedKeys, signerFromPem as parsePem, toBase64, trustedKeyEntry, type Signer, type Signing, type TrustedKey, type TrustedKeys } from "../../shared/signing.ts";

export const LOCAL_KEY_DIR = ".edgescore/keys";
/** The pair `npm run dev`'s Worker signs decision records with: its own, never the model key. */
export const LOCAL_DECISIONS_KEY_DIR = ".edgescore/keys/decisions";
export const PRIVATE_KEY_FILE = "signing.key";
export const PUBLIC_KEY_FILE = "signing.pub";

export class KeyError extends Error {}

const ED25519 = { name: "Ed25519" } as const;

function derToPem(der: Uint8Array): string {
  const b64 = toBase64(der).replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

/** A signer from PKCS#8 PEM text; `where` names its source in errors (never the key itself). */
export async function signerFromPem(pem: string, where: string): Promise<Signer> {
  const r = await parsePem(pem);
  if (r.ok) return r.signer;
  if (r.problem === "not_pem") throw new KeyError(`${where} is not a PEM private key ("-----BEGIN PRIVATE KEY-----"); create one with npm run models -- keygen --out <dir>`);
  if (r.problem === "not_ed25519") throw new KeyError(`${where} is not an Ed25519 private key (${r.detail ?? "refused"}); create one with npm run models -- keygen --out <dir>`);
  throw new KeyError(`${where}: could not derive the public key`);
}

/** `EDGESCORE_SIGNING_KEY`: PEM text, or the path of a file holding it. */
export async function signerFromSetting(value: string): Promise<Signer> {
  if (value.includes("-----BEGIN")) return signerFromPem(value, "EDGESCORE_SIGNING_KEY");
  let text: string;
  try {
    text = readFileSync(value, "utf8");
  } catch (e) {
    throw new KeyError(`EDGESCORE_SIGNING_KEY names ${value}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); set it to the private key file from npm run models -- keygen`);
  }
  return signerFromPem(text, value);
}

export interface KeyPair { keyid: string; privatePem: string; publicKey: Uint8Array; entry: string }

export async function generateKeyPair(): Promise<KeyPair> {
  const pair = (await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"])) as CryptoKeyPair;
  const der = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const publicKey = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  return { keyid: await keyIdOf(publicKey), privatePem: derToPem(der), publicKey, entry: await trustedKeyEntry(publicKey) };
}

export interface WrittenPair { keyid: string; privateKeyPath: string; publicKeyPath: string; entry: string }

/** Writes `signing.key` (mode 0600) and `signing.pub` (the MODEL_SIGNING_KEYS entry); never overwrites. */
export async function writeKeyPair(dir: string): Promise<WrittenPair> {
  const privateKeyPath = join(dir, PRIVATE_KEY_FILE);
  const publicKeyPath = join(dir, PUBLIC_KEY_FILE);
  for (const p of [privateKeyPath, publicKeyPath]) {
    if (existsSync(p)) throw new KeyError(`${p} already exists; keys are never overwritten (choose another --out to rotate)`);
  }
  const pair = await generateKeyPair();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(privateKeyPath, pair.privatePem, { mode: 0o600, flag: "wx" });
  chmodSync(privateKeyPath, 0o600); // the umask cannot widen it
  writeFileSync(publicKeyPath, `${pair.entry}\n`, { flag: "wx" });
  return { keyid: pair.keyid, privateKeyPath, publicKeyPath, entry: pair.entry };
}

/** A local key pair as read: its signer and MODEL_SIGNING_KEYS-style entry, the private key's PEM and where both files are. */
export interface LocalPair { signer: Signer; entry: string; pem: string; path: string; publicKeyPath: string }

/** The local pair, created on first use when `create` (npm start, npm run dev, a local publish). */
export async function localKeys(create: boolean, dir = LOCAL_KEY_DIR): Promise<LocalPair | undefined> {
  const path = join(dir, PRIVATE_KEY_FILE);
  if (!existsSync(path)) {
    if (!create) return undefined;
    await writeKeyPair(dir);
  }
  const pem = readFileSync(path, "utf8");
  const signer = await signerFromPem(pem, path);
  return { signer, entry: await trustedKeyEntry(signer.publicKey), pem, path, publicKeyPath: join(dir, PUBLIC_KEY_FILE) };
}

/** The local decisions pair (created on first use), whose PEM npm run dev hands the Worker. */
export async function localDecisionsKey(dir = LOCAL_DECISIONS_KEY_DIR): Promise<LocalPair> {
  return (await localKeys(true, dir)) as LocalPair; // created when missing, so never undefined
}

/** A trusted-keys setting (`MODEL_SIGNING_KEYS`, `DECISIONS_SIGNING_KEYS`): its keys, undefined when unset; a list that does not parse is a KeyError naming it. */
async function trustedKeysSetting(env: NodeJS.ProcessEnv, name: "MODEL_SIGNING_KEYS" | "DECISIONS_SIGNING_KEYS"): Promise<TrustedKeys | undefined> {
  const listed = env[name]?.trim();
  if (!listed) return undefined;
  const parsed = await parseTrustedKeys(listed);
  if (!parsed.ok) throw new KeyError(`${name}: ${parsed.error}`);
  return parsed.keys;
}

/**
 * `DECISIONS_SIGNING_KEYS`: the public keys of the edge's DECISIONS_SIGNING_KEY. Set, the decisions
 * readers accept only objects signed by one of them; unset, objects are read as they are.
 */
export const decisionsTrustFromEnv = (env: NodeJS.ProcessEnv): Promise<TrustedKeys | undefined> => trustedKeysSetting(env, "DECISIONS_SIGNING_KEYS");

export interface SigningSetup extends Signing {
  /** For logs: where the signing key came from, or why there is none. */
  source: string;
}

/**
 * What a command signs with and trusts. `EDGESCORE_SIGNING_KEY` wins; on the
 * local store the local pair is used otherwise (created when `create`). The
 * trusted keys are `MODEL_SIGNING_KEYS` plus the signer's own public key.
 */
export async function signingFromEnv(env: NodeJS.ProcessEnv, o: { local: boolean; create: boolean }): Promise<SigningSetup> {
  const trusted = new Map<string, TrustedKey>(await trustedKeysSetting(env, "MODEL_SIGNING_KEYS"));
  let signer: Signer | undefined;
  let source = "no signing key (EDGESCORE_SIGNING_KEY is not set)";
  const setting = env.EDGESCORE_SIGNING_KEY?.trim();
  if (setting) {
    signer = await signerFromSetting(setting);
    source = `EDGESCORE_SIGNING_KEY (key ${signer.keyid})`;
  } else if (o.local) {
    const local = await localKeys(o.create);
    if (local) {
      signer = local.signer;
      source = `the local key ${join(LOCAL_KEY_DIR, PRIVATE_KEY_FILE)} (key ${signer.keyid})`;
    }
  }
  if (signer && !trusted.has(signer.keyid)) {
    trusted.set(signer.keyid, { keyid: signer.keyid, key: await importPublicKey(signer.publicKey), raw: signer.publicKey });
  }
  return { ...(signer ? { signer } : {}), trusted, source };
}
