/**
 * Request-size limits, and the bounded drain every refusal uses (the app's
 * drainUnreadBody, edge/app.ts): a refused body is drained (so the client
 * reads the answer instead of a connection reset mid-upload), but only up to
 * a byte budget and a time budget: a client that announces 2 MB and then
 * sends nothing must not hold the request open.
 */
import type { Context, Next } from "hono";
import { bodyLimit } from "hono/body-limit";
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

/** Hono's bodyLimit with MAX_BODY_BYTES; the app drains the refused body (drainUnreadBody). */
export function limitBody(c: Context<AppEnv>, next: Next) {
  return bodyLimit({
    maxSize: c.get("settings").maxBodyBytes,
    onError: (c) => {
      const max = c.get("settings").maxBodyBytes;
      // The size the client declared, when it did (a chunked body has none): what to cut it down from.
      const declared = Number(c.req.header("content-length"));
      const received = Number.isSafeInteger(declared) && declared > max ? `${declared} bytes` : `more than ${max} bytes`;
      return fail(c, 413, "body_too_large", `the body is larger than ${max} bytes (MAX_BODY_BYTES): send fewer applicants per request`,
        [{ path: "body", expected: `at most ${max} bytes`, received }]);
    },
  })(c, next);
}
