/**
 * One loaded model per name per isolate. The first request loads it (concurrent
 * first requests share the one load); afterwards, at most every `refreshMs`, a
 * request checks the pointer with a conditional get on its ETag and a new
 * version is swapped in only after it loaded and verified. Requests in flight
 * keep the model object they started with; a bad new version keeps the old.
 */
import { keys, parsePointer, type Pointer } from "../shared/artifact.ts";
import { loadVersion, withTimeout, type LoadedModel } from "./loader.ts";

export interface ModelStatus {
  version?: string;
  loadedAt?: string;
  /** Why the last load or refresh failed (a refused version keeps the old one serving). */
  lastError?: string;
  lastCheck?: string;
}

interface Entry {
  current?: LoadedModel;
  /** In-flight first load or refresh. */
  pending?: Promise<void>;
  checkedAt: number;
  etag?: string;
  /** A pointer ETag whose version failed to load: not retried until the pointer moves. */
  badEtag?: string;
  lastError?: string;
}

export type Log = (event: Record<string, unknown>) => void;

export type Lookup =
  | { ok: true; model: LoadedModel }
  | { ok: false; reason: "not_published" | "unavailable"; message: string };

const MAX_MODELS = 8;

export class ModelRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly bucket: R2Bucket,
    private readonly options: { refreshMs: number; timeoutMs: number; log: Log; backendReady?: () => Promise<unknown> },
  ) {}

  /** The model to serve for `name`, loading it on first use. `defer` receives background refresh work. */
  async get(name: string, defer: (p: Promise<unknown>) => void): Promise<Lookup> {
    let entry = this.entries.get(name);
    if (!entry) {
      if (this.entries.size >= MAX_MODELS) this.evictOne();
      entry = { checkedAt: 0 };
      this.entries.set(name, entry);
    }
    if (!entry.current) {
      entry.pending ??= this.check(name, entry).finally(() => { entry.pending = undefined; });
      await entry.pending;
    } else if (!entry.pending && Date.now() - entry.checkedAt >= this.options.refreshMs) {
      entry.pending = this.check(name, entry).finally(() => { entry.pending = undefined; });
      defer(entry.pending);
    }
    if (entry.current) return { ok: true, model: entry.current };
    if (entry.lastError === undefined) {
      this.entries.delete(name);
      return { ok: false, reason: "not_published", message: `no model named "${name}" is published yet; run \`npm run train\` to publish one` };
    }
    // The entry stays (for /healthz); with no current model the next request retries the load.
    return { ok: false, reason: "unavailable", message: `model "${name}" could not be loaded: ${entry.lastError}` };
  }

  /** The loaded model for `name`, if any, without loading or refreshing. */
  peek(name: string): LoadedModel | undefined {
    return this.entries.get(name)?.current;
  }

  status(): Record<string, ModelStatus> {
    const out: Record<string, ModelStatus> = {};
    for (const [name, e] of this.entries) {
      out[name] = {
        ...(e.current ? { version: e.current.version, loadedAt: e.current.loadedAt } : {}),
        ...(e.lastError ? { lastError: e.lastError } : {}),
        ...(e.checkedAt ? { lastCheck: new Date(e.checkedAt).toISOString() } : {}),
      };
    }
    return out;
  }

  /** Reads the pointer (conditionally once we have one) and loads a new version if it moved. */
  private async check(name: string, entry: Entry): Promise<void> {
    const log = this.options.log;
    try {
      const key = keys.pointer(name);
      const onlyIf = entry.etag ? { etagDoesNotMatch: entry.etag } : undefined;
      const obj = await withTimeout(this.bucket.get(key, onlyIf ? { onlyIf } : {}), this.options.timeoutMs, `reading ${key}`);
      entry.checkedAt = Date.now();
      if (!obj) {
        if (entry.current) log({ event: "pointer_missing", model: name, keeping: entry.current.version });
        return;
      }
      if (!("body" in obj)) return; // not modified
      if (obj.etag === entry.badEtag) return;
      const parsed = parsePointer(await withTimeout(obj.text(), this.options.timeoutMs, `reading ${key}`));
      if (!parsed.ok) throw Object.assign(new Error(`${key}: ${parsed.error}`), { etag: obj.etag });
      const pointer: Pointer = parsed.value;
      if (pointer.name !== name) throw Object.assign(new Error(`${key} names model "${pointer.name}"`), { etag: obj.etag });
      if (pointer.version === entry.current?.version && pointer.manifestSha256 === entry.current.manifestSha256) {
        // Same version re-pointed (e.g. storage repaired): nothing to load, and any earlier error is over.
        entry.etag = obj.etag;
        entry.lastError = undefined;
        entry.badEtag = undefined;
        return;
      }
      let loaded: LoadedModel;
      try {
        loaded = await loadVersion(this.bucket, pointer, this.options.timeoutMs, this.options.backendReady);
      } catch (e) {
        throw Object.assign(e as Error, { etag: obj.etag });
      }
      const previous = entry.current;
      entry.current = loaded;
      entry.etag = obj.etag;
      entry.lastError = undefined;
      entry.badEtag = undefined;
      log({ event: "model_loaded", model: name, version: loaded.version, previous: previous?.version ?? null, ms: loaded.loadMs });
      // Requests still holding `previous` finish first: their predict calls are synchronous, so by now none is mid-inference.
      previous?.model.dispose();
    } catch (e) {
      const err = e as Error & { etag?: string };
      entry.checkedAt = Date.now();
      entry.lastError = err.message;
      // A version that failed verification is not retried until the pointer moves; transient errors are.
      if (err.etag && entry.current) entry.badEtag = err.etag;
      log({ event: "model_load_failed", model: name, error: err.message, keeping: entry.current?.version ?? null });
    }
  }

  private evictOne(): void {
    const [oldest] = this.entries;
    if (!oldest) return;
    oldest[1].current?.model.dispose();
    this.entries.delete(oldest[0]);
  }
}
