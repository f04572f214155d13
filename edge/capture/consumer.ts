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
 *
 * Retries wait, doubling from 1 s to 3 h (`retryDelaySeconds`): an R2
 * outage outlasts immediate retries in seconds. The dead-letter queue has
 * this same consumer (wrangler.toml), so a message that used up the queue's
 * retries (~17 min of them) is still written once R2 is back, for as long as
 * the dead-letter queue's own retries and retention last (~11 days with 100
 * retries and 14 days' retention), instead of waiting there, unread, until
 * deleted (4 days by default).
 *
 * With DECISIONS_SIGNING_KEY set, every object is signed (DSSE over its gzip
 * bytes, in its custom metadata `signatures`), so a reader that trusts the
 * key can refuse objects a bucket writer added or changed. A key that does
 * not parse fails closed: nothing is written unsigned, the messages wait in
 * the queues' retries for the key to be fixed.
 */
import { decisionsKey } from "../../shared/decisions/record.ts";
import { DECISIONS_PAYLOAD, sign, signerFromPem, type SignerParse } from "../../shared/signing.ts";
import { log } from "../context.ts";
import type { Env } from "../env.ts";
import { gzipNdjson, readMessage, type RecordLine } from "./batch-file.ts";

/** Longest wait between two deliveries of a message: under the 86,400 s that wrangler and Miniflare accept for a delay. */
export const MAX_RETRY_DELAY_SECONDS = 3 * 3600;

/** Wait before the next delivery of a message delivered `attempts` times: 1 s, 2 s, 4 s, … up to 3 h. */
export function retryDelaySeconds(attempts: number): number {
  const n = Number.isFinite(attempts) && attempts >= 1 ? Math.floor(attempts) : 1;
  return Math.min(MAX_RETRY_DELAY_SECONDS, 2 ** Math.min(n - 1, 30));
}

/** Redelivers `m` after its backoff. */
const retryLater = (m: Message<unknown>) => m.retry({ delaySeconds: retryDelaySeconds(m.attempts) });

/** The dead-letter queue, by the name wrangler.toml gives it (…-dlq): only its log lines differ. */
const isDeadLetter = (queue: string) => queue.endsWith("-dlq");

/** The isolate's parsed DECISIONS_SIGNING_KEY, by its text (a secret changes only with a new isolate, but cheaply checked). */
let signerCache: { pem: string; parsed: Promise<SignerParse> } | undefined;
function decisionsSigner(pem: string): Promise<SignerParse> {
  if (signerCache?.pem !== pem) signerCache = { pem, parsed: signerFromPem(pem) };
  return signerCache.parsed;
}

interface Group { model: string; time: string; lines: string[]; messages: Set<Message<unknown>> }

export async function consumeDecisions(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const bucket = env.DECISIONS;
  if (!bucket) {
    // Nothing can be written: keep the records in the queue (then its dead-letter queue) rather than drop them.
    log({ event: "decisions_consumer", queue: batch.queue, error: "the DECISIONS bucket binding is missing; batch retried", messages: batch.messages.length });
    batch.messages.forEach(retryLater);
    return;
  }
  const signing = env.DECISIONS_SIGNING_KEY ? await decisionsSigner(env.DECISIONS_SIGNING_KEY) : undefined;
  if (signing && !signing.ok) {
    // Never write unsigned what the operator asked to sign: keep the records in the queues until the key is fixed.
    log({ event: "decisions_consumer", queue: batch.queue, error: `DECISIONS_SIGNING_KEY is not an Ed25519 private key in PKCS#8 PEM (${signing.problem}); batch retried, nothing written`, messages: batch.messages.length });
    batch.messages.forEach(retryLater);
    return;
  }
  const signer = signing?.signer;
  const groups = new Map<string, Group>();
  let refused = 0;
  for (const message of batch.messages) {
    const read = readMessage(message.body);
    refused += read.refused;
    if (read.lines.length === 0) {
      log({ event: "decisions_consumer", queue: batch.queue, error: "message holds no decision record; acked, not retried", message: message.id });
      message.ack();
      continue;
    }
    for (const r of read.lines) addTo(groups, r, message);
  }
  if (refused) log({ event: "decisions_consumer", queue: batch.queue, error: `${refused} line(s) were not decision records; dropped` });
  const written = await Promise.allSettled([...groups.values()].map(async (g) => {
    const key = decisionsKey(g.model, g.time, crypto.randomUUID());
    const gz = await gzipNdjson(g.lines);
    const customMetadata: Record<string, string> = { records: String(g.lines.length) };
    if (signer) customMetadata.signatures = JSON.stringify([await sign(signer, DECISIONS_PAYLOAD, gz)]);
    await bucket.put(key, gz, { httpMetadata: { contentType: "application/gzip" }, customMetadata });
  }));
  const failed = new Set<Message<unknown>>();
  written.forEach((w, i) => {
    if (w.status === "fulfilled") return;
    const g = [...groups.values()][i] as Group;
    for (const m of g.messages) failed.add(m);
    log({ event: "decisions_consumer", queue: batch.queue, error: `writing ${g.lines.length} record(s) of ${g.model} failed; their messages are retried: ${w.reason instanceof Error ? w.reason.message.slice(0, 200) : "error"}` });
  });
  // Once per message: a message that fed a written group and a failed one is retried (its written records may then be in R2 twice).
  const fed = new Set<Message<unknown>>();
  for (const g of groups.values()) for (const m of g.messages) fed.add(m);
  for (const m of fed) if (failed.has(m)) retryLater(m); else m.ack();
  if (isDeadLetter(batch.queue)) {
    // Messages that used up the queue's retries: the operator should know they came late, and whether they are written now.
    const retried = [...fed].filter((m) => failed.has(m)).length;
    log({ event: "decisions_dead_letter", queue: batch.queue, messages: fed.size, written: fed.size - retried, retried });
  }
}

function addTo(groups: Map<string, Group>, r: RecordLine, message: Message<unknown>): void {
  const k = `${r.model}\n${r.time.slice(0, 13)}`;
  let g = groups.get(k);
  if (!g) { g = { model: r.model, time: r.time, lines: [], messages: new Set() }; groups.set(k, g); }
  g.lines.push(r.line);
  g.messages.add(message);
}
