/**
 * Loaded models per isolate. The first request for a name reads its pointer;
 * only a name with a pointer (published) enters the model cache and loads
 * (concurrent first requests share one load). Afterwards, at most every
 * `refreshMs`, a request checks the pointer with a conditional get on its
 * ETag and a new version is swapped in only after it loaded and verified; a
 * bad new version keeps the old.
 *
 * Bounded by design, whatever names clients send:
 * - names that are not published go to a small negative cache (its own size
 *   bound, rechecked after `refreshMs`), never into the model cache, so they
 *   cannot push a loaded model out;
 * - the model cache holds at most `maxModels` names, least recently used out
 *   first, and never evicts `pinned` (the default model);
 * - an evicted entry's model is disposed, and a load still running for it
 *   disposes what it built when it finishes (it used to stay in memory).
 *
 * Use a model through `use()`: the callback runs synchronously right where
 * the model is known to be live, so no eviction or swap can dispose it
 * between the lookup and the forward pass.
 */
import { keys } from "../shared/artifact.ts";
import type { Challengers } from "../shared/challengers.ts";
import { challengerStatus, disposeChallengers, syncChallengers, type ChallengerSlots, type ChallengerStatus } from "./challengers.ts";
import { loadVersion, withTimeout, type LoadedModel } from "./loader.ts";
import { readPointer } from "./pointer-read.ts";
import type { TrustedKeys } from "../shared/signing.ts";
import type { Log } from "./context.ts";

export type { Log };

export interface ModelStatus extends ChallengerStatus {
  version?: string;
  loadedAt?: string;
  /** Why the last load or refresh failed (a refused version keeps the old one serving). */
  lastError?: string;
  lastCheck?: string;
}

interface Entry {
  current?: LoadedModel;
  /** The canary and shadow the pointer names, once loaded (edge/challengers.ts). */
  challengers: ChallengerSlots;
  /** In-flight first load or refresh. */
  pending?: Promise<void>;
  checkedAt: number;
  etag?: string;
  /** A pointer ETag whose version failed to load: not retried until the pointer moves. */
  badEtag?: string;
  lastError?: string;
  /** Set when the pointer was found: the entry is (or was) in the model cache. */
  admitted?: boolean;
  /** Set when evicted: whatever a running load builds is disposed, not kept. */
  evicted?: boolean;
  /** The highest signed move this isolate served for the name: an older pointer is a replay. */
  servedSeq?: number;
}

export type Failure = { ok: false; reason: "not_published" | "unavailable"; message: string };
export type Lookup = { ok: true; model: LoadedModel } | Failure;

/** Who answers a request: the current version, or the canary. */
export type AnswerRole = "champion" | "canary";

export interface RegistryOptions {
  refreshMs: number;
  timeoutMs: number;
  log: Log;
  backendReady?: () => Promise<unknown>;
  /** Never evicted (the default model). */
  pinned?: string;
  maxModels?: number;
  maxMissing?: number;
  /** Per-instance key echoed back (see shared/validate.ts). */
  passThroughKey?: string;
  /** false: every network on tfjs (SIMD_KERNEL=off). */
  simd?: boolean;
  /** MODEL_SIGNING_KEYS: the trusted keys (undefined: signing off); throws when the setting is malformed. */
  trust?: () => Promise<TrustedKeys | undefined>;
}

export const MAX_MODELS = 8;
export const MAX_MISSING = 256;

export class ModelRegistry {
  /** Published names, least recently used first. */
  private readonly entries = new Map<string, Entry>();
  /** First lookups of names not yet known to be published, shared by concurrent requests. */
  private readonly probing = new Map<string, Entry>();
  /** Names found unpublished, with when: answered without storage until `refreshMs` passed. */
  private readonly missing = new Map<string, number>();

  constructor(private readonly bucket: R2Bucket, private readonly options: RegistryOptions) {}

