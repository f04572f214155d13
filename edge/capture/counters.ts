/** Capture's tallies since the isolate started, for the operator's /healthz (records, not messages). */
export interface CaptureCounts {
  /** Records handed to the queue (accepted by sendBatch). */
  sent: number;
  /** Records lost to a failed send (or too large for any message); each logged (`capture_failed`) with its request's id. */
  failed: number;
}

const totals: CaptureCounts = { sent: 0, failed: 0 };
/** Queue messages accepted: many requests' records share one (outbox.ts); Cloudflare's per-queue limit counts these. */
let messages = 0;

export function count(c: CaptureCounts): void {
  totals.sent += c.sent;
  totals.failed += c.failed;
}

export function countMessages(n: number): void {
  messages += n;
}

export const captureTotals = (): CaptureCounts & { messages: number } => ({ ...totals, messages });
