/**
 * Publishing through the S3 API, in an order that can crash at any point and
 * leave the previous model serving:
 *   1. read the pointer (and its ETag) before anything is written;
 *   2. write every version object once (`If-None-Match: *`), manifest last;
 *   3. swap the pointer with `If-Match: <etag>` (`If-None-Match: *` if none):
 *      if another publisher moved it meanwhile, fail instead of overwriting.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { MANIFEST_FILE, keys, type Pointer } from "../../shared/artifact.ts";
import { sha256Hex } from "../../shared/hash.ts";
import type { Artifact } from "./package.ts";
import { describeS3Error } from "./storage.ts";

export interface CurrentPointer {
  /** Undefined when nothing is published yet. */
  pointer?: Pointer;
  etag?: string;
  raw?: string;
}

export class PublishError extends Error {}

function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

export async function readPointer(client: S3Client, bucket: string, name: string): Promise<CurrentPointer> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: keys.pointer(name) }));
    const raw = (await out.Body?.transformToString()) ?? "";
    let pointer: Pointer | undefined;
    try { pointer = JSON.parse(raw) as Pointer; } catch { pointer = undefined; }
    return { ...(pointer ? { pointer } : {}), ...(out.ETag ? { etag: out.ETag } : {}), raw };
  } catch (e) {
    if ((e as { name?: string }).name === "NoSuchKey" || statusOf(e) === 404) return {};
    throw new PublishError(describeS3Error(e, `reading s3://${bucket}/${keys.pointer(name)}`));
  }
}

export interface PublishResult { pointer: Pointer; previous?: string; keys: string[] }

export interface PublishHooks {
  /** Called after each object is written (tests inject crashes here). */
  afterPut?: (key: string) => void | Promise<void>;
}

export async function publishArtifact(
  client: S3Client,
  bucket: string,
  artifact: Artifact,
  expected: CurrentPointer,
  hooks: PublishHooks = {},
): Promise<PublishResult> {
  const written: string[] = [];
  const order = [...artifact.files.keys()].filter((f) => f !== MANIFEST_FILE).concat(MANIFEST_FILE);
  for (const file of order) {
    const key = keys.file(artifact.name, artifact.version, file);
    const body = artifact.files.get(file) as Uint8Array;
    try {
      await client.send(new PutObjectCommand({
        Bucket: bucket, Key: key, Body: body, IfNoneMatch: "*",
        ContentType: file.endsWith(".json") ? "application/json" : "application/octet-stream",
      }));
    } catch (e) {
      if (statusOf(e) === 412) throw new PublishError(`s3://${bucket}/${key} already exists: version ${artifact.version} was published before; nothing changed`);
      throw new PublishError(`${describeS3Error(e, `writing s3://${bucket}/${key}`)}; the current model is unchanged`);
    }
    written.push(key);
    await hooks.afterPut?.(key);
  }
  const pointer: Pointer = {
    name: artifact.name,
    version: artifact.version,
    manifestSha256: await sha256Hex(artifact.files.get(MANIFEST_FILE) as Uint8Array),
    publishedAt: new Date().toISOString(),
  };
  const pointerKey = keys.pointer(artifact.name);
  try {
    await client.send(new PutObjectCommand({
      Bucket: bucket, Key: pointerKey, Body: new TextEncoder().encode(JSON.stringify(pointer)), ContentType: "application/json",
      ...(expected.etag ? { IfMatch: expected.etag } : { IfNoneMatch: "*" }),
    }));
  } catch (e) {
    if (statusOf(e) === 412) {
      throw new PublishError(
        `s3://${bucket}/${pointerKey} moved while publishing (another trainer published?); version ${artifact.version} was written but not promoted, and the pointer was left as the other publisher set it`,
      );
    }
    throw new PublishError(`${describeS3Error(e, `updating s3://${bucket}/${pointerKey}`)}; version ${artifact.version} was written but not promoted`);
  }
  written.push(pointerKey);
  return { pointer, ...(expected.pointer ? { previous: expected.pointer.version } : {}), keys: written };
}
