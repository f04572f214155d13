/**
 * Request-size limits, and the bounded drain every refusal uses (the app's
 * drainUnreadBody, edge/app.ts): a refused body is drained (so the client
 * reads the answer instead of a connection reset mid-upload), but only up to
 * a byte budget and a time budget: a client that announces 2 MB and then
 * sends nothing must not hold the request open.
 */
import type { Context, Next } from "hono";
import type { AppEnv } from "./context.ts";
import { fail } from "./errors.ts";

export const DRAIN_MAX_BYTES = 16 * 1024 * 1024;
export const DRAIN_MAX_MS = 1_000;

/** Reads and discards what is left of `body`, for at most `maxBytes` and `maxMs`. */
export async function drain(body: ReadableStream<Uint8Array> | null, maxBytes: number, maxMs: number): Promise<void> {
  if (!body || body.locked) return;
  const reader = body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => { timer = setTimeout(() => resolve("timeout"), maxMs); });
  try {
    for (let read = 0; read < maxBytes; ) {
      const r = await Promise.race([reader.read(), deadline]);
      if (r === "timeout") break;
      if (r.done) return;
      read += r.value.byteLength;
    }
    // Over budget: stop reading; the runtime closes the connection after the response.
    await reader.cancel().catch(() => {});
  } catch {
    // The client went away: nothing left to drain.
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
}

/** The size the client declared: Content-Length's digits, unless a Transfer-Encoding (chunked) overrides it. */
function declaredSize(c: Context<AppEnv>): number | undefined {
  const length = c.req.header("content-length");
  return length !== undefined && c.req.header("transfer-encoding") === undefined && /^\d{1,15}$/.test(length) ? Number(length) : undefined;
}

/** 413 body_too_large, with the size the client declared when it did (a chunked body has none): what to cut it down from. */
function tooLarge(c: Context<AppEnv>): Response {
  const max = c.get("settings").maxBodyBytes;
  const declared = declaredSize(c);
  const received = declared !== undefined && declared > max ? `${declared} bytes` : `more than ${max} bytes`;
  return fail(c, 413, "body_too_large", `the body is larger than ${max} bytes (MAX_BODY_BYTES): send fewer applicants per request`,
    [{ path: "body", expected: `at most ${max} bytes`, received }]);
}

/**
 * MAX_BODY_BYTES for a declared size, before the handler runs; the app drains the refused body
 * (drainUnreadBody). A chunked body declares none: readBody counts it as it reads, under the same
 * deadline (Hono's bodyLimit buffered it first, with no deadline: a stalled chunked body held the
 * request open).
 */
export function limitBody(c: Context<AppEnv>, next: Next): Promise<void> | Response {
  const declared = declaredSize(c);
  if (declared !== undefined && declared > c.get("settings").maxBodyBytes) return tooLarge(c);
  return next();
}

/** `received`: bytes read before the refusal; undefined when one native read was still filling its buffer (readDeclared). */
export type BodyRead = { ok: true; bytes: ArrayBuffer } | { ok: false; problem: "timeout" | "too_large"; received?: number };

/** Cancels `reader` once `ms` have passed (which ends its pending read); `late()` says whether it did. */
function cancelAfter(reader: { cancel(): Promise<void> }, ms: number): { late(): boolean; clear(): void } {
  let late = false;
  const timer = setTimeout(() => { late = true; reader.cancel().catch(() => {}); }, ms);
  return { late: () => late, clear: () => clearTimeout(timer) };
}

/** The chunks as one buffer; a body that came in one chunk is not copied. */
function joined(chunks: Uint8Array[], size: number): ArrayBuffer {
  const only = chunks[0];
  if (chunks.length === 1 && only && only.byteOffset === 0 && only.byteLength === only.buffer.byteLength && only.buffer instanceof ArrayBuffer) return only.buffer;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out.buffer;
}

/**
 * All of `body`, or why not: more than `maxBytes`, or not all arrived when `ms` passed. At the
 * deadline the reader is cancelled (which ends the pending read), so the runtime closes the
 * connection instead of waiting for the rest. One timer per request; no other work on the way to
 * the bytes.
 */
