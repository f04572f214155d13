/**
 * Writing to the store through the S3 API, in an order that can crash at any
 * point and leave the previous model serving:
 *   1. read the pointer (and its ETag) before anything is written;
 *   2. write every version object once (`If-None-Match: *`), manifest last;
 *   3. swap the pointer with `If-Match: <etag>` (`If-None-Match: *` if none):
 *      if anyone moved it meanwhile, fail instead of overwriting.
 * The registry (train/registry/) builds pointer moves and their history on
 * these primitives; `publishArtifact` there is the whole publish.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { MANIFEST_FILE, keys, parsePointer, type Pointer } from "../../shared/artifact.ts";
import type { Artifact } from "./package.ts";
import { describeS3Error, objectName, statusOf } from "./storage.ts";

/** A bucket and how messages name it (`where`, as openStore says; s3://bucket when absent). */
export interface StoreAt { client: S3Client; bucket: string; where?: string | undefined }

export interface CurrentPointer {
  /** Undefined when nothing is published yet, or when the pointer object is not a valid pointer (then `raw` is set). */
  pointer?: Pointer;
  etag?: string;
  raw?: string;
}

export class PublishError extends Error {}

/** The pointer's If-Match / If-None-Match precondition failed: someone else wrote it first. */
export class PointerConflictError extends PublishError {}

export async function readPointer(l: StoreAt & { name: string }): Promise<CurrentPointer> {
  const key = keys.pointer(l.name);
  try {
    const out = await l.client.send(new GetObjectCommand({ Bucket: l.bucket, Key: key }));
    const raw = (await out.Body?.transformToString()) ?? "";
    // The edge's own check: a pointer it would refuse is no pointer here either.
    const parsed = parsePointer(raw);
    return { ...(parsed.ok ? { pointer: parsed.value } : {}), ...(out.ETag ? { etag: out.ETag } : {}), raw };
  } catch (e) {
    if ((e as { name?: string }).name === "NoSuchKey" || statusOf(e) === 404) return {};
    throw new PublishError(describeS3Error(e, `reading ${objectName(l, key)}`));
  }
}

/** Writes `key` only if it does not exist yet: "exists" when another writer was first (HTTP 412). */
export async function putIfAbsent(client: S3Client, bucket: string, key: string, body: Uint8Array, contentType = "application/json"): Promise<"written" | "exists"> {
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, IfNoneMatch: "*", ContentType: contentType }));
    return "written";
  } catch (e) {
    if (statusOf(e) === 412) return "exists";
    throw e;
  }
}

export interface PublishHooks {
  /** Called after each object is written (tests inject crashes here). */
  afterPut?: (key: string) => void | Promise<void>;
}

/** Step 2: every object of the version, once, manifest last. Returns the keys written. */
export async function writeVersionObjects(l: StoreAt, artifact: Artifact, hooks: PublishHooks = {}): Promise<string[]> {
  const { client, bucket } = l;
  const written: string[] = [];
  const order = [...artifact.files.keys()].filter((f) => f !== MANIFEST_FILE).concat(MANIFEST_FILE);
  for (const file of order) {
    const key = keys.file(artifact.name, artifact.version, file);
    const body = artifact.files.get(file) as Uint8Array;
    let outcome: "written" | "exists";
    try {
      outcome = await putIfAbsent(client, bucket, key, body, file.endsWith(".json") ? "application/json" : "application/octet-stream");
    } catch (e) {
      throw new PublishError(`${describeS3Error(e, `writing ${objectName(l, key)}`)}; the current model is unchanged`);
    }
    if (outcome === "exists") throw new PublishError(`${objectName(l, key)} already exists: version ${artifact.version} was published before; nothing changed`);
    written.push(key);
    await hooks.afterPut?.(key);
  }
  return written;
}

/**
 * Step 3: the compare-and-swap. `expectedEtag` undefined means "only if there
 * is no pointer yet". Returns the new ETag when the store reports one.
 */
export async function swapPointer(l: StoreAt & { name: string }, body: Uint8Array, expectedEtag: string | undefined): Promise<string | undefined> {
  const { client, bucket } = l;
  const key = keys.pointer(l.name);
  try {
    const out = await client.send(new PutObjectCommand({
      Bucket: bucket, Key: key, Body: body, ContentType: "application/json",
      ...(expectedEtag ? { IfMatch: expectedEtag } : { IfNoneMatch: "*" }),
    }));
    return out.ETag;
  } catch (e) {
    if (statusOf(e) === 412) throw new PointerConflictError(`${objectName(l, key)} changed since it was read`);
    throw new PublishError(describeS3Error(e, `updating ${objectName(l, key)}`));
  }
}
