/**
 * What `models canary` and `models shadow` share: start, change or stop a
 * challenger of the current version. Each is a pointer move (compare-and-swap
 * on current.json, a history record, signed when the command has a key) that
 * keeps current as it is and changes only the pointer's `challengers`. A
 * version is verified before it is named (every file's sha256, the network
 * built as the edge will, its signature on a signed store).
 */
import { VERSION_PATTERN } from "../../../shared/artifact.ts";
import type { ChallengerRole, Challengers } from "../../../shared/challengers.ts";
import { useBackend } from "../../fit/backend.ts";
import { cardFacts } from "../../registry/card.ts";
import { RegistryError } from "../../registry/errors.ts";
import { checkSignature } from "../../registry/guard.ts";
import { requireSignedPointer } from "../../registry/history.ts";
import { markOf, movePointer } from "../../registry/move.ts";
import { resolveActor } from "../../registry/provenance.ts";
import { listVersionIds, loadVersionScorer } from "../../store/versions.ts";
import { UsageError } from "../args.ts";
import type { CommandOutcome, ModelsContext } from "./command.ts";
import { sharePct } from "./format.ts";

export interface ChallengerChange {
  role: ChallengerRole;
  /** undefined: stop the role. */
  version?: string;
  /** The canary's share of callers, in (0, 1]. */
  share?: number;
  reason: string;
  allowSignatureChange?: boolean;
}


export function describeChallengers(c: Challengers | undefined): string {
  const parts = [
    ...(c?.canary ? [`canary ${c.canary.version} (${sharePct(c.canary.share)} of callers)`] : []),
    ...(c?.shadow ? [`shadow ${c.shadow.version}`] : []),
  ];
  return parts.length ? parts.join(", ") : "no challengers";
}

/** Refusals that are the caller's to fix (exit 2): a version that is not there, is current, or is not a version id. */
async function checkVersion(ctx: ModelsContext, role: ChallengerRole, version: string, current: string): Promise<void> {
  const l = ctx.location;
  if (!VERSION_PATTERN.test(version)) throw new UsageError(`${role}: "${version}" is not a version id (like 20261129T081500Z-1a2b3c4d); npm run models -- list shows the versions`);
  if (version === current) {
    throw new UsageError(`${role}: ${version} is the current version of "${l.name}": it already answers every caller. Name another version (npm run models -- list), e.g. one published with npm run train -- --candidate`);
  }
  if (!(await listVersionIds(l)).includes(version)) {
    throw new UsageError(`${role}: "${l.name}" has no version ${version}; npm run models -- list shows the versions (publish one beside current with npm run train -- --candidate)`);
  }
}

export async function changeChallenger(ctx: ModelsContext, c: ChallengerChange): Promise<CommandOutcome> {
  const l = ctx.location;
  const state = ctx.state;
  const p = state.pointer;
  if (!p) {
    throw new RegistryError(`${state.broken ?? `nothing of "${l.name}" is current`}: a ${c.role} runs beside a current version; promote one first`, state.broken ? "pointer_broken" : "nothing_current");
  }
  const held = p.challengers?.[c.role];
  if (c.version === undefined) {
    if (!held) {
      ctx.print(`"${l.name}" has no ${c.role}; nothing changed\n`);
      return { json: { status: "unchanged", role: c.role, challengers: p.challengers ?? null } };
    }
  } else {
    await checkVersion(ctx, c.role, c.version, p.version);
    const share = c.role === "canary" && held && "share" in held ? held.share : undefined;
    if (held?.version === c.version && share === c.share) {
      ctx.print(`${c.version} is already the ${c.role} of "${l.name}"${share === undefined ? "" : ` at ${sharePct(share)}`}; nothing changed\n`);
      return { json: { status: "unchanged", role: c.role, challengers: p.challengers ?? null } };
    }
  }
  // The move names the current version as the pointer has it: only one a trusted key moved to.
  await requireSignedPointer(l, state, `Promote the right version first (a signed move), then start the ${c.role}`);
  let ref: { version: string; manifestSha256: string } | undefined;
  let facts: { revision: string | null; dataSha256: string | null } = { revision: null, dataSha256: null };
  let manifest;
  if (c.version !== undefined) {
    ctx.log(`verifying ${l.name} ${c.version}: every file's sha256 against its manifest, then building the network as the edge will`);
    await useBackend("cpu");
    const loaded = await loadVersionScorer(l, c.version);
    loaded.dispose();
    ref = { version: c.version, manifestSha256: loaded.manifestSha256 };
    manifest = loaded.manifest;
    const f = cardFacts(loaded.manifest);
    facts = { revision: f.revision, dataSha256: f.dataSha256 };
  }
  const stop = ref === undefined;
  const moved = await movePointer(l, {
    to: p.version,
    manifestSha256: p.manifestSha256,
    action: stop ? `${c.role}-stop` : c.role,
    challengers: (before) => ({
      ...before,
      [c.role]: ref ? (c.role === "canary" ? { ...ref, share: c.share ?? 1 } : ref) : undefined,
    }),
    reason: c.reason,
    actor: resolveActor(),
    ...facts,
  }, {
    expected: markOf(state),
    log: ctx.log,
    unchanged: "nothing changed",
    // A canary answers callers, a shadow scores their requests: either must accept the features they send,
    // or the canary's callers get 422s and the shadow refuses every request (nothing to compare).
    ...(manifest ? { check: (s) => checkSignature(l, s, manifest, { allow: c.allowSignatureChange ?? false, command: c.role, log: ctx.log }) } : {}),
  });
  if (moved.warning) ctx.log(`warning: ${moved.warning}`);
  const now = moved.pointer.challengers;
  const what = stop
    ? `stopped the ${c.role} of "${l.name}" (was ${held?.version})`
    : c.role === "canary"
      ? `canary of "${l.name}": ${ref!.version} answers ${sharePct(c.share ?? 1)} of callers (the rest: current ${p.version})`
      : `shadow of "${l.name}": ${ref!.version} scores every request after the answer is sent; its answers are recorded with role "shadow", never returned`;
  ctx.print(
    `${what}; history record ${moved.record.seq} by ${moved.record.actor}\n` +
    `now: current ${p.version}, ${describeChallengers(now)}\n` +
    "each running isolate follows on its first request after MODEL_REFRESH_SECONDS (30 s by default) since its last check, no redeploy\n",
  );
  return { json: { status: "moved", action: moved.record.action, role: c.role, version: ref?.version ?? null, current: p.version, challengers: now ?? null, record: moved.record, recorded: moved.recorded } };
}