export async function readWithin(body: ReadableStream<Uint8Array> | null, ms: number, maxBytes: number, declared?: number): Promise<BodyRead> {
  if (!body) return { ok: true, bytes: new ArrayBuffer(0) };
  if (declared !== undefined && declared <= maxBytes) {
    const whole = await readDeclared(body, ms, declared);
    if (whole) return whole;
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const deadline = cancelAfter(reader, ms);
  try {
    for (;;) {
      const r = await reader.read();
      if (deadline.late() || r.done) break;
      size += r.value.byteLength;
      if (size > maxBytes) return { ok: false, problem: "too_large", received: size };
      chunks.push(r.value);
    }
  } catch (e) {
    if (!deadline.late()) throw e;
  } finally {
    deadline.clear();
    reader.releaseLock();
  }
  return deadline.late() ? { ok: false, problem: "timeout", received: size } : { ok: true, bytes: joined(chunks, size) };
}

/**
 * A body of a declared length, read in one native call into a buffer of that size: reading it chunk by chunk
 * in JavaScript cost ~145 µs for a 256-applicant body inside workerd against ~30 µs for `arrayBuffer()`
 * (scratch worker, 2,000 reads). Undefined where the runtime offers no BYOB `readAtLeast` (then the chunks
 * are read as they come). The deadline cancels the read as in readWithin.
 */
async function readDeclared(body: ReadableStream<Uint8Array>, ms: number, declared: number): Promise<BodyRead | undefined> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = body.getReader({ mode: "byob" });
  } catch {
    return undefined;
  }
  // workerd's `readAtLeast` fills a view with at least `min` bytes in one call (web streams' standard has none).
  if (typeof (reader as Partial<ReadableStreamBYOBReader>).readAtLeast !== "function") { reader.releaseLock(); return undefined; }
  if (declared === 0) { reader.releaseLock(); return { ok: true, bytes: new ArrayBuffer(0) }; }
  const deadline = cancelAfter(reader, ms);
  try {
    const r = await reader.readAtLeast(declared, new Uint8Array(declared));
    if (deadline.late()) return { ok: false, problem: "timeout" };
    const got = r.value;
    if (!got) return { ok: true, bytes: new ArrayBuffer(0) };
    // A body that ended short of its Content-Length is what arrived: JSON parsing judges it.
    return { ok: true, bytes: got.byteLength === got.buffer.byteLength ? got.buffer : got.slice().buffer };
  } catch (e) {
    if (deadline.late()) return { ok: false, problem: "timeout" };
    throw e;
  } finally {
    deadline.clear();
    reader.releaseLock();
  }
}

/**
 * The request's body within BODY_TIMEOUT_SECONDS and MAX_BODY_BYTES, or the answer that says it
 * was not: 408 body_timeout, or 413 body_too_large for a chunked body over the limit (drained
 * first, within the drain's bounds, so the client reads the 413).
 */
export async function readBody(c: Context<AppEnv>): Promise<ArrayBuffer | Response> {
  const s = c.get("settings");
  const declared = declaredSize(c);
  const r = await readWithin(c.req.raw.body, s.bodyTimeoutMs, s.maxBodyBytes, declared);
  if (r.ok) return r.bytes;
  if (r.problem === "too_large") {
    await drain(c.req.raw.body, DRAIN_MAX_BYTES, DRAIN_MAX_MS);
    return tooLarge(c);
  }
  const seconds = `${s.bodyTimeoutMs / 1000} s`;
  const expected = declared !== undefined ? `${declared} bytes` : "the whole body";
  return fail(c, 408, "body_timeout", `the body did not arrive within ${seconds} (BODY_TIMEOUT_SECONDS): send it whole, or retry`,
    [{ path: "body", expected: `${expected} within ${seconds}`, received: r.received === undefined ? `fewer than ${expected}` : `${r.received} bytes` }]);
}
