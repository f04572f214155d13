/**
 * The signing primitives as pure functions (shared/signing.ts, Web Crypto in
 * Node as in workerd): what verifies, what does not, and how a key list fails.
 */
import { describe, expect, it } from "vitest";
import { MANIFEST_PAYLOAD, MOVE_PAYLOAD, pae, parseTrustedKeys, sign, toBase64, verifySignatures } from "../shared/signing.ts";
import { generateKeyPair, signerFromPem } from "../train/registry/keys.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("signatures", () => {
  it("encode the payload's kind (DSSE PAE): a manifest signature never verifies as a move's", async () => {
    expect(new TextDecoder().decode(pae("t/x", bytes("ab")))).toBe("DSSEv1 3 t/x 2 ab");
    const pair = await generateKeyPair();
    const signer = await signerFromPem(pair.privatePem, "k");
    const trusted = await parseTrustedKeys(pair.entry);
    if (!trusted.ok) throw new Error(trusted.error);
    const sig = await sign(signer, MANIFEST_PAYLOAD, bytes("{}"));
    expect(await verifySignatures(trusted.keys, MANIFEST_PAYLOAD, bytes("{}"), [sig])).toEqual({ ok: true, keyid: pair.keyid });
    expect(await verifySignatures(trusted.keys, MOVE_PAYLOAD, bytes("{}"), [sig])).toMatchObject({ ok: false, error: expect.stringMatching(/does not verify/) });
    expect(await verifySignatures(trusted.keys, MANIFEST_PAYLOAD, bytes("{ }"), [sig])).toMatchObject({ ok: false });
  });

  it("find a good signature beside bad ones, and name untrusted or missing ones", async () => {
    const [a, b] = [await generateKeyPair(), await generateKeyPair()];
    const [sa, sb] = [await signerFromPem(a.privatePem, "a"), await signerFromPem(b.privatePem, "b")];
    const trusted = await parseTrustedKeys(a.entry);
    if (!trusted.ok) throw new Error(trusted.error);
    const good = await sign(sa, MOVE_PAYLOAD, bytes("m"));
    const forged = { keyid: a.keyid, sig: toBase64(new Uint8Array(64)) };
    expect(await verifySignatures(trusted.keys, MOVE_PAYLOAD, bytes("m"), [forged, { keyid: a.keyid, sig: "not base64!" }, good])).toEqual({ ok: true, keyid: a.keyid });
    expect(await verifySignatures(trusted.keys, MOVE_PAYLOAD, bytes("m"), [forged])).toMatchObject({ ok: false, error: `its signature by key ${a.keyid} does not verify (changed after signing, or forged)` });
    expect(await verifySignatures(trusted.keys, MOVE_PAYLOAD, bytes("m"), [await sign(sb, MOVE_PAYLOAD, bytes("m"))])).toMatchObject({ ok: false, error: expect.stringMatching(/signed only by key [0-9a-f]{16}, which is not trusted/) });
    expect(await verifySignatures(trusted.keys, MOVE_PAYLOAD, bytes("m"), [])).toMatchObject({ ok: false, error: "it is not signed" });
  });

  it("trust a key list only when every entry is a well-formed key under its own id (fail closed)", async () => {
    const [a, b] = [await generateKeyPair(), await generateKeyPair()];
    expect(await parseTrustedKeys(`${a.entry}, ${b.entry}`)).toMatchObject({ ok: true });
    const mislabelled = `${b.keyid}:${a.entry.split(":")[1]}`;
    expect(await parseTrustedKeys(mislabelled)).toMatchObject({ ok: false, error: `key id ${b.keyid} is not the id of the public key beside it` });
    expect(await parseTrustedKeys(`${a.entry},garbage`)).toMatchObject({ ok: false, error: expect.stringMatching(/entry 2 is not/) });
    expect(await parseTrustedKeys(`${a.keyid}:${toBase64(new Uint8Array(31))}`)).toMatchObject({ ok: false });
  });

  it("read the signer's public key from its private key: the key id is the same as keygen's", async () => {
    const pair = await generateKeyPair();
    expect((await signerFromPem(pair.privatePem, "k")).keyid).toBe(pair.keyid);
    await expect(signerFromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "file x")).rejects.toThrow(/file x is not a PEM private key/);
  });
});
