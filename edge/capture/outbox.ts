/**
 * The isolate's outbox: the chunks of every request answered within a few
 * milliseconds go to the queue together, in as few messages and sendBatch
 * calls as Cloudflare's limits allow (messages.ts), like a Kafka producer's
 * linger. Each send is an RPC to the Queues service (locally, Miniflare's
 * broker) whose cost hardly depends on how much it carries, and the queue
 * takes at most 5,000 messages a second and bills per 64 KB written: a
 * hundred one-applicant requests in one message cost one send, one message
 * and two operations instead of a hundred of each.
 *
 * A request that finds the outbox empty *opens* a batch: its `waitUntil`
 * sleeps LINGER_MS and then builds and sends everything waiting, through its
 * own binding, in its own context. A request that finds a batch open only
 * leaves its entry: no timer, no `waitUntil`, nothing on its isolate until
 * the opener's send (entries are built into chunks then, after every
 * response). An entry is never left unguarded: it joins only a batch whose
 * opener's `waitUntil` is still waiting to send it, and a batch open past
 * STALE_MS is taken as lost and a new one opened. Past FLUSH_BYTES the
 * request that crosses it sends at once, after its own response.
 *
 * Why no request waits for its own records: workerd ends a request whose
 * promises only another request's I/O could settle, so a joining request
 * could learn its send's outcome only by keeping timers of its own — which
 * cost every one-applicant request more than the rest of capture together.
 * Outcomes are counted instead (counters.ts, /healthz), and records that fail
 * are logged with their own request's id (`capture_failed`).
 *
 * A refused send is tried twice more, after 250 ms and 1 s (SEND_RETRY_MS),
 * in the same `waitUntil`: a blip or a second over the queue's rate limit
 * should not cost records. A send that landed but reported failure is sent
 * again: readers de-duplicate by record id.
 */
import type { Log } from "../context.ts";
import { count, countMessages } from "./counters.ts";
import { packLines, type Line } from "./messages.ts";

/** How long a batch waits for company: well under any request's `waitUntil` allowance (30 s). */
export const LINGER_MS = 20;
/** Send at once past this many bytes (~8 messages): bounds the isolate's memory and one send's size. */
export const FLUSH_BYTES = 1_000_000;
/**
 * A batch open this long has lost its opener (its timer never fired: the
 * request's context was ended): the next request opens another, so one lost
 * timer cannot stop the isolate's capture. The late timer, if it ever fires,
 * finds nothing or sends what waits.
 */
export const STALE_MS = 1_000;
/** Waits before the second and third tries of a refused send: well inside `waitUntil`'s 30 s. */
export const SEND_RETRY_MS = [250, 1_000] as const;

/** One request's records, built into chunk lines only when their batch is sent. */
export interface Entry {
  requestId: string;
  records: number;
  /** About how many bytes its chunks take (to bound what waits). */
  bytes: number;
  /** Its chunk lines, and how many records were too large for any (chunk.ts). */
  build(): { lines: readonly Line[]; oversized: number };
}

interface Built extends Line {
  requestId: string;
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
/** Lets the response go first: a macrotask runs after the handler's promise has resolved. */
const afterResponse = () => sleep(0);

/** `send()` until it resolves, waiting SEND_RETRY_MS between tries; rejects with the last error. */
async function withRetries(send: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await send();
      return;
    } catch (e) {
      const wait = SEND_RETRY_MS[attempt];
      if (wait === undefined) throw e;
      await sleep(wait);
    }
  }
}

class Outbox {
  private waiting: Entry[] = [];
  private bytes = 0;
  /** When the open batch was opened (0: none is open); its opener's `waitUntil` will send what waits. */
  private openedAt = 0;

  /**
   * Leaves `entry` to be sent. Returns the promise the calling request must
   * keep in `waitUntil` when it opened a batch or filled the outbox, else
   * undefined (an open batch's opener carries it). Settles, never rejects.
   */
  add(queue: Queue<string>, entry: Entry, log: Log): Promise<void> | undefined {
    this.waiting.push(entry);
    this.bytes += entry.bytes;
    if (this.bytes >= FLUSH_BYTES) return afterResponse().then(() => this.send(queue, log));
    const now = Date.now();
    if (this.openedAt && now - this.openedAt < STALE_MS) return undefined;
    this.openedAt = now;
    return sleep(LINGER_MS).then(() => {
      if (this.openedAt === now) this.openedAt = 0;
      return this.send(queue, log);
    });
  }

  /** Builds and sends everything waiting, through the calling request's binding. */
  private async send(queue: Queue<string>, log: Log): Promise<void> {
    const entries = this.waiting;
    this.waiting = [];
    this.bytes = 0;
    if (entries.length === 0) return;
    const lines: Built[] = [];
    for (const e of entries) {
      try {
        const { lines: built, oversized } = e.build();
        for (const l of built) lines.push({ ...l, requestId: e.requestId });
        if (oversized) fail(log, e.requestId, oversized, "record(s) larger than a queue message");
      } catch (err) {
        // Building one request's records failed (a bug): the others go; the answer stood.
        fail(log, e.requestId, e.records, err instanceof Error ? err.message.slice(0, 200) : "capture failed");
      }
    }
    const { calls, dropped } = packLines(lines);
    // packLines drops only a line longer than a message, which chunkLines never makes: fail it rather than lose it.
    for (const l of dropped) fail(log, l.requestId, l.records, "chunk larger than a queue message");
    await Promise.all(calls.map(async (call) => {
      const carried = call.flatMap((m) => m.lines);
      const records = carried.reduce((s, l) => s + l.records, 0);
      try {
        const messages = call.map((m) => ({ body: m.body, contentType: "text" as const }));
        await withRetries(() => queue.sendBatch(messages));
        count({ sent: records, failed: 0 });
        countMessages(call.length);
      } catch (e) {
        // One line per request whose records it carried: ids and counts only, never a record's content.
        const error = e instanceof Error ? e.message.slice(0, 200) : "send failed";
        const perRequest = new Map<string, number>();
        for (const l of carried) perRequest.set(l.requestId, (perRequest.get(l.requestId) ?? 0) + l.records);
        for (const [id, n] of perRequest) fail(log, id, n, error);
      }
    }));
  }
}

/** Counted in /healthz and logged with the request's id: the records, never their content. */
function fail(log: Log, id: string, records: number, error: string): void {
  count({ sent: 0, failed: records });
  log({ id, event: "capture_failed", error, records });
}

/** One per isolate: a Worker has one decisions queue. */
export const outbox = new Outbox();

/** A fresh outbox, for tests of its batching. */
export const newOutbox = () => new Outbox();
