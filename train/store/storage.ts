/**
 * The one S3 client configuration used for every bucket the trainer touches:
 * Cloudflare R2 in production, Miniflare's S3 endpoint locally and in tests.
 */
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";

export interface S3Target {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
  /** Miniflare serves path-style URLs only; R2 accepts both. */
  forcePathStyle?: boolean;
}

export function createS3Client(t: S3Target): S3Client {
  return new S3Client({
    endpoint: t.endpoint,
    region: t.region ?? "auto",
    forcePathStyle: t.forcePathStyle ?? false,
    credentials: { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey },
    // R2 rejected the CRC32 headers newer SDKs send by default (501).
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 3,
  });
}

/**
 * Production target from the environment. Returns a list of what is missing
 * instead of throwing, so the CLI can say exactly which variables to set.
 */
export function s3TargetFromEnv(env: NodeJS.ProcessEnv, bucketOverride?: string): S3Target | { missing: string[] } {
  const endpoint = env.S3_ENDPOINT || (env.R2_ACCOUNT_ID ? `https://${env.R2_ACCOUNT_ID}.r2.cloudflarestorage.com` : "");
  const bucket = bucketOverride || env.S3_BUCKET || "";
  const accessKeyId = env.AWS_ACCESS_KEY_ID ?? "";
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY ?? "";
  const missing: string[] = [];
  if (!endpoint) missing.push("R2_ACCOUNT_ID or S3_ENDPOINT");
  if (!bucket) missing.push("S3_BUCKET");
  if (!accessKeyId) missing.push("AWS_ACCESS_KEY_ID");
  if (!secretAccessKey) missing.push("AWS_SECRET_ACCESS_KEY");
  if (missing.length) return { missing };
  return { endpoint, bucket, accessKeyId, secretAccessKey, region: env.S3_REGION || "auto", forcePathStyle: env.S3_FORCE_PATH_STYLE === "true" };
}

/** Bucket names as S3 and R2 allow them: 3-63 lowercase letters, digits, dots and hyphens. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * `s3://bucket/key/with/slashes` → parts, or undefined for a local path.
 * Throws for an `s3://` URL that cannot mean one object in one bucket: a
 * bucket name S3 would not accept (which is where `user:password@` would
 * land), an empty key, or a key with `.` / `..` / empty segments, which some
 * clients and proxies normalise into a different key (`bucket/../x`).
 */
export function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  if (!/^s3:\/\//i.test(url)) return undefined;
  const rest = url.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? "" : rest.slice(slash + 1);
  if (bucket.includes("@")) throw new Error("s3:// URLs must not carry credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead");
  if (!BUCKET_NAME.test(bucket)) throw new Error(`s3://${bucket}/...: "${bucket}" is not a bucket name (3-63 lowercase letters, digits, "." and "-")`);
  if (!key) throw new Error(`s3://${bucket}/: name an object, e.g. s3://${bucket}/data/credit.csv`);
  const bad = key.split("/").find((seg) => seg === "" || seg === "." || seg === "..");
  if (bad !== undefined) throw new Error(`s3://${bucket}/${key}: the key has a ${bad === "" ? "empty" : `"${bad}"`} path segment; write the object's key exactly`);
  return { bucket, key };
}

/** The HTTP status an SDK error carries, if any. */
export function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** Turns an SDK error into one line a person can act on (never includes credentials). */
export function describeS3Error(e: unknown, action: string): string {
  const err = e as { name?: string; message?: string };
  const status = statusOf(e);
  const name = err.name ?? "Error";
  const hint =
    name === "SignatureDoesNotMatch" || name === "InvalidAccessKeyId" || status === 403
      ? " (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)"
      : name === "NoSuchBucket"
        ? " (check S3_BUCKET, or create the bucket: wrangler r2 bucket create <name>)"
        : name === "ECONNREFUSED" || /ECONNREFUSED|ENOTFOUND|fetch failed/.test(err.message ?? "")
          ? " (check S3_ENDPOINT / R2_ACCOUNT_ID and the network)"
          : "";
  return `${action} failed: ${name}${status ? ` (HTTP ${status})` : ""}: ${err.message ?? String(e)}${hint}`;
}

/** An object's bytes, or undefined when there is no such key; other errors are thrown as the SDK raised them. */
export async function getObjectBytes(client: S3Client, bucket: string, key: string): Promise<Uint8Array | undefined> {
  return (await getObject(client, bucket, key))?.bytes;
}

/** An object's bytes and custom metadata (`x-amz-meta-*`); undefined when there is no such key. */
export async function getObject(client: S3Client, bucket: string, key: string): Promise<{ bytes: Uint8Array; metadata: Record<string, string> } | undefined> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { bytes: (await out.Body?.transformToByteArray()) ?? new Uint8Array(), metadata: out.Metadata ?? {} };
  } catch (e) {
    if ((e as { name?: string }).name === "NoSuchKey" || statusOf(e) === 404) return undefined;
    throw e;
  }
}

/** An object (or with "" the store) as messages name it: s3://bucket/key, or "key in the local R2 bucket …" (`where`, openStore's name for the store). */
export function objectName(l: { bucket: string; where?: string | undefined }, key: string): string {
  if (!l.where || l.where.startsWith("s3://")) return `s3://${l.bucket}/${key}`;
  return key ? `${key} in the ${l.where}` : `the ${l.where}`;
}
