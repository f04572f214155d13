/**
 * A whole publish: check the new version's feature signature against the
 * serving one (before anything is written), write the version objects once
 * (with `manifest.sig`, the Ed25519 signature over the manifest, when the
 * command has a signing key), then move the
 * pointer with its history record. The pointer read at the start is the one
 * the move expects: a move by anyone else in between fails the publish.
 */
import { MANIFEST_FILE, SIGNATURE_FILE } from "../../shared/artifact.ts";
import { sha256Hex } from "../../shared/hash.ts";
import type { Artifact } from "../store/package.ts";
import { writeVersionObjects, type PublishHooks } from "../store/publish.ts";
import type { Location } from "../store/versions.ts";
import { cardFacts } from "./card.ts";
import { RegistryError } from "./errors.ts";
import { checkSignature } from "./guard.ts";
import { readPointerState, requireSignedPointer, type PointerState } from "./history.ts";
import { markOf, movePointer, requireSigner, type MoveOptions, type MoveResult } from "./move.ts";
import { signManifest } from "../store/version-signature.ts";
import { resolveActor, resolveRevision } from "./provenance.ts";

export interface PublishOptions extends PublishHooks {
  /** The pointer as the caller read it (and judged it, e.g. the quality gate); read here when absent. */
  state?: PointerState;
  reason?: string;
  actor?: string;
  allowSignatureChange?: boolean;
  log?: (line: string) => void;
  afterSwap?: MoveOptions["afterSwap"];
  /**
   * Publish without moving current: the history records a "candidate" move
   * naming the version (the pointer keeps its version; its move is the
   * record's), for `models canary` / `shadow` / `promote` later.
   */
  candidate?: boolean;
}

export interface PublishResult extends MoveResult {
  /** Every key written: the version's objects, then the pointer. */
  keys: string[];
}

/** The artifact plus `manifest.sig` when the command has a signing key. */
async function signedArtifact(l: Location, artifact: Artifact): Promise<Artifact> {
  const signer = l.signing?.signer;
  if (!signer) return artifact;
  const files = new Map(artifact.files);
  files.delete(MANIFEST_FILE);
  files.set(SIGNATURE_FILE, await signManifest(signer, artifact.files.get(MANIFEST_FILE) as Uint8Array));
  files.set(MANIFEST_FILE, artifact.files.get(MANIFEST_FILE) as Uint8Array);
  return { ...artifact, files };
}

export async function publishArtifact(l: Location, artifact: Artifact, o: PublishOptions = {}): Promise<PublishResult> {
  const log = o.log ?? (() => {});
  const state = o.state ?? (await readPointerState(l));
  const current = state.pointer;
  if (o.candidate) {
    if (!current) throw new RegistryError(`"${l.name}" has no current version${state.broken ? ` (${state.broken})` : ""}: a candidate is published beside one. Publish the first version without --candidate`, "nothing_current");
    // The candidate's move names the current version: only one a trusted key moved to.
    await requireSignedPointer(l, state, "Promote the right version first (a signed move), then publish the candidate");
  }
  // Judged once against this pointer; the move below fails if the pointer moved since, so the verdict holds.
  // A candidate answers nobody yet: `models canary` and `promote` judge its features.
  const extra = o.candidate ? {} : await checkSignature(l, state, artifact.manifest, { allow: o.allowSignatureChange ?? false, command: "train", log });
  requireSigner(l, state, "nothing was published; the current model is unchanged");
  const written = await writeVersionObjects(l, await signedArtifact(l, artifact), o);
  const facts = cardFacts(artifact.manifest);
  const manifestSha256 = await sha256Hex(artifact.files.get(MANIFEST_FILE) as Uint8Array);
  const notPromoted = o.candidate
    ? `version ${artifact.version} was written, but its candidate record was not, and the pointer was left as it is`
    : `version ${artifact.version} was written but not promoted, and the pointer was left as it is`;
  const moved = await movePointer(l, {
    ...(o.candidate && current
      ? { to: current.version, manifestSha256: current.manifestSha256, action: "candidate" as const, candidate: { version: artifact.version, manifestSha256 } }
      : { to: artifact.version, manifestSha256, action: "publish" as const }),
    reason: o.reason ?? `trained on ${facts.dataSource ?? "unknown data"}`,
    actor: o.actor ?? resolveActor(),
    revision: facts.revision ?? resolveRevision(),
    dataSha256: facts.dataSha256,
  }, {
    expected: markOf(state),
    check: async () => extra,
    unchanged: notPromoted,
    log,
    ...(o.afterSwap ? { afterSwap: o.afterSwap } : {}),
  }).catch((e: unknown) => {
    if (e instanceof RegistryError && !e.message.includes(notPromoted)) throw new RegistryError(`${e.message}; ${notPromoted}`, e.code);
    throw e;
  });
  return { ...moved, keys: [...written, `${l.name}/current.json`] };
}
