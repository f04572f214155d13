/**
 * `captureAnswers`: the one call a route makes after scoring (champion,
 * canary) or in its own `waitUntil` (shadow). On the request path it only
 * decides (mode, sample) and takes the request's facts; the records' chunks
 * (chunk.ts) are written inside `waitUntil`, after the response has gone, and
 * sent with other requests' through the isolate's outbox (outbox.ts), so
 * capture neither delays nor fails an answer.
 *
 * Every call of one request shares its capture id (a server-made UUID, never
 * the client's X-Request-Id, which may repeat) and its sampling draw, so a
 * shadow's records pair with the champion's by id. The request's log line
 * waits for the sends started before the response and carries
 * `capture: {records, sent, failed}` (tally.ts); a call made later (a shadow
 * scored in `waitUntil`) logs its own `capture` line.
 */
import type { Context } from "hono";
import { log, type AppEnv } from "../context.ts";
import { count, type CaptureCounts } from "./counters.ts";
import { chunkLines } from "./chunk.ts";
import { outbox } from "./outbox.ts";
import type { Answers, InstanceSource } from "./records.ts";
import { sampled } from "./settings.ts";
import { tallyOf } from "./tally.ts";

export type { Answers, InstanceSource } from "./records.ts";

/** Lets the response go first: a macrotask runs after the handler's promise has resolved. */
const afterResponse = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Records `answers` (per CAPTURE and CAPTURE_SAMPLE); returns at once. The promise in the tally settles with the counts.
 * `source`, the body the instances were parsed from, lets the records' features be copied rather than serialised.
 */
export function captureAnswers(c: Context<AppEnv>, answers: Answers, source?: InstanceSource): void {
  const { mode, sample } = c.var.settings.capture;
  const queue = c.env.DECISIONS_QUEUE;
  if (mode === "off" || !queue || answers.count === 0) return;
  const tally = tallyOf(c);
  if (!sampled(tally.captureId, sample)) return;
  const facts = {
    captureId: tally.captureId,
    requestId: c.var.requestId,
    time: new Date().toISOString(),
    caller: c.var.caller?.logId ?? null,
    latencyMs: Number((performance.now() - c.var.startedAt).toFixed(3)),
    ...(source ? { source } : {}),
  };
  const work = (async (): Promise<CaptureCounts> => {
    await afterResponse();
    try {
      const { lines, oversized } = chunkLines(answers, facts, mode);
      if (oversized) log({ id: facts.requestId, event: "capture_failed", error: `${oversized} record(s) larger than a queue message` });
      const counts = await outbox.add(queue, lines, facts.requestId, log);
      counts.failed += oversized;
      count(counts);
      return counts;
    } catch (e) {
      // Building the records failed (a bug): the answer stands; counted and logged like a failed send.
      const counts = { sent: 0, failed: answers.count };
      count(counts);
      log({ id: facts.requestId, event: "capture_failed", error: e instanceof Error ? e.message.slice(0, 200) : "capture failed" });
      return counts;
    }
  })();
  c.executionCtx.waitUntil(work);
  tally.add(work, answers.count, answers.role);
}
