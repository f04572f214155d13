/**
 * The one way the pointer moves (publish, promote, rollback), so every move is
 * atomic and recorded:
 *   1. read the pointer and its ETag;
 *   2. make sure the move it carries is in the history (a crash after an
 *      earlier swap is repaired here), and link the new move to that record;
 *   3. run the caller's check (the signature guard) on exactly that pointer;
 *   4. swap the pointer with If-Match on the ETag; the new pointer carries its
 *      own move (sequence number, previous version, reason, actor, sha256 of
 *      the record before it);
 *   5. write the history record once (If-None-Match: *), derived from the
 *      pointer, so a crash between 4 and 5 is repaired by the next command.
 * A record is written only after its swap succeeded, so it never claims a
 * move that did not happen. If another move happened since the caller looked,
 * nothing is written; a swap that lost only to a gc mark is retried.
 */
import { PointerConflictError, swapPointer } from "../store/publish.ts";
import type { Location } from "../store/versions.ts";
import { RegistryError } from "./errors.ts";
import { nextLink, readPointerState, recordPointer, type PointerState } from "./history.ts";
import { pointerBytes, recordFromPointer, type HistoryRecord, type MoveAction, type RegistryPointer } from "./records.ts";
import { movePayload } from "../../shared/move.ts";
import { afterMoveTo, challengerList, normalize, type ChallengerRef, type Challengers } from "../../shared/challengers.ts";
import { MOVE_PAYLOAD, sign } from "../../shared/signing.ts";

export interface MoveIntent {
  /** The version current after the move (for candidate and challenger moves: the current one, unchanged). */
  to: string;
  manifestSha256: string;
  action: MoveAction;
  /** A candidate publish: the version published. */
  candidate?: ChallengerRef;
  /**
   * The challengers after the move, from those before it (as the pointer read
   * for the swap has them). Default: kept, except a role whose version becomes current.
   */
  challengers?: (before: Challengers | undefined) => Challengers | undefined;
  reason: string;
  actor: string;
  revision: string | null;
  dataSha256: string | null;
}

/** Which move the pointer was at: its version and sequence number (undefined for none / unrecorded). */
export interface PointerMark { version: string | undefined; seq: number | undefined }

export const markOf = (s: PointerState): PointerMark => ({ version: s.pointer?.version, seq: s.pointer?.move?.seq });

export interface MoveOptions {
  /** The pointer the caller judged against (quality gate, rollback target): fail if another move happened since. */
  expected?: PointerMark;
  /** Judges the pointer as read right before the swap (again on a retry); may return accepted signature changes to record. */
  check?: (state: PointerState) => Promise<{ signatureChange?: string[] } | void>;
  /** What a refusal says was left as it was (default "nothing changed"). */
  unchanged?: string;
  /** Warnings (a forged pointer passed over). */
  log?: (line: string) => void;
  /** Tests inject a crash between the swap and the record here. */
  afterSwap?: () => void | Promise<void>;
}

export interface MoveResult {
  pointer: RegistryPointer;
  record: HistoryRecord;
  previous?: string;
  /** Set when the pointer was passed over (forged, missing or damaged): `previous` is then where the history left it, not what was served. */
  passedOver?: boolean;
  /** The challengers before the move (a promote of the canary's version ends the canary: compare with the pointer's). */
  challengersBefore?: Challengers;
  /** False when the record could not be written after the swap; `warning` says why (the next command writes it). */
  recorded: boolean;
  warning?: string;
}

function movedError(l: Location, state: PointerState, was: PointerMark, unchanged: string): RegistryError {
  const p = state.pointer;
  const who = p?.move ? ` (${p.move.action} by ${p.move.actor} at ${p.publishedAt}, history seq ${p.move.seq})` : "";
  // The same version after another move (a canary or shadow move, a promote of itself) still moved the pointer: say which move.
  const same = p && p.version === was.version;
  const now = p ? (same ? `still ${p.version} but after another move${who}` : `now ${p.version}${who}`) : state.broken ? "now unreadable" : "now deleted";
  const at = was.seq !== undefined ? ` (history seq ${was.seq})` : "";
  return new RegistryError(
    `the pointer of "${l.name}" moved while this command ran: it was ${was.version ?? "unset"}${at}, ${now}; ${unchanged}. ` +
    "See `npm run models -- history`, then run the command again if it still applies",
    "pointer_moved",
  );
}

const ATTEMPTS = 4;

/**
 * Signs the new move (its record's bytes) with the command's key. Without a
 * key, a move onto a signed store is refused: the edge would not serve it.
 */
