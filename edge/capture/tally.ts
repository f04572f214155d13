/**
 * One request's capture: its capture id, and how many records it handed to
 * the outbox. The request's log line (app.ts) is written with the response,
 * as with capture off, and carries `capture: {records}`. What became of the
 * records is counted in /healthz, and records that fail (a refused or
 * unsettled send, a record too large for a message) are logged on a line of
 * their own, `capture_failed` with the request id and the count, when that is
 * known.
 *
 * Why the line does not wait for the sends: most requests never wait for
 * their records at all (they ride on the send of the request that opened
 * the outbox's batch, outbox.ts), and a line written later, in `waitUntil`,
 * would hang on work an evicted isolate may never finish.
 */
import type { Context } from "hono";
import { log, type AppEnv } from "../context.ts";

export interface CaptureTally {
  captureId: string;
  /** Records handed to the outbox for this request (a shadow's, scored later, too). */
  add(records: number): void;
}

class RequestTally implements CaptureTally {
  readonly captureId = crypto.randomUUID();
  records = 0;
  add(records: number): void {
    this.records += records;
  }
}

const tallies = new WeakMap<Context<AppEnv>, RequestTally>();

export function tallyOf(c: Context<AppEnv>): CaptureTally {
  let t = tallies.get(c);
  if (!t) { t = new RequestTally(); tallies.set(c, t); }
  return t;
}

/** The capture id of this request, if capture has started one. */
export const captureIdOf = (c: Context<AppEnv>): string | undefined => tallies.get(c)?.captureId;

/** Writes the request's log line, with the records it queued when capture kept any. */
export function logRequest(c: Context<AppEnv>, line: Record<string, unknown>): void {
  const records = tallies.get(c)?.records;
  if (records) line.capture = { records };
  log(line);
}
