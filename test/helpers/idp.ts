/**
 * A stand-in identity provider for tests: signing keys generated with
 * WebCrypto, their public halves served as a JWKS by a real HTTP server on
 * loopback, and tokens signed (or deliberately mis-signed) with them.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Alg = "RS256" | "ES256";

/** How the JWKS endpoint answers: the keys, a 500, or a 302 to a URL that would serve the keys. */
export type IdpMode = "up" | "error" | "redirect";

interface SigningKey { kid: string; alg: Alg; privateKey: CryptoKey; publicJwk: JsonWebKey }

const b64url = (bytes: Uint8Array | ArrayBuffer) => Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString("base64url");
const json64 = (v: unknown) => b64url(new TextEncoder().encode(JSON.stringify(v)));

type Params = Parameters<typeof crypto.subtle.generateKey>[0];
const PARAMS: Record<Alg, { gen: Params; sign: Parameters<typeof crypto.subtle.sign>[0] }> = {
  RS256: { gen: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, sign: { name: "RSASSA-PKCS1-v1_5" } },
  ES256: { gen: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" } },
};

export class TestIdp {
  readonly issuer = "https://idp.example.test/";
  readonly audience = "edgescore-api";
  /** Requests the JWKS endpoint answered. */
  hits = 0;
  /** Requests that followed a redirect (mode "redirect"). */
  redirectedHits = 0;
  mode: IdpMode = "up";
  private keys: SigningKey[] = [];
  private server?: Server;
  url = "";

  async addKey(kid: string, alg: Alg): Promise<void> {
    const pair = (await crypto.subtle.generateKey(PARAMS[alg].gen, true, ["sign", "verify"])) as CryptoKeyPair;
    const publicJwk = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
    this.keys.push({ kid, alg, privateKey: pair.privateKey, publicJwk });
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.hits++;
      const followed = req.url?.endsWith("?redirected") ?? false;
      if (followed) this.redirectedHits++;
      if (this.mode === "error") return void res.writeHead(500).end("upstream down");
      if (this.mode === "redirect" && !followed) return void res.writeHead(302, { location: `${this.url}?redirected` }).end();
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: this.keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: "sig" })) }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
    return this;
  }

  /** Worker bindings for AUTH_MODE=jwt against this provider. */
  bindings(mode = "jwt"): Record<string, string> {
    return { AUTH_MODE: mode, JWT_JWKS_URL: this.url, JWT_ISSUER: this.issuer, JWT_AUDIENCE: this.audience };
  }

  /** Claims a valid token would have, for `sub`. */
  claims(sub: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return { iss: this.issuer, aud: this.audience, sub, iat: now, exp: now + 300, ...extra };
  }

  /** A token signed by key `kid` (the first key by default); `header` overrides header fields. */
  async sign(claims: Record<string, unknown>, kid?: string, header: Record<string, unknown> = {}): Promise<string> {
    const key = kid ? this.keys.find((k) => k.kid === kid) : this.keys[0];
    if (!key) throw new Error(`no key ${kid}`);
    const input = `${json64({ alg: key.alg, typ: "JWT", kid: key.kid, ...header })}.${json64(claims)}`;
    const sig = await crypto.subtle.sign(PARAMS[key.alg].sign, key.privateKey, new TextEncoder().encode(input));
    return `${input}.${b64url(sig)}`;
  }

  /** The classic confusion attack: HS256 "signed" with the RSA public key as the HMAC secret. */
  async signHs256WithPublicKey(claims: Record<string, unknown>): Promise<string> {
    const key = this.keys.find((k) => k.alg === "RS256")!;
    const input = `${json64({ alg: "HS256", typ: "JWT", kid: key.kid })}.${json64(claims)}`;
    const secret = await crypto.subtle.importKey("raw", new TextEncoder().encode(JSON.stringify(key.publicJwk)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return `${input}.${b64url(await crypto.subtle.sign("HMAC", secret, new TextEncoder().encode(input)))}`;
  }

  /** `alg: none`, no signature. */
  unsigned(claims: Record<string, unknown>): string {
    return `${json64({ alg: "none", typ: "JWT", kid: this.keys[0]!.kid })}.${json64(claims)}.`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
