/**
 * Reading published versions back from the store (R2 / S3 / the local
 * Miniflare bucket), verified by the same rules the edge applies
 * (shared/verify.ts). Every command that looks at a published model — the
 * quality gate, the registry commands, monitoring, batch scoring, reports —
 * reads it through here.
 */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { keys, MANIFEST_FILE, MODEL_FILE, VERSION_PATTERN, WEIGHTS_FILE, type Manifest } from "../../shared/artifact.ts";
import { sha256Hex } from "../../shared/hash.ts";
import type { Scorer } from "../../shared/scorer.ts";
import type { Signing } from "../../shared/signing.ts";
import { verifyFile, verifyManifest } from "../../shared/verify.ts";
import { readPointer, type CurrentPointer } from "./publish.ts";
import { describeS3Error, getObjectBytes, objectName } from "./storage.ts";
import { impactKernelModule } from "../kernels/load.ts";
import { versionSignature } from "./version-signature.ts";
import { moveOf, verifyMove } from "../../shared/move.ts";

export type StoreErrorCode = "model_not_found" | "version_not_found" | "not_a_version" | "version_damaged" | "signature_invalid" | "pointer_broken" | "pointer_missing" | "storage";

/** A store problem with a code scripts can branch on (`--json` prints it). */
export class StoreError extends Error {
  constructor(message: string, readonly code: StoreErrorCode) {
    super(message);
  }
}

export interface Location {
  client: S3Client;
  bucket: string;
  name: string;
  /** How messages name the store (`openStore`'s `where`): the local R2 bucket, or s3://bucket (the default). */
  where?: string;
  /** The key moves are signed with and the keys versions and moves must be signed by; absent: an unsigned store. */
  signing?: Signing;
}


