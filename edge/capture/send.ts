/**
 * Sends one request's records to the queue, in as many sendBatch calls as
 * the limits need (messages.ts), all at once. Never throws: a failed call is
 * counted (its records are lost to capture; the answer was already given)
 * and its error logged without any record content.
 */
import type { DecisionRecord } from "../../shared/decisions/record.ts";
import type { Log } from "../context.ts";
import type { CaptureCounts } from "./counters.ts";
import { pack } from "./messages.ts";

export async function sendRecords(queue: Queue<string>, records: readonly DecisionRecord[], log: Log, requestId: string): Promise<CaptureCounts> {
  const { calls, oversized } = pack(records.map((r) => JSON.stringify(r)));
  const counts: CaptureCounts = { sent: 0, failed: oversized };
  if (oversized) log({ id: requestId, event: "capture_failed", error: `${oversized} record(s) larger than a queue message` });
  const results = await Promise.allSettled(calls.map((call) => queue.sendBatch(call.map((m) => ({ body: m.body, contentType: "text" as const })))));
  results.forEach((r, i) => {
    const n = (calls[i] ?? []).reduce((s, m) => s + m.records, 0);
    if (r.status === "fulfilled") counts.sent += n;
    else {
      counts.failed += n;
      log({ id: requestId, event: "capture_failed", error: r.reason instanceof Error ? r.reason.message.slice(0, 200) : "send failed" });
    }
  });
  return counts;
}
