/**
 * Fitting records into Cloudflare Queues' limits
 * (developers.cloudflare.com/queues/platform/limits): a message is at most
 * 128 KB (1 KB = 1000 bytes) including ~100 bytes of metadata, and one
 * sendBatch call at most 100 messages and 256 KB in all. A message body is
 * NDJSON text (one record per line), packed up to MESSAGE_BYTES; the
 * messages are grouped into sendBatch calls up to BATCH_BYTES and 100
 * messages. So a 1,000-instance request (~1 MB of records in "full") goes
 * out as ~9 messages in ~5 calls, and a 1-instance request as one message.
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

export interface Message {
  /** NDJSON, one record per line. */
  body: string;
  records: number;
  bytes: number;
}

export interface Packed {
  /** Each inner array is one sendBatch call. */
  calls: Message[][];
  /** Records that do not fit in a message at all (never with a real model's spec; counted as failed). */
  oversized: number;
}

/** Packs record lines (each one JSON record) into messages, and messages into sendBatch calls, in order. */
export function pack(lines: readonly string[], messageBytes = MESSAGE_BYTES, batchBytes = BATCH_BYTES): Packed {
  const messages: Message[] = [];
  let oversized = 0;
  let open: { lines: string[]; bytes: number } | undefined;
  const close = () => {
    if (open) messages.push({ body: open.lines.join("\n"), records: open.lines.length, bytes: open.bytes });
    open = undefined;
  };
  for (const line of lines) {
    const n = utf8Length(line);
    if (n > messageBytes) { oversized++; continue; }
    // +1 for the newline that joins it to the previous line.
    if (open && open.bytes + 1 + n > messageBytes) close();
    if (!open) open = { lines: [line], bytes: n };
    else { open.lines.push(line); open.bytes += 1 + n; }
  }
  close();
  const calls: Message[][] = [];
  let call: Message[] = [];
  let callBytes = 0;
  for (const m of messages) {
    const cost = m.bytes + METADATA_BYTES;
    if (call.length && (call.length >= BATCH_MESSAGES || callBytes + cost > batchBytes)) { calls.push(call); call = []; callBytes = 0; }
    call.push(m);
    callBytes += cost;
  }
  if (call.length) calls.push(call);
  return { calls, oversized };
}
