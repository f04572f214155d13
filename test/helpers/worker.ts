/**
 * The built worker running in real workerd (Miniflare), with an R2 bucket that
 * is reachable both as the Worker's binding and through Miniflare's own S3
 * endpoint (SigV4), exactly like R2 in production.
 */
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import type { S3Target } from "../../train/store/storage.ts";
import { faultyBindingsWorker } from "./faulty-bindings.ts";
import { fixtures } from "./fixtures.ts";

export interface TestWorker {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** POST a JSON body to `path`. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /**
   * POST on a fresh TCP connection. For multi-megabyte bodies: after such a
   * request workerd may close the keep-alive connection, and a pooled client
   * (undici, behind dispatchFetch) that reuses it at that moment fails with
   * ECONNRESET on write, a client-side race seen under CPU load (8 of 320 on
   * a loaded machine, 0 of 320 with fresh connections).
   */
  postFresh(path: string, body: string | Uint8Array, headers: Record<string, string>): Promise<{ status: number; text: string }>;
  bucket(): Promise<Awaited<ReturnType<Miniflare["getR2Bucket"]>>>;
  /** The worker's DECISIONS_QUEUE producer (with `capture`), to send what a client cannot. */
  queue(): Promise<Awaited<ReturnType<Miniflare["getQueueProducer"]>>>;
  s3: S3Target;
  /** Where the worker listens on loopback, for load generators. */
  url: string;
  /** Every line the worker logged (console.log / console.error). */
  logs: string[];
  dispose(): Promise<void>;
}

export const BUCKET = "edgescore-models";

export interface WorkerOptions {
  /** A Workers Rate Limiting binding named RATE_LIMITER (wrangler.toml `[[ratelimits]]`). */
  rateLimit?: { limit: number; period: 10 | 60 };
  /** Decision capture: the queue, its consumer (this worker's `queue()`) and the DECISIONS bucket (the same bucket as MODELS), as in wrangler.toml. */
  capture?: CaptureOptions;
}

export interface CaptureOptions {
  /** The consumer's max_batch_timeout, seconds (default 0.5). */
  batchTimeout?: number;
  /** The consumer's max_batch_size (default 100). */
  batchSize?: number;
  /** The consumer's max_retries (default 3; then the dead-letter queue). */
  maxRetries?: number;
  /** The dead-letter queue's consumer (this worker's `queue()` too, as in wrangler.toml): its max_retries (default 3). */
  deadLetterRetries?: number;
  /**
   * Faults from outside the worker (test/helpers/faulty-bindings.ts), by binding:
   * `writesLost`: the first N writes to DECISIONS land in R2 but report failure (a lost
   * response); `writesDown`: the first N writes to DECISIONS fail and write nothing (an R2 outage);
   * `queueDown`: every send to DECISIONS_QUEUE fails (as over the queue's rate limit);
   * `queueRefusals`: its first N sends fail, the rest reach the queue.
   */
  faults?: { writesLost?: number; writesDown?: number; queueDown?: boolean; queueRefusals?: number };
}

export const DECISIONS_QUEUE = "edgescore-decisions";
export const DECISIONS_DLQ = "edgescore-decisions-dlq";

export async function startWorker(bindings: Record<string, string> = {}, options: WorkerOptions = {}): Promise<TestWorker> {
  const accessKeyId = randomBytes(8).toString("hex");
  const secretAccessKey = randomBytes(16).toString("hex");
  const logs: string[] = [];
  const collect = (stream: NodeJS.ReadableStream) => {
    let buf = "";
    stream.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      logs.push(...lines.filter(Boolean));
    });
  };
  const capture = options.capture;
  const faults = capture?.faults ?? {};
  const edge = {
    name: "edge",
    modules: true,
    scriptPath: join(fixtures().workerDir, "index.js"),
    modulesRoot: fixtures().workerDir,
    modulesRules: [{ type: "CompiledWasm" as const, include: ["**/*.wasm"] }],
    compatibilityDate: "2026-07-01",
    r2Buckets: {
      MODELS: { id: BUCKET, s3Credentials: { accessKeyId, secretAccessKey } },
      ...(capture && !faults.writesLost && !faults.writesDown ? { DECISIONS: BUCKET } : {}),
    },
    bindings: { MODEL_NAME: "credit-risk", MODEL_REFRESH_SECONDS: "30", AUTH_MODE: "off", ...bindings },
    ...(options.rateLimit ? { ratelimits: { RATE_LIMITER: { namespace_id: "1001", simple: options.rateLimit } } } : {}),
    ...(capture ? {
      ...(faults.queueDown || faults.queueRefusals ? {} : { queueProducers: { DECISIONS_QUEUE: { queueName: DECISIONS_QUEUE } } }),
      queueConsumers: {
        [DECISIONS_QUEUE]: { maxBatchSize: capture.batchSize ?? 100, maxBatchTimeout: capture.batchTimeout ?? 0.5, maxRetries: capture.maxRetries ?? 3, deadLetterQueue: DECISIONS_DLQ },
        [DECISIONS_DLQ]: { maxBatchSize: 100, maxBatchTimeout: capture.batchTimeout ?? 0.5, maxRetries: capture.deadLetterRetries ?? 3 },
      },
      serviceBindings: {
        ...(faults.writesLost ? { DECISIONS: { name: "faulty-bindings", entrypoint: "LosingWrites" } } : {}),
        ...(faults.writesDown ? { DECISIONS: { name: "faulty-bindings", entrypoint: "DownWrites" } } : {}),
        ...(faults.queueDown ? { DECISIONS_QUEUE: { name: "faulty-bindings", entrypoint: "QueueDown" } } : {}),
        ...(faults.queueRefusals ? { DECISIONS_QUEUE: { name: "faulty-bindings", entrypoint: "FlakyQueue" } } : {}),
      },
    } : {}),
  };
  const needsFaults = Boolean(faults.writesLost || faults.writesDown || faults.queueDown || faults.queueRefusals);
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    handleRuntimeStdio: (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => { collect(stdout); collect(stderr); },
    workers: [edge, ...(needsFaults ? [faultyBindingsWorker(BUCKET, {
      writesLost: faults.writesLost ?? 0, writesDown: faults.writesDown ?? 0,
      ...(faults.queueRefusals ? { queueRefusals: { count: faults.queueRefusals, queueName: DECISIONS_QUEUE } } : {}),
    })] : [])],
  });
  const url = await mf.ready;
  const base = "http://edge.test";
  const doFetch = async (path: string, init?: RequestInit) => {
    // Miniflare's fetch types differ from the DOM's; the shapes are the same at runtime.
    const res = await mf.dispatchFetch(`${base}${path}`, init as never);
    return res as unknown as Response;
  };
  return {
    fetch: doFetch,
    post: (path, body, headers = {}) =>
      doFetch(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) }),
    postFresh: (path, body, headers) =>
      new Promise((resolve, reject) => {
        const bytes = typeof body === "string" ? Buffer.from(body) : Buffer.from(body);
        const req = request(
          { host: url.hostname, port: url.port, path, method: "POST", agent: false, headers: { ...headers, "content-length": bytes.length } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
          },
        );
        req.on("error", reject);
        req.end(bytes);
      }),
    bucket: () => mf.getR2Bucket("MODELS"),
    queue: () => mf.getQueueProducer<string>("DECISIONS_QUEUE"),
    s3: { endpoint: new URL("/cdn-cgi/local/r2/s3", url).toString(), bucket: BUCKET, accessKeyId, secretAccessKey, region: "auto", forcePathStyle: true },
    url: url.origin,
    logs,
    dispose: () => mf.dispose(),
  };
}
