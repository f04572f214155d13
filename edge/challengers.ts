/**
 * The challengers an isolate holds for one model beside its current version:
 * at most a canary and a shadow, named by the same pointer (and, with signing
 * on, the same verified move) as current. Each is loaded and verified exactly
 * like current (edge/loader.ts). A challenger that fails to load is simply
 * not used: logged, its error shown to operators in /healthz, and the
 * champion's answers are untouched. It is retried when the pointer moves.
 * A challenger naming the current version is inert (a promote of the canary
 * ends it in the same move; this also covers a pointer written in between).
 */
import { CHALLENGER_ROLES, type ChallengerRef, type ChallengerRole, type Challengers } from "../shared/challengers.ts";
import type { Log } from "./context.ts";
import type { LoadedModel } from "./loader.ts";

export interface ChallengerSlots {
  canary?: { model: LoadedModel; share: number };
  shadow?: LoadedModel;
  /** Why the role's version is not in use, when it failed to load or verify. */
  errors: Partial<Record<ChallengerRole, { version: string; error: string }>>;
}

export interface ChallengerStatus {
  canary?: { version: string; share: number; loadedAt: string };
  shadow?: { version: string; loadedAt: string };
  /** Challengers named by the pointer that are not in use, and why. */
  challengerErrors?: ChallengerSlots["errors"];
}

const held = (s: ChallengerSlots, role: ChallengerRole): LoadedModel | undefined => (role === "canary" ? s.canary?.model : s.shadow);

function set(s: ChallengerSlots, role: ChallengerRole, model: LoadedModel | undefined, share: number): void {
  if (role === "canary") {
    if (model) s.canary = { model, share };
    else delete s.canary;
  } else if (model) s.shadow = model;
  else delete s.shadow;
}

export interface SyncOptions {
  name: string;
  /** The version current serves after this check (a challenger naming it is inert). */
  champion: string | undefined;
  load: (ref: ChallengerRef) => Promise<LoadedModel>;
  /** False once the model was evicted while loading: what was built is disposed. */
  alive: () => boolean;
  log: Log;
}

/** Brings the slots to what the (verified) pointer names; both roles load at once. */
export async function syncChallengers(s: ChallengerSlots, wanted: Challengers | undefined, o: SyncOptions): Promise<void> {
  await Promise.all(CHALLENGER_ROLES.map(async (role) => {
    const want = wanted?.[role] && wanted[role].version !== o.champion ? wanted[role] : undefined;
    const have = held(s, role);
    const share = role === "canary" ? wanted?.canary?.share ?? 0 : 0;
    if (!want) {
      delete s.errors[role];
      if (have) {
        set(s, role, undefined, 0);
        have.dispose();
        o.log({ event: "challenger_stopped", model: o.name, role, version: have.version });
      }
      return;
    }
    if (have && have.version === want.version && have.manifestSha256 === want.manifestSha256) {
      set(s, role, have, share);
      return;
    }
    let loaded: LoadedModel;
    try {
      loaded = await o.load(want);
    } catch (e) {
      // The pointer no longer names the old one: it stops too. Current is not affected.
      if (have) { set(s, role, undefined, 0); have.dispose(); }
      s.errors[role] = { version: want.version, error: (e as Error).message };
      o.log({ event: "challenger_load_failed", model: o.name, role, version: want.version, error: (e as Error).message, champion: o.champion ?? null });
      return;
    }
    if (!o.alive()) { loaded.dispose(); return; }
    delete s.errors[role];
    set(s, role, loaded, share);
    have?.dispose();
    o.log({ event: "challenger_loaded", model: o.name, role, version: loaded.version, ...(role === "canary" ? { share } : {}), previous: have?.version ?? null, ms: loaded.loadMs, ...(loaded.signedBy ? { signedBy: loaded.signedBy } : {}) });
  }));
}

export function disposeChallengers(s: ChallengerSlots): void {
  for (const role of CHALLENGER_ROLES) {
    const m = held(s, role);
    set(s, role, undefined, 0);
    m?.dispose();
  }
}

export function challengerStatus(s: ChallengerSlots): ChallengerStatus {
  return {
    ...(s.canary ? { canary: { version: s.canary.model.version, share: s.canary.share, loadedAt: s.canary.model.loadedAt } } : {}),
    ...(s.shadow ? { shadow: { version: s.shadow.version, loadedAt: s.shadow.loadedAt } } : {}),
    ...(Object.keys(s.errors).length ? { challengerErrors: { ...s.errors } } : {}),
  };
}
