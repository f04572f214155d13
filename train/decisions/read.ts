/**
 * Reading decision records back: every record of one model whose time is in
 * [since, until), in key order (day, hour, batch), each id once. The edge's
 * consumer writes gzip NDJSON objects under
 * `decisions/<model>/dt=YYYY-MM-DD/<HH>-<batch id>.ndjson.gz`; delivery is
 * at-least-once, so the same record can sit in two objects and readers
 * de-duplicate by id (IdSet: ~32 bytes per id). The partitions one day either
 * side of the range are read too (a batch that straddles midnight is filed
 * under one of its days), and records are kept by their own time.
 *
 * With `trusted` keys (DECISIONS_SIGNING_KEYS), every object must carry a
 * signature by one of them over its bytes (the consumer's
 * DECISIONS_SIGNING_KEY): an object a bucket writer added or changed stops
 * the read, named, rather than being counted as decisions.
 *
 * Memory stays flat: a few compressed objects are fetched ahead (in order),
 * one is decompressed at a time, and records are yielded one by one. Used by
 * `npm run decisions`, `npm run monitor -- --decisions` and `models compare`.
 */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { gunzipSync } from "node:zlib";
import { dayOfKey, decisionsPrefix, DECISION_FORMAT, type DecisionRecord, type Role } from "../../shared/decisions/record.ts";
import { DECISIONS_PAYLOAD, signaturesIn, verifySignatures, type Signature, type TrustedKeys } from "../../shared/signing.ts";
import { describeS3Error, getObject, objectName } from "../store/storage.ts";
import { daysBetween, dayOf } from "./dates.ts";
import { IdSet } from "./id-set.ts";

export interface DecisionsStore {
  client: S3Client;
  bucket: string;
  /** How messages name the store, as Location's `where` (absent: s3://bucket). */
  where?: string;
  /** Set and not empty: only objects signed by one of these keys are read (DECISIONS_SIGNING_KEYS). */
  trusted?: TrustedKeys;
}

export interface ReadRange {
  model: string;
  since: Date;
  /** Exclusive. */
  until: Date;
  /** Only these roles (default: all). */
  roles?: readonly Role[];
}

/** Bounds on what one object may be: a consumer batch is at most a few MB. */
export const MAX_OBJECT_BYTES = 64 * 1024 * 1024;
export const MAX_RECORDS_TEXT_BYTES = 512 * 1024 * 1024;
/** Objects fetched ahead of the one being read. */
const PREFETCH = 4;

export type DecisionsErrorCode = "decisions_damaged" | "decisions_unsigned" | "storage";

/** A record or object that cannot be read: the message names the object (and line). */
export class DecisionsError extends Error {
  constructor(message: string, readonly code: DecisionsErrorCode) {
    super(message);
  }
}

/** What a read went through, for messages and `--json`. */
export class ReadStats {
  /** The day partitions that exist in the searched range (with the one-day margins). */
  days: string[] = [];
  /** The days the range covers, first and last (YYYY-MM-DD). */
  searched: [string, string] = ["", ""];
  objects = 0;
  /** Records read (every line), in the range or not. */
  lines = 0;
  /** Records in the range and role seen again under the same id (at-least-once delivery), dropped. */
  duplicates = 0;
  /** Records yielded. */
  records = 0;
  /** Bytes of the de-duplication table at the end. */
  idSetBytes = 0;
}


