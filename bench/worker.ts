/**
 * A built worker running in real workerd (Miniflare) on loopback, with the R2
 * bucket reachable both as the Worker's binding and through Miniflare's S3
 * endpoint, as in test/helpers/worker.ts. Its console output is kept (last
 * lines for errors, parsed JSON request logs for server-side timings) instead
 * of reaching the terminal.
 */
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { Miniflare } from "miniflare";
import type { S3Target } from "../train/store/storage.ts";

export const BUCKET = "edgescore-models";
export const COMPATIBILITY_DATE = "2026-07-01";

export interface Credentials { accessKeyId: string; secretAccessKey: string }

export interface RunningWorker {
  url: URL;
  s3: S3Target;
  mf: Miniflare;
  /** Last console lines of the isolate. */
  lines: string[];
  /** Console lines that parsed as JSON objects (the app's request log). */
  events: Record<string, unknown>[];
  /** Time from `new Miniflare` to `ready`. */
  startMs: number;
  dispose(): Promise<void>;
}

export interface WorkerOptions {
  /** wrangler dry-run output directory (entry + modules). */
  dir: string;
  /** The entry module in `dir`. */
  entry?: string;
  bindings?: Record<string, string>;
  /** Persist R2 here (shared between fresh instances); in memory otherwise. */
  r2Persist?: string;
  credentials?: Credentials;
  /** Keep parsed JSON log events (cold-start timings); off under load. */
  keepEvents?: boolean;
  /** Decision capture as wrangler.toml declares it: DECISIONS_QUEUE, its consumer (this worker) and the DECISIONS bucket (= MODELS). */
  capture?: {
    batchTimeout: number;
    /**
     * "edge" (default): this worker's queue() consumes, as deployed. "sink": DECISIONS_QUEUE is bound to an
     * RPC entrypoint in a second workerd process whose sendBatch drops what it is sent, so what is measured is
     * the request side alone (building the chunks, the outbox, the RPC carrying them out of the process), as in
     * production, where the Queues service and the consumer run elsewhere; locally Miniflare's broker and the
     * consumer share the requests' workerd, and a sink in the same process would too (receiving what it is
     * sent on the requests' thread).
     */
    consumer?: "edge" | "sink";
  };
  /**
   * More copies of the edge in the same workerd process, so on the same thread: each answers the requests
   * whose Host header is `variantHost(name)`, with its bindings over `bindings`; `sink` binds its
   * DECISIONS_QUEUE to the RPC sink above, else it gets the queue's producer binding (only the main edge
   * consumes). The capture bench compares its variants this way: one workerd process can run faster than
   * another for its whole life, and variants sharing one process cannot differ by that.
   */
  variants?: Record<string, { bindings: Record<string, string>; sink?: boolean }>;
}

/** The Host header a variant of `WorkerOptions.variants` answers. */
export const variantHost = (name: string) => `${name}.variant.bench`;

export const DECISIONS_QUEUE = "edgescore-decisions";

export function newCredentials(): Credentials {
  return { accessKeyId: randomBytes(8).toString("hex"), secretAccessKey: randomBytes(16).toString("hex") };
}

