/**
 * One request's capture: its capture id, and the sends started for it.
 * The request's log line (app.ts) waits for those started before the
 * response and adds their counts; a send added after the line was written
 * (a shadow scored later) logs its own line.
 */
import type { Context } from "hono";
import type { Role } from "../../shared/decisions/record.ts";
import { log, type AppEnv } from "../context.ts";
import type { CaptureCounts } from "./counters.ts";

export interface CaptureTally {
  captureId: string;
  add(work: Promise<CaptureCounts>, records: number, role: Role): void;
}

interface Pending { work: Promise<CaptureCounts>; records: number }

class RequestTally implements CaptureTally {
  readonly captureId = crypto.randomUUID();
  readonly pending: Pending[] = [];
  lineWritten = false;
  constructor(private readonly requestId: string) {}
  add(work: Promise<CaptureCounts>, records: number, role: Role): void {
    if (!this.lineWritten) { this.pending.push({ work, records }); return; }
    void work.then((c) => log({ id: this.requestId, event: "capture", role, capture: { records, ...c } }));
  }
}

const tallies = new WeakMap<Context<AppEnv>, RequestTally>();

export function tallyOf(c: Context<AppEnv>): CaptureTally {
  let t = tallies.get(c);
  if (!t) { t = new RequestTally(c.var.requestId); tallies.set(c, t); }
  return t;
}

/** The capture id of this request, if capture has started one. */
export const captureIdOf = (c: Context<AppEnv>): string | undefined => tallies.get(c)?.captureId;

/**
 * Writes the request's log line: at once when nothing was captured, else
 * (in `waitUntil`) once the sends settle, with their counts.
 */
export function logRequest(c: Context<AppEnv>, line: Record<string, unknown>): void {
  const t = tallies.get(c);
  if (!t || t.pending.length === 0) { if (t) t.lineWritten = true; log(line); return; }
  t.lineWritten = true;
  const pending = t.pending.splice(0);
  c.executionCtx.waitUntil(Promise.all(pending.map((p) => p.work)).then((all) => {
    const capture = { records: pending.reduce((s, p) => s + p.records, 0), sent: 0, failed: 0 };
    for (const x of all) { capture.sent += x.sent; capture.failed += x.failed; }
    log({ ...line, capture });
  }));
}
