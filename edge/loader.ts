/**
 * Loads one model version from R2 and refuses it unless every byte checks out:
 * the manifest's sha256 must match the pointer (and, with signing on, its
 * signature verify against a trusted key), each file's sha256 and size the
 * manifest, the network's input width the preprocessing, and a warm-up
 * prediction must be finite. A network the SIMD kernel runs (the reference
 * architecture) is read straight from the files and never touches tfjs; any
 * other waits for the tfjs backend and is built by tfjs.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { keys, MANIFEST_FILE, MODEL_FILE, SIGNATURE_FILE, WEIGHTS_FILE, type Pointer } from "../shared/artifact.ts";
import type { TrustedKeys } from "../shared/signing.ts";
import { denseFromFiles } from "../shared/dense-files.ts";
import { kernelRuns } from "../shared/impact-kernel.ts";
import { networkFromFiles } from "../shared/network.ts";
import { createScorer, type Scorer } from "../shared/scorer.ts";
import { reasonsWriter, type ReasonsWriter } from "../shared/reasons-writer.ts";
import { impactKernelModule, reasonsKernelModule } from "./kernels.ts";
import { instanceSchema, type InstanceSchema } from "../shared/validate.ts";
import { verifyFile, verifyManifest, verifyManifestSignature } from "../shared/verify.ts";

export interface LoadedModel extends Scorer {
  name: string;
  version: string;
  /** sha256 of manifest.json, as the pointer that named this version said (and the bytes matched). */
  manifestSha256: string;
  /** Validation of one instance and its JSON Schema, from one arktype type. */
  instances: InstanceSchema;
  loadedAt: string;
  loadMs: Record<string, number>;
  /** The key that signed the manifest, when signing is on. */
  signedBy?: string;
  /** A classifier's reasons written by the reasons kernel (with the SIMD engine). */
  reasons?: ReasonsWriter;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export class LoadError extends Error {}

/** Rejects after `ms` so a stuck R2 read becomes a 503, not a hung request. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoadError(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A version's files are read before the manifest that lists their sizes is
 * judged (the reads run at once); this bound keeps a bucket writer from
 * making an isolate (128 MB) buffer a huge object. The reference network's
 * files are tens of KB.
 */
export const MAX_VERSION_FILE_BYTES = 32 * 1024 * 1024;

async function readBytes(bucket: R2Bucket, key: string, timeoutMs: number): Promise<Uint8Array> {
  const obj = await withTimeout(bucket.get(key), timeoutMs, `reading ${key}`);
  if (!obj) throw new LoadError(`${key} is missing`);
  if (obj.size > MAX_VERSION_FILE_BYTES) throw new LoadError(`${key} is ${obj.size} bytes, over the ${MAX_VERSION_FILE_BYTES} a version's file may be; refused unread`);
  return new Uint8Array(await withTimeout(obj.arrayBuffer(), timeoutMs, `reading ${key}`));
}

export interface LoadOptions {
  timeoutMs: number;
  /** Starts (once) and awaits the tfjs backend: called only for a network tfjs must build. */
  backendReady?: () => Promise<unknown>;
  passThroughKey?: string;
  /** false: every network on tfjs, reasons by the JavaScript shortcut (SIMD_KERNEL=off). */
  simd?: boolean;
  /** Set (MODEL_SIGNING_KEYS): the manifest must carry a valid signature by one of these keys. */
  trusted?: TrustedKeys;
}

/** Pointers and manifest.sig are a few hundred bytes; a bucket writer must not make an isolate buffer a huge one. */
export const MAX_SMALL_OBJECT_BYTES = 64 * 1024;

/** Why a pointer or signature file is refused before its body is read (too large to be one), if it is. */
export function tooLarge(obj: R2Object, key: string): string | undefined {
  return obj.size > MAX_SMALL_OBJECT_BYTES ? `${key} is ${obj.size} bytes, over the ${MAX_SMALL_OBJECT_BYTES} it can be; refused unread` : undefined;
}

