/** Reading what the queue consumer wrote: every decisions object in the bucket, decompressed, and its records. */
import { gunzipSync } from "node:zlib";
import type { DecisionRecord } from "../../shared/decisions/record.ts";
import type { TestWorker } from "./worker.ts";

export interface Written {
  key: string;
  /** The object's bytes, decompressed (NDJSON). */
  text: string;
  records: DecisionRecord[];
}

export async function writtenDecisions(w: TestWorker, prefix = "decisions/"): Promise<Written[]> {
  const bucket = await w.bucket();
  const out: Written[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, ...(cursor ? { cursor } : {}) });
    for (const o of page.objects) {
      const body = await bucket.get(o.key);
      if (!body) continue;
      const text = gunzipSync(Buffer.from(await body.arrayBuffer())).toString("utf8");
      out.push({ key: o.key, text, records: text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as DecisionRecord) });
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return out;
}

/** Every record, de-duplicated by id as every reader must (delivery is at-least-once). */
export function distinct(written: readonly Written[]): Map<string, DecisionRecord> {
  const byId = new Map<string, DecisionRecord>();
  for (const w of written) for (const r of w.records) if (!byId.has(r.id)) byId.set(r.id, r);
  return byId;
}

/** Polls R2 until `done` holds for what was written (the consumer's batch timeout plus delivery), or `ms` pass. */
export async function waitForDecisions(w: TestWorker, done: (written: Written[]) => boolean, ms = 15_000): Promise<Written[]> {
  const until = Date.now() + ms;
  for (;;) {
    const written = await writtenDecisions(w);
    if (done(written) || Date.now() > until) return written;
    await new Promise((r) => setTimeout(r, 200));
  }
}