/** The day partitions (YYYY-MM-DD) a model has, oldest first. */
export async function listDays(s: DecisionsStore, model: string): Promise<string[]> {
  const prefix = decisionsPrefix(model);
  const days: string[] = [];
  let token: string | undefined;
  try {
    do {
      const out = await s.client.send(new ListObjectsV2Command({ Bucket: s.bucket, Prefix: prefix, Delimiter: "/", ...(token ? { ContinuationToken: token } : {}) }));
      for (const p of out.CommonPrefixes ?? []) {
        const m = /^dt=(\d{4}-\d{2}-\d{2})\/$/.exec((p.Prefix ?? "").slice(prefix.length));
        if (m) days.push(m[1] as string);
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  } catch (e) {
    throw new DecisionsError(describeS3Error(e, `listing ${objectName(s, prefix)}`), "storage");
  }
  return days.sort();
}

export interface StoredObject { key: string; size: number }

/** The decisions objects of one day partition, in key order (hour, then batch id). */
export async function listDayObjects(s: DecisionsStore, model: string, day: string): Promise<StoredObject[]> {
  const prefix = decisionsPrefix(model, day);
  const objects: StoredObject[] = [];
  let token: string | undefined;
  try {
    do {
      const out = await s.client.send(new ListObjectsV2Command({ Bucket: s.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of out.Contents ?? []) if (o.Key && dayOfKey(o.Key) === day) objects.push({ key: o.Key, size: o.Size ?? 0 });
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  } catch (e) {
    throw new DecisionsError(describeS3Error(e, `listing ${objectName(s, prefix)}`), "storage");
  }
  return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const ROLES = new Set<string>(["champion", "canary", "shadow"]);

/** Why a parsed line is not a decision record of `model`, or undefined when it is one. */
function problem(x: unknown, model: string): string | undefined {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return "not a JSON object";
  const r = x as Record<string, unknown>;
  if (r.format !== DECISION_FORMAT) return `format is ${JSON.stringify(r.format)}, expected "${DECISION_FORMAT}"`;
  for (const f of ["id", "requestId", "time", "version", "manifestSha256"] as const) if (typeof r[f] !== "string" || r[f] === "") return `"${f}" is missing or not a string`;
  if (r.model !== model) return `"model" is ${JSON.stringify(r.model)}, but the object is under decisions/${model}/`;
  if (Number.isNaN(Date.parse(r.time as string))) return `"time" ${JSON.stringify(r.time)} is not a time`;
  if (!ROLES.has(r.role as string)) return `"role" ${JSON.stringify(r.role)} is not champion, canary or shadow`;
  if (typeof r.answer !== "object" || r.answer === null) return `"answer" is missing`;
  if (r.features !== undefined && (typeof r.features !== "object" || r.features === null || Array.isArray(r.features))) return `"features" is not an object`;
  return undefined;
}

/** The records of one object's bytes (gzip NDJSON), checked; a bad line throws naming the object and line. */
export function parseObject(s: DecisionsStore, key: string, bytes: Uint8Array, model: string): DecisionRecord[] {
  let text: string;
  try {
    text = gunzipSync(bytes, { maxOutputLength: MAX_RECORDS_TEXT_BYTES }).toString("utf8");
  } catch (e) {
    throw new DecisionsError(`${objectName(s, key)}: not a gzip object (${(e as Error).message})`, "decisions_damaged");
  }
  const out: DecisionRecord[] = [];
  let line = 0;
  for (let at = 0; at < text.length;) {
    const nl = text.indexOf("\n", at);
    const end = nl < 0 ? text.length : nl;
    const raw = text.slice(at, end);
    at = end + 1;
    line++;
    if (raw.trim() === "") continue;
    let x: unknown;
    try {
      x = JSON.parse(raw);
    } catch (e) {
      throw new DecisionsError(`${objectName(s, key)} line ${line}: not JSON (${(e as Error).message})`, "decisions_damaged");
    }
    const p = problem(x, model);
    if (p) throw new DecisionsError(`${objectName(s, key)} line ${line}: ${p}`, "decisions_damaged");
    out.push(x as DecisionRecord);
  }
  return out;
}

/** An object's bytes and metadata as stored (undefined: deleted since the listing, by gc); too large or unreadable throws, named. */
export async function fetchStored(s: DecisionsStore, o: StoredObject): Promise<{ bytes: Uint8Array; metadata: Record<string, string> } | undefined> {
  if (o.size > MAX_OBJECT_BYTES) throw new DecisionsError(`${objectName(s, o.key)} is ${o.size} bytes, over the ${MAX_OBJECT_BYTES} a decisions object may be; refused unread`, "decisions_damaged");
  try {
    return await getObject(s.client, s.bucket, o.key);
  } catch (e) {
    throw new DecisionsError(describeS3Error(e, `reading ${objectName(s, o.key)}`), "storage");
  }
}

async function fetchObject(s: DecisionsStore, o: StoredObject): Promise<Uint8Array> {
  const got = await fetchStored(s, o);
  // Deleted between the listing and the read (gc): nothing to read.
  if (!got) return new Uint8Array();
  if (s.trusted?.size) {
    const problem = await signatureProblem(got, s.trusted);
    if (problem) throw new DecisionsError(`${objectName(s, o.key)}: ${problem}; with DECISIONS_SIGNING_KEYS set, only objects the edge's consumer signed are read (an added or changed object is a matter for whoever guards the bucket; npm run decisions -- verify lists every such object)`, "decisions_unsigned");
  }
  return got.bytes;
}

/** The signatures in an object's `signatures` metadata (the consumer's), or none. */
function signaturesOf(metadata: Record<string, string>): Signature[] {
  try {
    return signaturesIn(JSON.parse(metadata.signatures ?? "[]"));
  } catch {
    return [];
  }
}

/** Why an object is not signed by a trusted key over its bytes (unsigned, another key, changed), or undefined when it is. */
export async function signatureProblem({ bytes, metadata }: { bytes: Uint8Array; metadata: Record<string, string> }, trusted: TrustedKeys): Promise<string | undefined> {
  const check = await verifySignatures(trusted, DECISIONS_PAYLOAD, bytes, signaturesOf(metadata), "DECISIONS_SIGNING_KEYS");
  return check.ok ? undefined : check.error;
}

/** `fetch(x)` for each item in order, yielded with its item; up to PREFETCH started ahead of the one awaited. */
export async function* prefetched<T, R>(items: readonly T[], fetch: (x: T) => Promise<R>): AsyncGenerator<[T, R]> {
  const ahead: Promise<R>[] = [];
  let next = 0;
  for (const item of items) {
    while (ahead.length < PREFETCH && next < items.length) {
      const p = fetch(items[next++] as T);
      p.catch(() => {}); // awaited in turn below
      ahead.push(p);
    }
    yield [item, await (ahead.shift() as Promise<R>)];
  }
}

/** The days a range covers, with one day of margin each side (a batch that straddles midnight is filed under one of its days). */
export function wantedDays(r: { since: Date; until: Date }): Set<string> {
  return new Set(daysBetween(dayOf(new Date(r.since.getTime() - 86_400_000)), dayOf(new Date(r.until.getTime() - 1 + 86_400_000))));
}

/** The day partitions a range reads: one day of margin each side, intersected with the ones that exist. */
export async function daysFor(s: DecisionsStore, r: ReadRange, stats: ReadStats): Promise<string[]> {
  stats.searched = [dayOf(r.since), dayOf(new Date(r.until.getTime() - 1))];
  const wanted = wantedDays(r);
  stats.days = (await listDays(s, r.model)).filter((d) => wanted.has(d));
  return stats.days;
}

/**
 * Every record of `r.model` with `since <= time < until` (and a role in
 * `r.roles`), de-duplicated by id, in key order. `stats` is filled as it goes.
 */
export async function* readDecisions(s: DecisionsStore, r: ReadRange, stats = new ReadStats()): AsyncGenerator<DecisionRecord> {
  const since = r.since.getTime();
  const until = r.until.getTime();
  const roles = r.roles ? new Set<string>(r.roles) : undefined;
  const seen = new IdSet();
  for (const day of await daysFor(s, r, stats)) {
    for await (const [o, bytes] of prefetched(await listDayObjects(s, r.model, day), (x) => fetchObject(s, x))) {
      stats.objects++;
      if (bytes.length === 0) continue;
      for (const rec of parseObject(s, o.key, bytes, r.model)) {
        stats.lines++;
        const t = Date.parse(rec.time);
        if (t < since || t >= until || (roles && !roles.has(rec.role))) continue;
        if (!seen.add(rec.id)) { stats.duplicates++; continue; }
        stats.records++;
        yield rec;
      }
    }
  }
  stats.idSetBytes = seen.bytes;
}