/** Every version id stored for the model, newest first (ids sort by creation time). */
export async function listVersionIds(l: Location): Promise<string[]> {
  const prefix = `${l.name}/versions/`;
  const ids: string[] = [];
  let token: string | undefined;
  try {
    do {
      const out = await l.client.send(new ListObjectsV2Command({ Bucket: l.bucket, Prefix: prefix, Delimiter: "/", ...(token ? { ContinuationToken: token } : {}) }));
      for (const p of out.CommonPrefixes ?? []) {
        const id = p.Prefix?.slice(prefix.length, -1);
        if (id && VERSION_PATTERN.test(id)) ids.push(id);
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  } catch (e) {
    throw new StoreError(describeS3Error(e, `listing ${objectName(l, prefix)}`), "storage");
  }
  return ids.sort().reverse();
}

export interface Resolved {
  version: string;
  /** The pointer's manifest hash when `ref` was "current" (then the manifest is checked against it). */
  manifestSha256?: string;
  current: CurrentPointer;
}

/** `current` or a version id → the version, with the pointer as it is now. */
export async function resolveVersion(l: Location, ref: string): Promise<Resolved> {
  const current = await readPointer(l);
  if (ref === "current") {
    if (current.raw !== undefined && !current.pointer) {
      throw new StoreError(`${objectName(l, keys.pointer(l.name))} is not a valid pointer; promote a version to repair it (npm run models -- promote <version> --reason "...")`, "pointer_broken");
    }
    if (!current.pointer) {
      // Versions without a pointer: the pointer was deleted, and nothing is served; publishing anew would be the wrong advice.
      const ids = await listVersionIds(l);
      if (ids.length) throw new StoreError(`"${l.name}" has ${ids.length} published version${ids.length > 1 ? "s" : ""} but no pointer (${objectName(l, keys.pointer(l.name))} is missing): nothing is served. Put it back with npm run models -- promote <version> --reason "..." (npm run models -- history shows which was current)`, "pointer_missing");
      throw new StoreError(`no model named "${l.name}" is published in ${objectName(l, "")}; publish one with npm run train, or name another with --model`, "model_not_found");
    }
    await requireSignedCurrent(l, current);
    return { version: current.pointer.version, manifestSha256: current.pointer.manifestSha256, current };
  }
  if (!VERSION_PATTERN.test(ref)) {
    throw new StoreError(`"${ref}" is not a version id (like 20261129T081500Z-1a2b3c4d) or "current"; npm run models -- list shows the versions`, "not_a_version");
  }
  return { version: ref, current };
}

/** On a signed store, "current" is what the edge serves: only a pointer whose move a trusted key signed. */
async function requireSignedCurrent(l: Location, current: CurrentPointer): Promise<void> {
  const trusted = l.signing?.trusted;
  const p = current.pointer;
  if (!trusted?.size || !p) return;
  // readPointer keeps the edge's pointer fields only: the move is read from the raw text (malformed counts as none).
  const move = moveOf(JSON.parse(current.raw ?? "{}"));
  const check = await verifyMove(trusted, { ...p, move: move.ok ? move.move : undefined });
  if (check.ok) return;
  throw new StoreError(
    `the pointer of "${l.name}" (${p.version}) is not a signed move (${check.error}): an edge with MODEL_SIGNING_KEYS refuses it, so "current" is not what it serves. ` +
    "npm run models -- history --verify shows what happened; name a version instead of current",
    "signature_invalid",
  );
}

async function readFile(l: Location, version: string, file: string): Promise<Uint8Array> {
  const key = keys.file(l.name, version, file);
  let bytes: Uint8Array | undefined;
  try {
    bytes = await getObjectBytes(l.client, l.bucket, key);
  } catch (e) {
    throw new StoreError(describeS3Error(e, `reading ${objectName(l, key)}`), "storage");
  }
  if (!bytes) {
    throw file === MANIFEST_FILE
      ? new StoreError(`version ${version} of "${l.name}" does not exist (no ${objectName(l, key)}); npm run models -- list shows the versions`, "version_not_found")
      : new StoreError(`${objectName(l, key)} is missing: version ${version} is damaged`, "version_damaged");
  }
  return bytes;
}

async function checkManifest(l: Location, version: string, bytes: Uint8Array, manifestSha256?: string): Promise<Manifest> {
  const parsed = await verifyManifest(bytes, { name: l.name, version, ...(manifestSha256 ? { sha256: manifestSha256 } : {}) });
  if (!parsed.ok) throw new StoreError(`${objectName(l, keys.file(l.name, version, MANIFEST_FILE))}: ${parsed.error}`, "version_damaged");
  return parsed.value;
}

/** The version's manifest, checked against the pointer's hash when given. */
export async function readManifest(l: Location, version: string, manifestSha256?: string): Promise<Manifest> {
  return checkManifest(l, version, await readFile(l, version, MANIFEST_FILE), manifestSha256);
}

export interface StoredVersion {
  manifest: Manifest;
  /** Every file the manifest lists, each verified; manifest.json included. */
  files: Map<string, Uint8Array>;
}

/**
 * The whole version, every file verified against the manifest; a damaged
 * version throws `version_damaged`. On a signed store (trusted keys) the
 * manifest must also carry a valid signature, as the edge requires.
 */
export async function readVersion(l: Location, version: string, manifestSha256?: string, o: { signature?: boolean } = {}): Promise<StoredVersion> {
  const manifestBytes = await readFile(l, version, MANIFEST_FILE);
  const manifest = await checkManifest(l, version, manifestBytes, manifestSha256);
  const signature = o.signature === false ? undefined : await versionSignature(l, version, manifestBytes);
  if (signature?.status === "invalid") {
    throw new StoreError(
      `${l.name}@${version}: the manifest is not validly signed (${signature.error}); an edge with MODEL_SIGNING_KEYS refuses this version` +
      (signature.error.startsWith("it is not signed") ? `. If you vouch for it (e.g. published before signing began), sign it: npm run models -- sign ${version}` : ": it was changed after it was signed, or signed by a key you do not trust"),
      "signature_invalid",
    );
  }
  const names = Object.keys(manifest.files);
  const files = new Map<string, Uint8Array>([[MANIFEST_FILE, manifestBytes]]);
  await Promise.all(names.map(async (f) => {
    const bytes = await readFile(l, version, f);
    const problem = await verifyFile(manifest, f, bytes);
    if (problem) throw new StoreError(`${objectName(l, keys.file(l.name, version, f))}: ${problem}`, "version_damaged");
    files.set(f, bytes);
  }));
  return { manifest, files };
}

export interface LoadedVersion {
  version: string;
  manifest: Manifest;
  /** sha256 of the manifest bytes that were read and verified (what a pointer to this version carries). */
  manifestSha256: string;
  scorer: Scorer;
  /** Frees the network's tensors. */
  dispose(): void;
}

/** A verified version ready to score rows with the edge's own code (shared/scorer.ts, shared/predict.ts). */
export async function loadScorer(l: Location, ref: string): Promise<LoadedVersion> {
  const r = await resolveVersion(l, ref);
  return loadVersionScorer(l, r.version, r.manifestSha256);
}

/** The same for a known version (and the pointer's manifest hash, when a pointer named it). */
export async function loadVersionScorer(l: Location, version: string, manifestSha256?: string): Promise<LoadedVersion> {
  const { manifest, files } = await readVersion(l, version, manifestSha256);
  const sha = await sha256Hex(files.get(MANIFEST_FILE) as Uint8Array);
  // tfjs is loaded when a version is built, not by every command that reads manifests (~60 MiB of RSS).
  const [{ networkFromFiles }, { createScorer }] = await Promise.all([import("../../shared/network.ts"), import("../../shared/scorer.ts")]);
  let model;
  try {
    model = await networkFromFiles(files.get(MODEL_FILE) as Uint8Array, files.get(WEIGHTS_FILE) as Uint8Array);
  } catch (e) {
    throw new StoreError(`${l.name}@${version}: ${(e as Error).message}`, "version_damaged");
  }
  try {
    const scorer = createScorer(manifest, model, impactKernelModule());
    return { version, manifest, manifestSha256: sha, scorer, dispose: scorer.dispose };
  } catch (e) {
    model.dispose();
    throw new StoreError(`${l.name}@${version}: ${(e as Error).message}`, "version_damaged");
  }
}