const MAX_LINES = 200;

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const credentials = o.credentials ?? newCredentials();
  const lines: string[] = [];
  const events: Record<string, unknown>[] = [];
  const collect = (stream: Readable) => {
    let buf = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buf += chunk;
      const parts = buf.split("\n");
      buf = parts.pop() ?? "";
      for (const l of parts) {
        if (!l) continue;
        lines.push(l);
        if (lines.length > MAX_LINES) lines.shift();
        if (o.keepEvents && l.startsWith("{")) {
          try { events.push(JSON.parse(l) as Record<string, unknown>); } catch { /* not a log event */ }
        }
      }
    });
  };
  const started = performance.now();
  const consumers = o.capture ? {
    [DECISIONS_QUEUE]: { maxBatchSize: 100, maxBatchTimeout: o.capture.batchTimeout, maxRetries: 10, deadLetterQueue: `${DECISIONS_QUEUE}-dlq` },
    [`${DECISIONS_QUEUE}-dlq`]: { maxBatchSize: 100, maxBatchTimeout: 30, maxRetries: 100 },
  } : {};
  const sink = o.capture?.consumer === "sink";
  const variants = Object.entries(o.variants ?? {});
  const needsSink = sink || variants.some(([, v]) => v.sink);
  const sinkProcess = needsSink ? await startSink() : undefined;
  const sinkBinding = sinkProcess ? { serviceBindings: { DECISIONS_QUEUE: { external: { address: sinkProcess.address, http: {} } } } } : {};
  const producer = { queueProducers: { DECISIONS_QUEUE: { queueName: DECISIONS_QUEUE } } };
  /** What the edge and each of its variants share: the code and the buckets. */
  const base = {
    modules: true,
    scriptPath: join(o.dir, o.entry ?? "index.js"),
    modulesRoot: o.dir,
    modulesRules: [{ type: "CompiledWasm" as const, include: ["**/*.wasm"] }],
    compatibilityDate: COMPATIBILITY_DATE,
    r2Buckets: { MODELS: { id: BUCKET, s3Credentials: credentials }, ...(o.capture ? { DECISIONS: BUCKET } : {}) },
  };
  const edge = {
    ...base,
    name: "edge",
    ...(o.capture && !sink ? { ...producer, queueConsumers: consumers } : {}),
    ...(sink ? sinkBinding : {}),
    bindings: o.bindings ?? {},
  };
  const variantWorkers = variants.map(([name, v]) => ({
    ...base, name: `edge-${name}`, routes: [`${variantHost(name)}/*`], ...(v.sink ? sinkBinding : o.capture ? producer : {}), bindings: { ...(o.bindings ?? {}), ...v.bindings },
  }));
  let mf: Miniflare | undefined;
  let url: URL;
  try {
    mf = new Miniflare({
      host: "127.0.0.1",
      port: 0,
      ...(o.r2Persist ? { r2Persist: o.r2Persist } : {}),
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => { collect(stdout); collect(stderr); },
      workers: [edge, ...variantWorkers],
    });
    url = await mf.ready;
  } catch (e) {
    await mf?.dispose().catch(() => {});
    await sinkProcess?.mf.dispose().catch(() => {});
    throw e;
  }
  const running = mf;
  const startMs = performance.now() - started;
  let disposed: Promise<void> | undefined;
  return {
    url, mf: running, lines, events, startMs,
    s3: { endpoint: new URL("/cdn-cgi/local/r2/s3", url).toString(), bucket: BUCKET, ...credentials, region: "auto", forcePathStyle: true },
    dispose: () => (disposed ??= running.dispose().then(() => sinkProcess?.mf.dispose())),
  };
}

/** A workerd process of its own whose `Sink` entrypoint takes send/sendBatch calls (JS RPC over loopback) and drops them. */
async function startSink(): Promise<{ mf: Miniflare; address: string }> {
  const mf = new Miniflare({
    workers: [{
      name: "sink", modules: true, compatibilityDate: COMPATIBILITY_DATE, unsafeDirectSockets: [{ host: "127.0.0.1", entrypoint: "Sink" }],
      script: `import { WorkerEntrypoint } from "cloudflare:workers";
export class Sink extends WorkerEntrypoint { async send() {} async sendBatch() {} }
export default { fetch() { return new Response("sink"); } };`,
    }],
  });
  try {
    const url = await mf.unsafeGetDirectURL("sink", "Sink");
    return { mf, address: `${url.hostname}:${url.port}` };
  } catch (e) {
    await mf.dispose().catch(() => {});
    throw e;
  }
}

export interface Timed { status: number; text: string; ms: number }

/** One POST on a fresh TCP connection, timed from before connect to the last body byte. */
export function timedPost(url: URL, path: string, body: string, headers: Record<string, string> = { "content-type": "application/json" }): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const bytes = Buffer.from(body);
    const started = performance.now();
    const req = request(
      { host: url.hostname, port: url.port, path, method: "POST", agent: false, headers: { ...headers, "content-length": bytes.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), ms: performance.now() - started }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(bytes);
  });
}
