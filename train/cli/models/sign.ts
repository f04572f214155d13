/**
 * `models sign <version|current>`: adds this command's signature to a stored
 * version's manifest.sig, after re-verifying every file against its manifest.
 * For versions published before signing began, and for key rotation: when the
 * version is the current one and the pointer's move is not signed by this
 * key, the pointer is re-signed too, as a recorded move to the same version.
 * It vouches for the version: the README's Signing section says when to use it.
 */
import { MANIFEST_FILE } from "../../../shared/artifact.ts";
import { cardFacts } from "../../registry/card.ts";
import { RegistryError } from "../../registry/errors.ts";
import { requireSignedPointer } from "../../registry/history.ts";
import { markOf, movePointer } from "../../registry/move.ts";
import { resolveActor } from "../../registry/provenance.ts";
import { addVersionSignature } from "../../store/version-signature.ts";
import { readVersion, resolveVersion } from "../../store/versions.ts";
import { stringFlag, type ModelsCommand } from "./command.ts";

export const signCommand: ModelsCommand = {
  summary: "sign a stored version with EDGESCORE_SIGNING_KEY (versions from before signing; key rotation); current: its pointer too",
  usage: '<version|current> [--reason "..."]',
  help: '  --reason "..."  for the history, when the pointer is re-signed (default: "re-signed with key <id>")',
  options: { reason: { type: "string" } },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const l = ctx.location;
    const signer = l.signing?.signer;
    if (!signer) throw new RegistryError("sign needs a signing key: set EDGESCORE_SIGNING_KEY to the private key file (npm run models -- keygen --out <dir>)", "signing_key_missing");
    const ref = ctx.args[0] as string;
    // "current" is whatever the pointer names: vouched for only when a trusted key signed that move (else a writer chose it).
    if (ref === "current") await requireSignedPointer(l, ctx.state, "If you vouch for a version, name it: npm run models -- sign <version>");
    const p = ctx.state.pointer;
    // The pointer as checked, not read again: it cannot change between the check and the signing.
    const r = ref === "current" && p ? { version: p.version, manifestSha256: p.manifestSha256 } : await resolveVersion(l, ref);
    // Every file against the manifest first: a damaged version is never signed.
    const v = await readVersion(l, r.version, r.manifestSha256, { signature: false });
    await addVersionSignature(l, r.version, v.files.get(MANIFEST_FILE) as Uint8Array, signer);
    ctx.print(`signed ${l.name} ${r.version} with key ${signer.keyid} (every file verified against its manifest first)\n`);
    if (p?.version !== r.version) return { json: { version: r.version, keyId: signer.keyid, pointer: null } };
    if (p.move?.signatures?.some((s) => s.keyid === signer.keyid)) {
      ctx.print(`the pointer's move to it is already signed by key ${signer.keyid}: no history record\n`);
      return { json: { version: r.version, keyId: signer.keyid, pointer: null } };
    }
    const facts = cardFacts(v.manifest);
    const moved = await movePointer(l, {
      to: r.version, manifestSha256: p.manifestSha256, action: "promote",
      reason: stringFlag(ctx, "reason")?.trim() || `re-signed with key ${signer.keyid}`,
      actor: resolveActor(), revision: facts.revision, dataSha256: facts.dataSha256,
    }, { expected: markOf(ctx.state) });
    ctx.print(`re-signed the pointer: history record ${moved.record.seq} (the same version, now signed by key ${signer.keyid})\n`);
    return { json: { version: r.version, keyId: signer.keyid, pointer: { seq: moved.record.seq, recorded: moved.recorded } } };
  },
};