async function signMove(l: Location, state: PointerState, pointer: RegistryPointer, unchanged: string): Promise<void> {
  const move = pointer.move!;
  const signer = l.signing?.signer;
  if (signer) move.signatures = [await sign(signer, MOVE_PAYLOAD, movePayload(recordFromPointer({ ...pointer, move })))];
  else requireSigner(l, state, unchanged);
}

/** Throws when the store is signed (the pointer's move is, or keys are trusted) and this command cannot sign. */
export function requireSigner(l: Location, state: PointerState, unchanged: string): void {
  if (l.signing?.signer) return;
  if (state.pointer?.move?.signatures?.length || (l.signing?.trusted.size ?? 0) > 0) {
    throw new RegistryError(
      `the pointer of "${l.name}" is signed, and this command has no signing key: an edge with MODEL_SIGNING_KEYS would refuse an unsigned move; ${unchanged}. ` +
      "Set EDGESCORE_SIGNING_KEY to the private key file (npm run models -- keygen made it)",
      "signing_key_missing",
    );
  }
}

export async function movePointer(l: Location, intent: MoveIntent, o: MoveOptions = {}): Promise<MoveResult> {
  let reference = o.expected;
  const unchanged = o.unchanged ?? "nothing changed";
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const state = await readPointerState(l);
    const mark = markOf(state);
    if (reference && (mark.version !== reference.version || mark.seq !== reference.seq)) throw movedError(l, state, reference, unchanged);
    reference ??= mark;
    const gc = state.pointer?.gc;
    const link = await nextLink(l, state);
    if (link.passedOver) o.log?.(`warning: ${link.passedOver.why}`);
    // Over a forged, missing or damaged pointer, the challengers are where the last record left them.
    const held = link.passedOver ? link.passedOver.challengers : state.pointer?.challengers;
    const challengers = normalize(afterMoveTo(intent.challengers ? intent.challengers(held) : held, intent.to));
    const named = [intent.to, intent.candidate?.version, ...challengerList(challengers).map((c) => c.version)];
    const deleting = named.find((v) => v !== undefined && gc?.deleting.includes(v));
    if (gc && deleting) {
      throw new RegistryError(`version ${deleting} is being deleted by gc (started ${gc.startedAt} by ${gc.actor}); ${unchanged}. Run \`npm run models -- gc --keep N --yes\` to finish it`, "version_being_deleted");
    }
    const extra = (await o.check?.(state)) ?? {};
    const pointer: RegistryPointer = {
      name: l.name,
      version: intent.to,
      manifestSha256: intent.manifestSha256,
      publishedAt: new Date().toISOString(),
      ...(challengers ? { challengers } : {}),
      move: {
        seq: link.seq,
        action: intent.action,
        from: link.passedOver ? link.passedOver.from : state.pointer?.version ?? null,
        reason: intent.reason,
        actor: intent.actor,
        revision: intent.revision,
        dataSha256: intent.dataSha256,
        ...(extra.signatureChange?.length ? { signatureChange: extra.signatureChange } : {}),
        ...(intent.candidate ? { candidate: intent.candidate } : {}),
        prevRecordSha256: link.prevRecordSha256,
      },
      // A gc in progress keeps its mark across moves; gc clears it when done.
      ...(gc ? { gc } : {}),
    };
    await signMove(l, state, pointer, unchanged);
    try {
      await swapPointer(l, pointerBytes(pointer), state.etag);
    } catch (e) {
      if (e instanceof PointerConflictError) continue; // re-read: a move since is an error, a gc mark is retried
      throw new RegistryError(`${(e as Error).message}; ${unchanged}`, "storage");
    }
    await o.afterSwap?.();
    const record = recordFromPointer({ ...pointer, move: pointer.move! });
    // Over a forged, missing or damaged pointer, the version before is where the last record left it.
    const before = link.passedOver ? link.passedOver.from ?? undefined : state.pointer?.version;
    const base = { pointer, record, ...(before ? { previous: before } : {}), ...(held ? { challengersBefore: held } : {}), ...(link.passedOver ? { passedOver: true } : {}) };
    try {
      await recordPointer(l, pointer);
      return { ...base, recorded: true };
    } catch (e) {
      return { ...base, recorded: false, warning: `the pointer moved, but history record ${record.seq} was not written (${(e as Error).message}); the next models command writes it from the pointer` };
    }
  }
  throw movedError(l, await readPointerState(l), reference ?? { version: undefined, seq: undefined }, unchanged);
}
