/**
 * `models keygen --out <dir>`: a new Ed25519 signing key pair. The private
 * key (mode 0600) goes where the training job's secrets live, never beside the
 * bucket credentials; the public key's line goes into the Worker's
 * MODEL_SIGNING_KEYS. Needs no store.
 */
import { resolve } from "node:path";
import { KeyError, writeKeyPair } from "../../registry/keys.ts";
import { UsageError } from "../args.ts";
import { stringFlag, type ModelsCommand } from "./command.ts";

export const keygenCommand: ModelsCommand = {
  summary: "make an Ed25519 signing key pair: signing.key (0600) for EDGESCORE_SIGNING_KEY, signing.pub for MODEL_SIGNING_KEYS",
  usage: "--out <dir>",
  help: "  --out <dir>  where to write signing.key and signing.pub (never overwritten; created if missing)",
  options: { out: { type: "string" } },
  args: { min: 0, max: 0 },
  store: false,
  async run(ctx) {
    const out = stringFlag(ctx, "out");
    if (!out) throw new UsageError("keygen needs --out <dir>: where to write the key pair");
    let pair;
    try {
      pair = await writeKeyPair(out);
    } catch (e) {
      throw e instanceof KeyError ? new UsageError(e.message) : e;
    }
    ctx.print([
      `key ${pair.keyid}`,
      `  private key  ${resolve(pair.privateKeyPath)} (mode 0600): keep it out of the bucket's reach; the training job gets it as EDGESCORE_SIGNING_KEY`,
      `  public key   ${resolve(pair.publicKeyPath)}`,
      `the Worker trusts it with: wrangler secret put MODEL_SIGNING_KEYS  (value: ${pair.entry}; add it after the current entries, comma-separated, to rotate)`,
      "",
    ].join("\n"));
    return { json: { keyId: pair.keyid, privateKey: resolve(pair.privateKeyPath), publicKey: resolve(pair.publicKeyPath), modelSigningKeys: pair.entry } };
  },
};