/** A small object (manifest.sig), or undefined when missing. */
export async function readSmall(bucket: R2Bucket, key: string, timeoutMs: number): Promise<Uint8Array | undefined> {
  const obj = await withTimeout(bucket.get(key), timeoutMs, `reading ${key}`);
  if (!obj) return undefined;
  const problem = tooLarge(obj, key);
  if (problem) throw new LoadError(problem);
  return new Uint8Array(await withTimeout(obj.arrayBuffer(), timeoutMs, `reading ${key}`));
}

/** The three files' R2 reads are issued at once: their keys follow from the pointer. */
export async function loadVersion(bucket: R2Bucket, pointer: Pointer, o: LoadOptions): Promise<LoadedModel> {
  const { timeoutMs, backendReady, passThroughKey = "", simd = true, trusted } = o;
  const { name, version } = pointer;
  const file = (f: string) => keys.file(name, version, f);
  const t0 = performance.now();
  const [manifestRead, modelRead, weightsRead] = [MANIFEST_FILE, MODEL_FILE, WEIGHTS_FILE].map((f) => readBytes(bucket, file(f), timeoutMs)) as [Promise<Uint8Array>, Promise<Uint8Array>, Promise<Uint8Array>];
  // The manifest is judged first; a failure of the other reads is reported only after it.
  const signatureRead = trusted ? readSmall(bucket, file(SIGNATURE_FILE), timeoutMs) : undefined;
  for (const r of [modelRead, weightsRead, signatureRead]) r?.catch(() => {});
  const manifestBytes = await manifestRead;
  const parsed = await verifyManifest(manifestBytes, { name, version, sha256: pointer.manifestSha256 });
  if (!parsed.ok) throw new LoadError(`${file(MANIFEST_FILE)}: ${parsed.error}`);
  let signedBy: string | undefined;
  if (trusted) {
    // Before any other file is judged or built: an unsigned manifest's hashes vouch for nothing.
    const check = await verifyManifestSignature(trusted, manifestBytes, await signatureRead);
    if (!check.ok) throw new LoadError(`${file(MANIFEST_FILE)}: ${check.error}; refused: signing is on`);
    signedBy = check.keyid;
  }
  const manifest = parsed.value;
  const [modelJson, weights] = await Promise.all([modelRead, weightsRead]);
  for (const [f, bytes] of [[MODEL_FILE, modelJson], [WEIGHTS_FILE, weights]] as const) {
    const problem = await verifyFile(manifest, f, bytes);
    if (problem) throw new LoadError(`${file(f)}: ${problem}`);
  }
  const tRead = performance.now();
  const kernel = simd ? await impactKernelModule() : undefined;
  const dense = kernel ? denseFromFiles(modelJson, weights) : undefined;
  let tBackend = tRead;
  let scorer: Scorer;
  if (dense && kernelRuns(dense)) {
    try {
      scorer = createScorer(manifest, dense, kernel);
    } catch (e) {
      throw new LoadError((e as Error).message);
    }
  } else {
    await backendReady?.();
    tBackend = performance.now();
    let model: tfl.LayersModel;
    try {
      model = await networkFromFiles(modelJson, weights);
    } catch (e) {
      throw new LoadError(`${file(MODEL_FILE)}: ${(e as Error).message}`);
    }
    try {
      scorer = createScorer(manifest, model, kernel);
    } catch (e) {
      model.dispose();
      throw new LoadError((e as Error).message);
    }
  }
  const reasonsModule = scorer.impactKernel ? await reasonsKernelModule() : undefined;
  const reasons = reasonsModule ? reasonsWriter(reasonsModule, scorer) : undefined;
  const tBuild = performance.now();
  const instances = instanceSchema(manifest.spec, { passThroughKey, preprocess: manifest.preprocess });
  return {
    ...scorer, name, version, manifestSha256: pointer.manifestSha256,
    instances,
    ...(signedBy ? { signedBy } : {}),
    ...(reasons ? { reasons } : {}),
    loadedAt: new Date().toISOString(),
    // Where a cold load spends its time (performance.now only advances across I/O in production).
    loadMs: {
      readAndVerify: round(tRead - t0), backendWait: round(tBackend - tRead), build: round(tBuild - tBackend), validator: round(performance.now() - tBuild),
    },
  };
}
