/**
 * Where a command's models live: the local R2 store that `wrangler dev` serves
 * (an embedded Miniflare persisting into .wrangler/state/v3, reached through
 * its S3 endpoint) or R2/S3 from the environment. Either way the command talks
 * S3 through the one client configuration in storage.ts. `s3TargetFromEnv`
 * (storage.ts) says which environment variables an S3 store is missing.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { createS3Client, type S3Target } from "./storage.ts";
import { readWranglerFacts } from "./wrangler-config.ts";

export type StoreKind = "local" | "s3";

export interface Store {
  kind: StoreKind;
  target: S3Target;
  client: S3Client;
  /** For messages: `local R2 bucket "x" (.wrangler/state/v3)` or `s3://bucket`. */
  where: string;
  close(): Promise<void>;
}

/** Opens the store; for "local" the bucket name comes from wrangler.toml unless given. */
export async function openStore(kind: StoreKind, s3?: S3Target, localBucket?: string): Promise<Store> {
  if (kind === "s3") {
    if (!s3) throw new Error("openStore: an S3 target is required for the s3 store");
    const client = createS3Client(s3);
    return { kind, target: s3, client, where: `s3://${s3.bucket}`, close: async () => client.destroy() };
  }
  const bucket = localBucket ?? readWranglerFacts().bucketName;
  // Loaded only for the local store: Miniflare alone is ~130 MiB of a process's RSS, which an S3 run never needs.
  const { startLocalR2 } = await import("./local-r2.ts");
  const local = await startLocalR2(bucket);
  const client = createS3Client(local.target);
  return {
    kind, target: local.target, client, where: `local R2 bucket "${bucket}" (.wrangler/state/v3)`,
    close: async () => { client.destroy(); await local.dispose(); },
  };
}
