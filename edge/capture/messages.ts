/**
 * Fitting records into Cloudflare Queues' limits
 * (developers.cloudflare.com/queues/platform/limits): a message is at most
 * 128 KB (1 KB = 1000 bytes) including ~100 bytes of metadata, and one
 * sendBatch call at most 100 messages and 256 KB in all. A message body is
 * NDJSON text (one chunk of a request's records per line, chunk.ts), packed
 * up to MESSAGE_BYTES; the messages are grouped into sendBatch calls up to
 * BATCH_BYTES and 100 messages. So a 1,000-instance request (~0.7 MB of
 * chunks in "full") goes out as ~6 messages in ~3 calls, and the chunks of
 * ~100 one-instance requests share one message (outbox.ts).
 */

/** Body bytes per message: 128,000 less the ~100 bytes of metadata, with room to spare. */
export const MESSAGE_BYTES = 120_000;
/** Body bytes per sendBatch call, each message counted with 100 bytes of metadata: under 256,000. */
export const BATCH_BYTES = 240_000;
export const BATCH_MESSAGES = 100;
const METADATA_BYTES = 100;

/** UTF-8 length without encoding when the text is ASCII (records almost always are). */
export function utf8Length(s: string): number {
  // eslint-disable-next-line no-control-regex
  return /[^\u0000-\u007f]/.test(s) ? new TextEncoder().encode(s).length : s.length;
}

/** A line to pack: its text, its UTF-8 length and how many records it holds. */
export interface Line {
  line: string;
  bytes: number;
  records: number;
}

export interface Message<T extends Line = Line> {
  /** NDJSON, one record or chunk per line. */
  body: string;
  records: number;
  bytes: number;
  /** The lines it holds, in order. */
  lines: T[];
}

export interface Packed<T extends Line = Line> {
  /** Each inner array is one sendBatch call. */
  calls: Message<T>[][];
  /** Records that do not fit in a message at all (never with a real model's spec; counted as failed). */
  oversized: number;
  /** The lines that held them, left out of every message. */
  dropped: T[];
}

/** Packs lines into messages, and messages into sendBatch calls, in order. */
export function packLines<T extends Line>(lines: readonly T[], messageBytes = MESSAGE_BYTES, batchBytes = BATCH_BYTES): Packed<T> {
  const messages: Message<T>[] = [];
  let oversized = 0;
  const dropped: T[] = [];
  let open: { lines: T[]; bytes: number } | undefined;
  const close = () => {
    if (open) messages.push({ body: open.lines.map((l) => l.line).join("\n"), records: open.lines.reduce((s, l) => s + l.records, 0), bytes: open.bytes, lines: open.lines });
    open = undefined;
  };
  for (const line of lines) {
    const n = line.bytes;
    if (n > messageBytes) { oversized += line.records; dropped.push(line); continue; }
    // +1 for the newline that joins it to the previous line.
    if (open && open.bytes + 1 + n > messageBytes) close();
    if (!open) open = { lines: [line], bytes: n };
    else { open.lines.push(line); open.bytes += 1 + n; }
  }
  close();
  const calls: Message<T>[][] = [];
  let call: Message<T>[] = [];
  let callBytes = 0;
  for (const m of messages) {
    const cost = m.bytes + METADATA_BYTES;
    if (call.length && (call.length >= BATCH_MESSAGES || callBytes + cost > batchBytes)) { calls.push(call); call = []; callBytes = 0; }
    call.push(m);
    callBytes += cost;
  }
  if (call.length) calls.push(call);
  return { calls, oversized, dropped };
}
