/**
 * How long a decision record survives an R2 outage: the consumer's retry
 * schedule (edge/capture/consumer.ts) against the queues wrangler.toml
 * declares, read by wrangler itself. Every dead-letter queue must have a
 * consumer: one without keeps its messages only until they expire, and the
 * records are lost.
 */
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { MAX_RETRY_DELAY_SECONDS, retryDelaySeconds } from "../edge/capture/consumer.ts";

/** Seconds of waiting a message gets before it is dead-lettered (or deleted) after `retries` failed deliveries. */
const window = (retries: number) => Array.from({ length: retries }, (_, k) => retryDelaySeconds(k + 1)).reduce((s, x) => s + x, 0);

describe("the consumer's retry schedule", () => {
  it("doubles from 1 s and stops at 3 hours", () => {
    expect([1, 2, 3, 4, 11].map(retryDelaySeconds)).toEqual([1, 2, 4, 8, 1024]);
    expect(retryDelaySeconds(14)).toBe(8192);
    expect(retryDelaySeconds(15)).toBe(MAX_RETRY_DELAY_SECONDS);
    expect(retryDelaySeconds(1_000)).toBe(MAX_RETRY_DELAY_SECONDS);
    // wrangler and Miniflare refuse a delay over 86,400 s.
    expect(MAX_RETRY_DELAY_SECONDS).toBeLessThanOrEqual(86_400);
  });

  it("treats a missing or odd attempt count as the first delivery", () => {
    for (const x of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 0.5]) expect(retryDelaySeconds(x)).toBe(1);
    expect(retryDelaySeconds(2.7)).toBe(2);
  });
});

/** The part of wrangler's config read here (its published types leave these arrays untyped). */
interface Queues {
  producers?: { binding: string; queue: string }[];
  consumers?: { queue: string; max_retries?: number | null; dead_letter_queue?: string | null }[];
}

describe("wrangler.toml's queues", () => {
  const queues = unstable_readConfig({ config: "wrangler.toml" }).queues as Queues;
  const consumers = queues.consumers ?? [];
  const producer = queues.producers?.find((p) => p.binding === "DECISIONS_QUEUE");

  it("consumes the decisions queue with a dead-letter queue, and consumes that queue too", () => {
    expect(producer).toBeDefined();
    const main = consumers.find((c) => c.queue === producer?.queue);
    expect(main?.dead_letter_queue).toBeTruthy();
    const dlq = consumers.find((c) => c.queue === main?.dead_letter_queue);
    expect(dlq, "a dead-letter queue without a consumer keeps records only until they expire").toBeDefined();
    // The consumer names its log lines by this suffix (decisions_dead_letter).
    expect(dlq?.queue.endsWith("-dlq")).toBe(true);
    // Every dead-letter queue any consumer names is consumed.
    for (const c of consumers) if (c.dead_letter_queue) expect(consumers.some((d) => d.queue === c.dead_letter_queue)).toBe(true);
  });

  it("retries a failed write for ~17 minutes on the queue, then ~11 days on the dead-letter queue, within its 14 days' retention", () => {
    const main = consumers.find((c) => c.queue === producer?.queue);
    const dlq = consumers.find((c) => c.queue === main?.dead_letter_queue);
    const onQueue = window(main?.max_retries ?? 3);
    const onDeadLetter = window(dlq?.max_retries ?? 3);
    expect(onQueue).toBe(1023);
    expect(onDeadLetter / 86_400).toBeGreaterThan(10);
    // The README's deploy step creates the dead-letter queue with --message-retention-period-secs 1209600 (14 days).
    expect(onDeadLetter).toBeLessThan(1_209_600);
  });
});
