/**
 * What promote and rollback share: refuse a damaged version (every file's
 * sha256 re-verified and the network built, as the edge will), check the
 * signature against the serving version, then move the pointer with its
 * history record, expecting the pointer the command started from.
 */
import { challengerList } from "../../../shared/challengers.ts";
import { useBackend } from "../../fit/backend.ts";
import { cardFacts } from "../../registry/card.ts";
import { checkSignature } from "../../registry/guard.ts";
import { markOf, movePointer } from "../../registry/move.ts";
import { pointerTrusted } from "../../registry/history.ts";
import { resolveActor } from "../../registry/provenance.ts";
import { loadVersionScorer, StoreError, type LoadedVersion } from "../../store/versions.ts";
import { UsageError } from "../args.ts";
import { boolFlag, stringFlag, type CommandOutcome, type FlagOptions, type ModelsContext } from "./command.ts";

export const moveOptions: FlagOptions = {
  reason: { type: "string" },
  "allow-signature-change": { type: "boolean" },
};

export function requireReason(ctx: ModelsContext): string {
  const reason = stringFlag(ctx, "reason")?.trim();
  if (!reason) throw new UsageError('--reason "..." is required: it goes into the model\'s history');
  if (reason.length > 1000) throw new UsageError(`--reason: at most 1000 characters, found ${reason.length}`);
  return reason;
}

/** The version loaded as the edge would load it; for the current version (`pointerSha256`), a failure says it is the one serving. */
async function loadCurrentable(ctx: ModelsContext, version: string, pointerSha256: string | undefined): Promise<LoadedVersion> {
  try {
    return await loadVersionScorer(ctx.location, version, pointerSha256);
  } catch (e) {
    if (!(e instanceof StoreError) || pointerSha256 === undefined || e.code === "storage") throw e;
    throw new StoreError(`${version} is the current version of "${ctx.location.name}" and is damaged: ${e.message}. An edge refuses it when it loads it: roll back or promote a sound version (npm run models -- list; history --verify checks what the pointer serves)`, e.code);
  }
}

/** What the pointer held before a move: over a passed-over pointer, nothing trustworthy was, and the history names the rest. */
export function wasText(moved: { previous?: string; passedOver?: boolean }): string {
  if (moved.passedOver) return `the pointer was passed over; the history left ${moved.previous ?? "nothing"} current`;
  return `was ${moved.previous ?? "none"}`;
}

export async function makeCurrent(ctx: ModelsContext, version: string, action: "promote" | "rollback", reason: string): Promise<CommandOutcome> {
  const l = ctx.location;
  const state = ctx.state;
  // A forged (unsigned) pointer naming this version is not "already current": a signed move replaces it.
  const already = state.pointer?.version === version && (await pointerTrusted(l, state));
  await useBackend("cpu");
  // Verified first, current or not: "unchanged" must not vouch for a current version whose files were altered.
  const loaded = await loadCurrentable(ctx, version, already ? state.pointer!.manifestSha256 : undefined);
  loaded.dispose();
  // Said once it is true: a version that is not there or is damaged gets its error alone.
  ctx.log(`verified ${l.name} ${version}: every file's sha256 against its manifest${already ? ", the manifest against the pointer" : ""}, and its network built as the edge will build it`);
  if (already) {
    ctx.print(`${version} is already the current version of "${l.name}" (verified); nothing changed\n`);
    return { json: { status: "unchanged", version } };
  }
  const facts = cardFacts(loaded.manifest);
  const moved = await movePointer(l, {
    to: version,
    manifestSha256: loaded.manifestSha256,
    action,
    reason,
    actor: resolveActor(),
    revision: facts.revision,
    dataSha256: facts.dataSha256,
  }, {
    expected: markOf(state),
    log: ctx.log,
    check: (s) => checkSignature(l, s, loaded.manifest, { allow: boolFlag(ctx, "allow-signature-change"), command: action, log: ctx.log }),
  });
  if (moved.warning) ctx.log(`warning: ${moved.warning}`);
  const verb = action === "promote" ? "promoted" : "rolled back";
  // A challenger whose version became current ends in this same move (shared/challengers.ts afterMoveTo).
  const ended = challengerList(moved.challengersBefore).filter((c) => c.version === version).map((c) => c.role);
  ctx.print(
    `${verb} "${l.name}" to ${version} (${wasText(moved)}); history record ${moved.record.seq} by ${moved.record.actor}\n` +
    ended.map((r) => `the ${r} of ${version} ended with this move: it is current now\n`).join("") +
    "each running isolate serves it once its first request after MODEL_REFRESH_SECONDS (30 s by default) since its last check has loaded it, no redeploy\n",
  );
  return { json: { status: "moved", action, version, previous: moved.previous ?? null, ended, challengers: moved.pointer.challengers ?? null, record: moved.record, recorded: moved.recorded } };
}
