/**
 * The isolate's outbox (edge/capture/outbox.ts) as a producer: requests
 * answered together share one send; only the request that opens a batch
 * holds a promise to keep in `waitUntil`; a batch whose opener's timer never
 * fired does not stop capture; a full outbox is sent at once; a refused send
 * is tried twice more, and only then logged per request with its count. Timers are vitest's, so the linger is
 * exact; the queue records what it is sent (capture.test.ts runs the real
 * one in workerd).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { captureTotals } from "../edge/capture/counters.ts";
import { FLUSH_BYTES, LINGER_MS, SEND_RETRY_MS, STALE_MS, newOutbox, type Entry } from "../edge/capture/outbox.ts";

/** Records what it is sent; refuses the first `refuse` calls (Infinity: every call), as a queue over its rate limit. */
function recordingQueue(refuse = 0) {
  const calls: { body: string }[][] = [];
  const tries: number[] = [];
  const queue = {
    async sendBatch(messages: { body: string }[]) {
      tries.push(Date.now());
      if (tries.length <= refuse) throw new Error("Too Many Requests");
      calls.push(messages);
    },
  } as unknown as Queue<string>;
  return { queue, calls, tries, lines: () => calls.flat().flatMap((m) => m.body.split("\n")) };
}

const entry = (requestId: string, bytes = 1_200, records = 1): Entry => ({
  requestId, records, bytes, build: () => ({ lines: [{ line: `{"chunk":"${requestId}"}`, bytes: 14 + requestId.length, records }], oversized: 0 }),
});

describe("the outbox", () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it("sends requests answered within the linger in one call; only the opener holds a promise", async () => {
    const q = recordingQueue();
    const box = newOutbox();
    const log = vi.fn();
    const promises = ["a", "b", "c"].map((id) => box.add(q.queue, entry(id), log));
    expect(promises.map((p) => p !== undefined)).toEqual([true, false, false]);
    await vi.advanceTimersByTimeAsync(LINGER_MS - 1);
    expect(q.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await promises[0];
    expect(q.calls).toHaveLength(1);
    expect(q.lines()).toEqual(['{"chunk":"a"}', '{"chunk":"b"}', '{"chunk":"c"}']);
    // The next request after the send opens a new batch.
    expect(box.add(q.queue, entry("d"), log)).toBeDefined();
    expect(log).not.toHaveBeenCalled();
  });

  it("opens a new batch when the open one's opener never sent it, and loses nothing", async () => {
    const q = recordingQueue();
    const box = newOutbox();
    const first = box.add(q.queue, entry("lost-timer"), vi.fn());
    expect(first).toBeDefined();
    // Within STALE_MS a request joins the open batch; after it, it opens one itself.
    vi.setSystemTime(Date.now() + STALE_MS - 1);
    expect(box.add(q.queue, entry("joins"), vi.fn())).toBeUndefined();
    vi.setSystemTime(Date.now() + 2);
    const second = box.add(q.queue, entry("opens"), vi.fn());
    expect(second).toBeDefined();
    await vi.runAllTimersAsync();
    await Promise.all([first, second]);
    expect(q.lines().sort()).toEqual(['{"chunk":"joins"}', '{"chunk":"lost-timer"}', '{"chunk":"opens"}']);
  });

  it("sends at once, after the response, when the waiting chunks pass FLUSH_BYTES", async () => {
    const q = recordingQueue();
    const box = newOutbox();
    const big = Math.ceil(FLUSH_BYTES / 2);
    const opener = box.add(q.queue, entry("big-1", big), vi.fn());
    const filler = box.add(q.queue, entry("big-2", big), vi.fn());
    expect(filler).toBeDefined();
    expect(q.calls).toHaveLength(0); // not on the request's path
    await vi.advanceTimersByTimeAsync(0);
    await filler;
    expect(q.lines()).toEqual(['{"chunk":"big-1"}', '{"chunk":"big-2"}']);
    // The opener's timer finds nothing left to send.
    await vi.advanceTimersByTimeAsync(LINGER_MS);
    await opener;
    expect(q.calls).toHaveLength(1);
  });

  it("tries a refused send again after 250 ms and 1 s, and loses nothing when a try gets through", async () => {
    const q = recordingQueue(2);
    const box = newOutbox();
    const log = vi.fn();
    const before = captureTotals();
    const p = box.add(q.queue, entry("t1", 1_200, 2), log);
    box.add(q.queue, entry("t2", 1_200, 1), log);
    await vi.advanceTimersByTimeAsync(LINGER_MS);
    expect(q.tries).toHaveLength(1);
    await vi.advanceTimersByTimeAsync((SEND_RETRY_MS[0] as number) - 1);
    expect(q.tries).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(q.tries).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(SEND_RETRY_MS[1] as number);
    await p;
    expect(q.tries.map((t) => t - (q.tries[0] as number))).toEqual([0, SEND_RETRY_MS[0], SEND_RETRY_MS[0] + SEND_RETRY_MS[1]]);
    expect(q.lines()).toEqual(['{"chunk":"t1"}', '{"chunk":"t2"}']);
    expect(log).not.toHaveBeenCalled();
    expect(captureTotals().failed).toBe(before.failed);
    expect(captureTotals().sent - before.sent).toBe(3);
  });

  it("logs a send refused three times once per request it carried, with the request's count, and counts them failed", async () => {
    const q = recordingQueue(Number.POSITIVE_INFINITY);
    const box = newOutbox();
    const log = vi.fn();
    const before = captureTotals().failed;
    const p = box.add(q.queue, entry("r1", 1_200, 2), log);
    box.add(q.queue, entry("r2", 1_200, 3), log);
    await vi.runAllTimersAsync();
    await p;
    expect(q.tries).toHaveLength(3);
    expect(log.mock.calls.map(([l]) => l)).toEqual([
      { id: "r1", event: "capture_failed", error: "Too Many Requests", records: 2 },
      { id: "r2", event: "capture_failed", error: "Too Many Requests", records: 3 },
    ]);
    expect(captureTotals().failed - before).toBe(5);
  });
});
