/**
 * A version's `manifest.sig` in the store: written with the version at
 * publish, checked wherever a command reads a version for use (the edge's own
 * rule, shared/verify.ts), and extended by `models sign` when keys rotate.
 * The signature file may be rewritten (it adds no trust by itself: only a
 * signature by a trusted key counts), unlike the version's other objects.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { keys, SIGNATURE_FILE } from "../../shared/artifact.ts";
import { MANIFEST_PAYLOAD, parseSignatureFile, sign, signatureFileBytes, type Signature, type Signer } from "../../shared/signing.ts";
import { verifyManifestSignature } from "../../shared/verify.ts";
import { describeS3Error, getObjectBytes, objectName } from "./storage.ts";
import { StoreError, type Location } from "./versions.ts";

export async function signManifest(signer: Signer, manifestBytes: Uint8Array, others: Signature[] = []): Promise<Uint8Array> {
  const own = await sign(signer, MANIFEST_PAYLOAD, manifestBytes);
  return signatureFileBytes([...others.filter((s) => s.keyid !== signer.keyid), own]);
}

async function readSignatureFile(l: Location, version: string): Promise<Uint8Array | undefined> {
  const key = keys.file(l.name, version, SIGNATURE_FILE);
  try {
    return await getObjectBytes(l.client, l.bucket, key);
  } catch (e) {
    throw new StoreError(describeS3Error(e, `reading ${objectName(l, key)}`), "storage");
  }
}

export type VersionSignature =
  | { status: "valid"; keyid: string }
  | { status: "unchecked"; signed: boolean }
  | { status: "invalid"; error: string };

/** The version's signature status; "unchecked" when the command trusts no keys (an unsigned store). */
export async function versionSignature(l: Location, version: string, manifestBytes: Uint8Array): Promise<VersionSignature> {
  const file = await readSignatureFile(l, version);
  const trusted = l.signing?.trusted;
  if (!trusted?.size) return { status: "unchecked", signed: file !== undefined };
  const check = await verifyManifestSignature(trusted, manifestBytes, file);
  return check.ok ? { status: "valid", keyid: check.keyid } : { status: "invalid", error: check.error };
}

/** Adds this command's signature to the version's `manifest.sig`, keeping the others. */
export async function addVersionSignature(l: Location, version: string, manifestBytes: Uint8Array, signer: Signer): Promise<void> {
  const existing = await readSignatureFile(l, version);
  const parsed = existing ? parseSignatureFile(existing) : undefined;
  const others = parsed?.ok ? parsed.signatures : [];
  const key = keys.file(l.name, version, SIGNATURE_FILE);
  try {
    await l.client.send(new PutObjectCommand({ Bucket: l.bucket, Key: key, Body: await signManifest(signer, manifestBytes, others), ContentType: "application/json" }));
  } catch (e) {
    throw new StoreError(describeS3Error(e, `writing ${objectName(l, key)}`), "storage");
  }
}
