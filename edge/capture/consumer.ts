/**
 * The queue consumer (the Worker's `queue()` handler): a batch's records,
 * grouped by model and hour, each group written as one gzip NDJSON object
 * at `decisionsKey(model, time, batch id)` in the DECISIONS bucket. A
 * message is acked once every group it fed is written; one that fed a
 * failed write is retried (the queue's max_retries, then its dead-letter
 * queue). Delivery is at-least-once: a retried message may be written twice
 * (a write can succeed and still report failure), so readers de-duplicate
 * by record id. A message that holds no record this edge writes is acked
 * and logged, never retried.
 */
import { decisionsKey } from "../../shared/decisions/record.ts";
import { log } from "../context.ts";
import type { Env } from "../env.ts";
import { gzipNdjson, readMessage, type RecordLine } from "./batch-file.ts";

interface Group { model: string; time: string; lines: string[]; messages: Set<Message<unknown>> }

export async function consumeDecisions(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const bucket = env.DECISIONS;
  if (!bucket) {
    // Nothing can be written: keep the records in the queue (then its dead-letter queue) rather than drop them.
    log({ event: "decisions_consumer", error: "the DECISIONS bucket binding is missing; batch retried", messages: batch.messages.length });
    batch.retryAll();
    return;
  }
  const groups = new Map<string, Group>();
  let refused = 0;
  for (const message of batch.messages) {
    const read = readMessage(message.body);
    refused += read.refused;
    if (read.lines.length === 0) {
      log({ event: "decisions_consumer", error: "message holds no decision record; acked, not retried", message: message.id });
      message.ack();
      continue;
    }
    for (const r of read.lines) addTo(groups, r, message);
  }
  if (refused) log({ event: "decisions_consumer", error: `${refused} line(s) were not decision records; dropped` });
  const written = await Promise.allSettled([...groups.values()].map(async (g) => {
    const key = decisionsKey(g.model, g.time, crypto.randomUUID());
    await bucket.put(key, await gzipNdjson(g.lines), { httpMetadata: { contentType: "application/gzip" }, customMetadata: { records: String(g.lines.length) } });
  }));
  const failed = new Set<Message<unknown>>();
  written.forEach((w, i) => {
    if (w.status === "fulfilled") return;
    const g = [...groups.values()][i] as Group;
    for (const m of g.messages) failed.add(m);
    log({ event: "decisions_consumer", error: `writing ${g.lines.length} record(s) of ${g.model} failed; their messages are retried: ${w.reason instanceof Error ? w.reason.message.slice(0, 200) : "error"}` });
  });
  for (const g of groups.values()) for (const m of g.messages) if (failed.has(m)) m.retry(); else m.ack();
}

function addTo(groups: Map<string, Group>, r: RecordLine, message: Message<unknown>): void {
  const k = `${r.model}\n${r.time.slice(0, 13)}`;
  let g = groups.get(k);
  if (!g) { g = { model: r.model, time: r.time, lines: [], messages: new Set() }; groups.set(k, g); }
  g.lines.push(r.line);
  g.messages.add(message);
}
