/**
 * GET /models/:name/versions: the versions stored for a model, newest first,
 * and which one the pointer serves, for an operator choosing what to promote
 * or roll back to. Reads the bucket listing (prefix + delimiter, so only one
 * entry per version) and the pointer; loads no model.
 */
import type { Context } from "hono";
import { keys, parsePointer, VERSION_PATTERN } from "../../shared/artifact.ts";
import type { AppEnv } from "../context.ts";
import { fail } from "../errors.ts";
import { withTimeout } from "../loader.ts";
import { modelNameParam, notPublished } from "../models.ts";

/** At most this many listing pages (1000 versions each) per request. */
const MAX_PAGES = 10;

export interface StoredVersions { versions: string[]; truncated: boolean }

/** Version ids under `<name>/versions/`, newest first (ids sort by creation time). */
export async function listStoredVersions(bucket: R2Bucket, name: string, timeoutMs: number): Promise<StoredVersions> {
  const prefix = `${name}/versions/`;
  const versions: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await withTimeout(bucket.list({ prefix, delimiter: "/", ...(cursor ? { cursor } : {}) }), timeoutMs, `listing ${prefix}`);
    for (const p of out.delimitedPrefixes) {
      const id = p.slice(prefix.length, -1);
      if (VERSION_PATTERN.test(id)) versions.push(id);
    }
    if (!out.truncated) return { versions: versions.sort().reverse(), truncated: false };
    cursor = out.cursor;
  }
  return { versions: versions.sort().reverse(), truncated: true };
}

/** `20261129T081500Z-1a2b3c4d` → `2026-11-29T08:15:00Z`. */
export function createdAtOf(version: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(version);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : "";
}

/** GET /models/:name/versions (operator scope). */
export async function modelVersions(c: Context<AppEnv>): Promise<Response> {
  const name = modelNameParam(c);
  if (typeof name !== "string") return name;
  const bucket = c.env.MODELS;
  const timeoutMs = c.get("settings").r2TimeoutMs;
  let listed: StoredVersions;
  let pointerText: string | undefined;
  try {
    const [l, obj] = await Promise.all([
      listStoredVersions(bucket, name, timeoutMs),
      withTimeout(bucket.get(keys.pointer(name)), timeoutMs, `reading ${keys.pointer(name)}`),
    ]);
    listed = l;
    pointerText = obj ? await withTimeout(obj.text(), timeoutMs, `reading ${keys.pointer(name)}`) : undefined;
  } catch {
    return fail(c, 503, "storage_unavailable", "the model store could not be read; try again", undefined, { "Retry-After": "5" });
  }
  const pointer = pointerText === undefined ? undefined : parsePointer(pointerText);
  if (!listed.versions.length && !pointer) return notPublished(c, name);
  const current = pointer?.ok ? pointer.value : undefined;
  const move = (current as { move?: { seq?: unknown; action?: unknown } } | undefined)?.move;
  return c.json({
    name,
    current: current ? {
      version: current.version,
      since: current.publishedAt,
      ...(typeof move?.seq === "number" && typeof move.action === "string" ? { historySeq: move.seq, action: move.action } : {}),
    } : null,
    ...(pointer && !pointer.ok ? { pointerError: pointer.error } : {}),
    versions: listed.versions.map((v) => ({ version: v, createdAt: createdAtOf(v), current: v === current?.version })),
    truncated: listed.truncated,
  });
}
