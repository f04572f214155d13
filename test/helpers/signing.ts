/** A fresh Ed25519 key pair for a signing test, as the key holder's Signing and the Worker's MODEL_SIGNING_KEYS entry. */
import { parseTrustedKeys, type Signing } from "../../shared/signing.ts";
import { generateKeyPair, signerFromPem, type KeyPair } from "../../train/registry/keys.ts";

export async function testKey(): Promise<{ key: KeyPair; signing: Signing }> {
  const key = await generateKeyPair();
  const trusted = await parseTrustedKeys(key.entry);
  if (!trusted.ok) throw new Error(trusted.error);
  return { key, signing: { signer: await signerFromPem(key.privatePem, "test key"), trusted: trusted.keys } };
}
