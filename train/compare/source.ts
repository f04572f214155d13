/**
 * Where `models compare` reads decision records from: a reader function over
 * a time range, so the comparison does not care how records are stored.
 * `storeReader` reads the edge's objects (gzip NDJSON under
 * decisions/<model>/dt=YYYY-MM-DD/) through S3; train/decisions/read.ts (the
 * `decisions` commands' reader, which streams at flat memory) replaces it when
 * both are on main. Duplicates are left to the comparison (by id).
 */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { gunzipSync } from "node:zlib";
import { dayOfKey, decisionsPrefix, DECISION_FORMAT, type DecisionRecord } from "../../shared/decisions/record.ts";
import { describeS3Error, getObjectBytes } from "../store/storage.ts";

export interface Range { model: string; since: Date; until: Date }
export type DecisionReader = (r: Range) => AsyncIterable<DecisionRecord>;

/** A consumer batch is at most a few MB; anything far larger is not one. */
const MAX_OBJECT_BYTES = 64 * 1024 * 1024;
const DAY = 86_400_000;

async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of page.Contents ?? []) if (o.Key && (o.Size ?? 0) <= MAX_OBJECT_BYTES) out.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (e) {
    throw new Error(describeS3Error(e, `listing s3://${bucket}/${prefix}`));
  }
  return out.sort();
}

export function storeReader(client: S3Client, bucket: string): DecisionReader {
  return async function* read(r: Range) {
    // A batch that straddles midnight is filed under one of its days: one day either side is read too.
    const first = new Date(r.since.getTime() - DAY).toISOString().slice(0, 10);
    const last = new Date(r.until.getTime() + DAY).toISOString().slice(0, 10);
    for (const key of await listKeys(client, bucket, decisionsPrefix(r.model))) {
      const day = dayOfKey(key);
      if (!day || day < first || day > last) continue;
      let bytes: Uint8Array | undefined;
      try {
        bytes = await getObjectBytes(client, bucket, key);
      } catch (e) {
        throw new Error(describeS3Error(e, `reading s3://${bucket}/${key}`));
      }
      if (!bytes) continue; // deleted since the listing (decisions gc)
      const lines = gunzipSync(bytes).toString("utf8").split("\n");
      for (const [i, line] of lines.entries()) {
        if (!line.trim()) continue;
        let rec: DecisionRecord;
        try {
          rec = JSON.parse(line) as DecisionRecord;
        } catch (e) {
          throw new Error(`s3://${bucket}/${key} line ${i + 1}: not JSON (${(e as Error).message}); the object is damaged`);
        }
        if (rec.format !== DECISION_FORMAT || rec.model !== r.model) continue;
        const t = Date.parse(rec.time);
        if (t >= r.since.getTime() && t < r.until.getTime()) yield rec;
      }
    }
  };
}