  /**
   * Runs `fn` with the live model for `name` (loading it on first use), or
   * says why there is none. `defer` receives background refresh work. With
   * `inCanary`, a loaded canary answers when it says yes for the canary's share.
   */
  async use<T>(name: string, defer: (p: Promise<unknown>) => void, fn: (model: LoadedModel, role: AnswerRole) => T, inCanary?: (share: number) => boolean): Promise<{ ok: true; value: T } | Failure> {
    // An eviction between the entry settling and this continuation leaves no model: look again (rare; bounded).
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await this.settle(name, defer);
      if ("ok" in r) return r;
      const canary = r.challengers.canary;
      if (r.current && canary && inCanary?.(canary.share)) return { ok: true, value: fn(canary.model, "canary") };
      if (r.current) return { ok: true, value: fn(r.current, "champion") };
      if (!r.evicted) return this.unavailable(name, r);
    }
    return { ok: false, reason: "unavailable", message: `model "${name}" is being reloaded; retry` };
  }

  /** The model itself. Only for callers that use it before their next await (tests, status). */
  get(name: string, defer: (p: Promise<unknown>) => void): Promise<Lookup> {
    return this.use(name, defer, (model) => model).then((r) => (r.ok ? { ok: true, model: r.value } : r));
  }

  /**
   * Runs `fn` synchronously with the loaded shadow of `name`, if there is one
   * (never loads or refreshes); undefined when there is none.
   */
  useShadow<T>(name: string, fn: (model: LoadedModel) => T): { value: T } | undefined {
    const shadow = this.entries.get(name)?.challengers.shadow;
    return shadow ? { value: fn(shadow) } : undefined;
  }

  hasShadow(name: string): boolean {
    return this.entries.get(name)?.challengers.shadow !== undefined;
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
        ...challengerStatus(e.challengers),
      };
    }
    return out;
  }

  /** The entry for `name` after any first load, with a refresh started in the background when due. */
  private async settle(name: string, defer: (p: Promise<unknown>) => void): Promise<Entry | Failure> {
    const known = this.entries.get(name);
    if (known) {
      // Least recently used order: a lookup moves the name to the end.
      this.entries.delete(name);
      this.entries.set(name, known);
      if (!known.current) {
        known.pending ??= this.check(name, known).finally(() => { known.pending = undefined; });
        await known.pending;
      } else if (!known.pending && Date.now() - known.checkedAt >= this.options.refreshMs) {
        known.pending = this.check(name, known).finally(() => { known.pending = undefined; });
        defer(known.pending);
      }
      return known;
    }
    const seen = this.missing.get(name);
    if (seen !== undefined && Date.now() - seen < this.options.refreshMs) return this.notPublished(name);
    let probe = this.probing.get(name);
    if (!probe) {
      const entry: Entry = { checkedAt: 0, challengers: { errors: {} } };
      entry.pending = this.check(name, entry).finally(() => {
        entry.pending = undefined;
        this.probing.delete(name);
        if (!entry.admitted && entry.lastError === undefined) this.remember(name);
      });
      this.probing.set(name, entry);
      probe = entry;
    }
    await probe.pending;
    if (!probe.admitted && probe.lastError === undefined) return this.notPublished(name);
    return probe;
  }

  private notPublished(name: string): Failure {
    return { ok: false, reason: "not_published", message: `no model named "${name}" is published` };
  }

  private unavailable(name: string, e: Entry): Failure {
    return { ok: false, reason: "unavailable", message: `model "${name}" could not be loaded: ${e.lastError ?? "unknown error"}` };
  }

  /** Records an unpublished name; the oldest goes when the negative cache is full. */
  private remember(name: string): void {
    this.missing.delete(name);
    if (this.missing.size >= (this.options.maxMissing ?? MAX_MISSING)) {
      const [oldest] = this.missing.keys();
      if (oldest !== undefined) this.missing.delete(oldest);
    }
    this.missing.set(name, Date.now());
  }

  /** A published name enters the model cache, evicting the least recently used unpinned name if full. */
  private admit(name: string, entry: Entry): void {
    if (entry.admitted) return;
    entry.admitted = true;
    this.missing.delete(name);
    while (this.entries.size >= (this.options.maxModels ?? MAX_MODELS)) {
      const victim = [...this.entries.keys()].find((n) => n !== this.options.pinned);
      if (victim === undefined) break;
      this.evict(victim);
    }
    this.entries.set(name, entry);
  }

  private evict(name: string): void {
    const e = this.entries.get(name);
    if (!e) return;
    this.entries.delete(name);
    e.evicted = true;
    const model = e.current;
    e.current = undefined;
    model?.dispose();
    disposeChallengers(e.challengers);
    this.options.log({ event: "model_evicted", model: name, version: model?.version ?? null });
  }

  /** After current is settled: the challengers the same pointer names, loaded like current; a failure stays with them. */
  private challengers(name: string, entry: Entry, wanted: Challengers | undefined, trusted: TrustedKeys | undefined): Promise<void> {
    return syncChallengers(entry.challengers, wanted, {
      name,
      champion: entry.current?.version,
      load: (ref) => loadVersion(this.bucket, { name, version: ref.version, manifestSha256: ref.manifestSha256, publishedAt: "" }, { ...this.options, ...(trusted ? { trusted } : {}) }),
      alive: () => !entry.evicted,
      log: this.options.log,
    });
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
      if (entry.evicted) return;
      this.admit(name, entry);
      if (!("body" in obj)) return; // not modified
      if (obj.etag === entry.badEtag) return;
      const { pointer, challengers, trusted, signed } = await readPointer(this.bucket, obj, name, { ...this.options, servedSeq: entry.servedSeq });
      if (pointer.version === entry.current?.version && pointer.manifestSha256 === entry.current.manifestSha256) {
        // Same version re-pointed (e.g. storage repaired): nothing to load, and any earlier error is over.
        entry.etag = obj.etag;
        entry.lastError = undefined;
        entry.badEtag = undefined;
        if (signed) entry.servedSeq = Math.max(entry.servedSeq ?? 0, signed.seq);
        await this.challengers(name, entry, challengers, trusted);
        return;
      }
      let loaded: LoadedModel;
      try {
        loaded = await loadVersion(this.bucket, pointer, { ...this.options, ...(trusted ? { trusted } : {}) });
      } catch (e) {
        throw Object.assign(e as Error, { etag: obj.etag });
      }
      if (entry.evicted) {
        // Evicted while loading: nobody can reach this model any more.
        loaded.dispose();
        log({ event: "model_load_discarded", model: name, version: loaded.version, reason: "evicted while loading" });
        return;
      }
      const previous = entry.current;
      entry.current = loaded;
      if (signed) entry.servedSeq = Math.max(entry.servedSeq ?? 0, signed.seq);
      entry.etag = obj.etag;
      entry.lastError = undefined;
      entry.badEtag = undefined;
      // pointerVerify: the keys (parsed on first use), the move's signature and the history look-up; the manifest's signature is in readAndVerify.
      const ms = signed ? { pointerVerify: Math.round(signed.ms * 100) / 100, ...loaded.loadMs } : loaded.loadMs;
      log({ event: "model_loaded", model: name, version: loaded.version, previous: previous?.version ?? null, ms, engine: loaded.engine, reasons: loaded.impactKernel ? "simd" : "javascript", reasonText: loaded.reasons ? "kernel" : "javascript", signed: signed ? { seq: signed.seq, move: signed.keyid, manifest: loaded.signedBy ?? null } : "off" });
      // Models are only used inside use()'s synchronous callback, so none is mid-inference now.
      previous?.dispose();
      await this.challengers(name, entry, challengers, trusted);
    } catch (e) {
      const err = e as Error & { etag?: string };
      entry.checkedAt = Date.now();
      entry.lastError = err.message;
      // A version that failed verification is not retried until the pointer moves; transient errors are.
      if (err.etag && entry.current) entry.badEtag = err.etag;
      log({ event: "model_load_failed", model: name, error: err.message, keeping: entry.current?.version ?? null });
    }
  }
}
