/**
 * A local R2 bucket behind a real S3 endpoint: Miniflare (the simulator
 * `wrangler dev` runs on) persisting into `.wrangler/state/v3`, so the local
 * publish takes the production code path (S3 API, SigV4, conditional writes)
 * and `npm run dev` then serves what was published. Its workerd process never
 * outlives the command: Miniflare's exit hook stops it on exit, SIGINT and
 * SIGTERM (exit 130 / 143), a guard when the command is killed outright.
 */
import { randomBytes } from "node:crypto";
import { Miniflare } from "miniflare";
import type { S3Target } from "./storage.ts";
import { guardProcesses, workerdChildren } from "./workerd-guard.ts";

export interface LocalR2 {
  target: S3Target;
  dispose(): Promise<void>;
}

export async function startLocalR2(bucketName: string, persistRoot = ".wrangler/state/v3"): Promise<LocalR2> {
  const before = new Set(workerdChildren());
  // Throwaway credentials, valid only for this process's endpoint.
  const accessKeyId = randomBytes(10).toString("hex");
  const secretAccessKey = randomBytes(20).toString("hex");
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 404 }); } }",
    compatibilityDate: "2026-07-01",
    host: "127.0.0.1",
    port: 0,
    defaultPersistRoot: persistRoot,
    r2Buckets: { MODELS: { id: bucketName, s3Credentials: { accessKeyId, secretAccessKey } } },
  });
  const url = await mf.ready;
  const guard = guardProcesses(workerdChildren().filter((pid) => !before.has(pid)));
  return {
    target: { endpoint: new URL("/cdn-cgi/local/r2/s3", url).toString(), bucket: bucketName, accessKeyId, secretAccessKey, region: "auto", forcePathStyle: true },
    dispose: async () => {
      await mf.dispose();
      guard.release();
    },
  };
}
