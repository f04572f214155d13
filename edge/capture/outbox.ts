/**
 * The isolate's outbox: chunk lines from every request answered within a
 * few milliseconds go to the queue together, in as few messages and
 * sendBatch calls as Cloudflare's limits allow (messages.ts), like a Kafka
 * producer's linger. Each send is an RPC to the Queues service (locally,
 * Miniflare's broker) whose cost hardly depends on how much it carries, and
 * the queue takes at most 5,000 messages a second and bills per 64 KB
 * written: a hundred one-applicant requests in one message cost one send,
 * one message and two operations instead of a hundred of each.
 *
 * Nothing waits in memory unguarded, and no request waits on another's I/O:
 * each request that adds lines keeps its own `waitUntil` (capture.ts) open
 * on its own timers until the send carrying them has settled. workerd ends a
 * request whose promises only another request's I/O could settle, so a
 * request never awaits another's send: it sleeps LINGER_MS, sends whatever
 * is still waiting (its lines and anyone's) if no one has, and then checks
 * on its lines every POLL_MS. The request that sends awaits the send. A
 * full outbox (FLUSH_BYTES) is sent at once. A failed send fails only the
 * records it carried, each counted in its own request's log line.
 */
import type { Log } from "../context.ts";
import { countMessages, type CaptureCounts } from "./counters.ts";
import { MESSAGE_BYTES, packLines, type Line } from "./messages.ts";

/** How long lines wait for company: well under any request's `waitUntil` allowance (30 s). */
export const LINGER_MS = 20;
/** Send at once past this many bytes (~8 messages): bounds the isolate's memory and one send's size. */
export const FLUSH_BYTES = 1_000_000;
const POLL_MS = 5;
/** A send that has not settled by then is counted failed (the records may still arrive: readers de-duplicate either way). */
const SETTLE_MS = 20_000;

interface Waiting extends Line {
  requestId: string;
  /** Taken by a send. */
  taken: boolean;
  /** The send's outcome, once settled. */
  sent?: boolean;
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

class Outbox {
  private waiting: Waiting[] = [];
  private bytes = 0;

  /** Resolves with the lines' counts once the send carrying each has settled; never rejects. */
  async add(queue: Queue<string>, lines: readonly Line[], requestId: string, log: Log): Promise<CaptureCounts> {
    const mine: Waiting[] = lines.map((l) => ({ ...l, requestId, taken: false }));
    for (const w of mine) { this.waiting.push(w); this.bytes += w.bytes; }
    if (this.bytes >= FLUSH_BYTES) await this.send(queue, log);
    else await sleep(LINGER_MS);
    if (mine.some((w) => !w.taken)) await this.send(queue, log);
    for (const t0 = Date.now(); mine.some((w) => w.sent === undefined) && Date.now() - t0 < SETTLE_MS;) await sleep(POLL_MS);
    const counts: CaptureCounts = { sent: 0, failed: 0 };
    for (const w of mine) counts[w.sent ? "sent" : "failed"] += w.records;
    return counts;
  }

  /** Sends everything waiting, through the calling request's binding; settles when every call has. */
  private async send(queue: Queue<string>, log: Log): Promise<void> {
    const lines = this.waiting;
    this.waiting = [];
    this.bytes = 0;
    for (const l of lines) l.taken = true;
    const { calls } = packLines(lines);
    // packLines drops only a line longer than a message, which chunkLines never makes: fail it rather than wait for it.
    for (const l of lines) if (l.bytes > MESSAGE_BYTES) l.sent = false;
    await Promise.all(calls.map(async (call) => {
      const carried = call.flatMap((m) => m.lines);
      try {
        await queue.sendBatch(call.map((m) => ({ body: m.body, contentType: "text" as const })));
        for (const l of carried) l.sent = true;
        countMessages(call.length);
      } catch (e) {
        for (const l of carried) l.sent = false;
        // One line per request whose records it carried: ids and counts only, never a record's content.
        const error = e instanceof Error ? e.message.slice(0, 200) : "send failed";
        const perRequest = new Map<string, number>();
        for (const l of carried) perRequest.set(l.requestId, (perRequest.get(l.requestId) ?? 0) + l.records);
        for (const [id, records] of perRequest) log({ id, event: "capture_failed", error, records });
      }
    }));
  }
}

/** One per isolate: a Worker has one decisions queue. */
export const outbox = new Outbox();
