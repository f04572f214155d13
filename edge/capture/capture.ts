/**
 * `captureAnswers`: the one call a route makes after scoring (champion,
 * canary) or in its own `waitUntil` (shadow). On the request path it only
 * decides (mode, sample), takes the request's facts and leaves them in the
 * isolate's outbox (outbox.ts); the records' chunks (chunk.ts) are built when
 * the outbox sends them with other requests', in `waitUntil` after the
 * responses have gone, so capture neither delays nor fails an answer.
 *
 * Every call of one request shares its capture id (a server-made UUID, never
 * the client's X-Request-Id, which may repeat) and its sampling draw, so a
 * shadow's records pair with the champion's by id. The request's log line
 * carries `capture: {records}`, the records queued before the response
 * (tally.ts); records that fail are logged as `capture_failed` with the
 * request id and their count.
 */
import type { Context } from "hono";
import { log, type AppEnv } from "../context.ts";
import { chunkLines } from "./chunk.ts";
import { outbox } from "./outbox.ts";
import type { Answers, InstanceSource } from "./records.ts";
import { sampled } from "./settings.ts";
import { tallyOf } from "./tally.ts";

export type { Answers, InstanceSource } from "./records.ts";

/** About the bytes of a request's chunks, without building them: its answer's bytes, its instances' text, a head. */
function bytesGuess(answers: Answers, full: boolean, source?: InstanceSource): number {
  const json = full ? answers.answerJson?.() : undefined;
  const answered = json ? (json.marks[json.marks.length - 1] as number) - (json.marks[0] as number) : 1_000 * answers.count;
  const sent = full && source && source.spans.length ? (source.spans[source.spans.length - 1] as number) - (source.spans[0] as number) : 0;
  return answered + sent + 400;
}

/**
 * Records `answers` (per CAPTURE and CAPTURE_SAMPLE); returns at once.
 * `source`, the body the instances were parsed from, lets the records' features be copied rather than serialised.
 */
export function captureAnswers(c: Context<AppEnv>, answers: Answers, source?: InstanceSource): void {
  const { mode, sample } = c.get("settings").capture;
  const queue = c.env.DECISIONS_QUEUE;
  if (mode === "off" || !queue || answers.count === 0) return;
  const tally = tallyOf(c);
  if (!sampled(tally.captureId, sample)) return;
  const facts = {
    captureId: tally.captureId,
    requestId: c.get("requestId"),
    time: new Date().toISOString(),
    caller: c.get("caller")?.logId ?? null,
    latencyMs: Number((performance.now() - c.get("startedAt")).toFixed(3)),
    ...(source ? { source } : {}),
  };
  // Built into chunks when the batch is sent, after the response; only a request that opens a batch (or fills
  // the outbox) keeps a waitUntil, for the send that carries everyone's records (outbox.ts).
  const flush = outbox.add(queue, { requestId: facts.requestId, records: answers.count, bytes: bytesGuess(answers, mode === "full", source), build: () => chunkLines(answers, facts, mode) }, log);
  if (flush) c.executionCtx.waitUntil(flush);
  tally.add(answers.count);
}
