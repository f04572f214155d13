/**
 * A second worker whose RPC entrypoints stand in for the edge's capture
 * bindings and fail the way the real ones can: `LosingWrites` writes to the
 * real R2 bucket and then reports failure for its first N writes (the write
 * landed, its response was lost: the consumer must retry and readers
 * de-duplicate); `DownWrites` refuses its first N writes without writing,
 * as R2 does during an outage; `QueueDown` refuses every send, as a queue
 * over its rate limit does ("Too Many Requests"); `FlakyQueue` refuses its
 * first N sends and hands the rest to the real queue. Everything else is the
 * real thing.
 */
import type { WorkerOptions } from "miniflare";

const SCRIPT = `
import { WorkerEntrypoint } from "cloudflare:workers";
let lost = 0;
export class LosingWrites extends WorkerEntrypoint {
  async put(key, value, options) {
    await this.env.BUCKET.put(key, value, options);
    if (lost < Number(this.env.WRITES_LOST)) { lost++; throw new Error("Network connection lost (simulated after the write landed)"); }
    return null;
  }
}
let down = 0;
export class DownWrites extends WorkerEntrypoint {
  async put(key, value, options) {
    if (down < Number(this.env.WRITES_DOWN)) { down++; throw new Error("R2 unavailable (simulated outage: nothing written)"); }
    await this.env.BUCKET.put(key, value, options);
    return null;
  }
}
export class QueueDown extends WorkerEntrypoint {
  async send() { throw new Error("Too Many Requests (simulated: queue over its rate limit)"); }
  async sendBatch() { throw new Error("Too Many Requests (simulated: queue over its rate limit)"); }
}
let refused = 0;
export class FlakyQueue extends WorkerEntrypoint {
  async sendBatch(messages, options) {
    if (refused < Number(this.env.QUEUE_REFUSALS)) { refused++; throw new Error("Too Many Requests (simulated: a second over the queue's rate limit)"); }
    return this.env.QUEUE.sendBatch(messages, options);
  }
}
export default { fetch() { return new Response(null, { status: 404 }); } };
`;

export interface Faults {
  writesLost?: number;
  writesDown?: number;
  /** FlakyQueue's refusals before it forwards sends to this queue. */
  queueRefusals?: { count: number; queueName: string };
}

export function faultyBindingsWorker(bucket: string, f: Faults): WorkerOptions & { name: string } {
  return {
    name: "faulty-bindings",
    modules: true,
    script: SCRIPT,
    compatibilityDate: "2026-07-01",
    r2Buckets: { BUCKET: bucket },
    bindings: { WRITES_LOST: String(f.writesLost ?? 0), WRITES_DOWN: String(f.writesDown ?? 0), QUEUE_REFUSALS: String(f.queueRefusals?.count ?? 0) },
    ...(f.queueRefusals ? { queueProducers: { QUEUE: { queueName: f.queueRefusals.queueName } } } : {}),
  };
}
