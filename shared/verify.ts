/**
 * The integrity rules of a stored version, as pure checks on bytes: the
 * manifest must hash to what the pointer says and describe the version it was
 * read for; every other file must have the size and sha256 the manifest lists.
 * The edge (R2 binding) and the Node commands (S3 API) read bytes their own
 * way and judge them here, so they cannot disagree on what "intact" means.
 */
import { parseManifest, SIGNATURE_FILE, type Manifest, type Parsed } from "./artifact.ts";
import { sha256Hex } from "./hash.ts";
import { MANIFEST_PAYLOAD, parseSignatureFile, verifySignatures, type SignatureCheck, type TrustedKeys } from "./signing.ts";

/** Parses and checks a manifest read for `name@version`; `sha256` is the pointer's manifestSha256 when a pointer named it. */
export async function verifyManifest(bytes: Uint8Array, expected: { name: string; version: string; sha256?: string }): Promise<Parsed<Manifest>> {
  if (expected.sha256 !== undefined && (await sha256Hex(bytes)) !== expected.sha256) {
    return { ok: false, error: "sha256 does not match the pointer" };
  }
  const parsed = parseManifest(new TextDecoder().decode(bytes));
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  if (m.name !== expected.name || m.version !== expected.version) {
    return { ok: false, error: `describes ${m.name}@${m.version}, not ${expected.name}@${expected.version}` };
  }
  return parsed;
}

/** Undefined when `bytes` are exactly the file the manifest lists, else why not. */
export async function verifyFile(manifest: Manifest, file: string, bytes: Uint8Array): Promise<string | undefined> {
  const entry = manifest.files[file];
  if (!entry) return `${file} is not listed in the manifest`;
  if (bytes.byteLength !== entry.bytes || (await sha256Hex(bytes)) !== entry.sha256) {
    return "size or sha256 does not match the manifest (tampered or truncated)";
  }
  return undefined;
}

/**
 * Whether `manifest.sig` (undefined: the object is missing) holds a valid
 * signature over these manifest bytes by a trusted key. Only asked when keys
 * are trusted; the manifest lists every other file's sha256, so this one
 * check covers the whole version.
 */
export async function verifyManifestSignature(trusted: TrustedKeys, manifestBytes: Uint8Array, signatureFile: Uint8Array | undefined): Promise<SignatureCheck> {
  if (!signatureFile) return { ok: false, error: `it is not signed (no ${SIGNATURE_FILE})` };
  const parsed = parseSignatureFile(signatureFile);
  if (!parsed.ok) return parsed;
  return verifySignatures(trusted, MANIFEST_PAYLOAD, manifestBytes, parsed.signatures);
}
