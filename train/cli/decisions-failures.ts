/**
 * The `error` of a `decisions replay` or `verify` that exits 1 with its
 * result: a scheduled job branches on `error.code` as it does for every other
 * failure, and the message says what to do.
 */
import type { ReplayResult } from "../decisions/replay.ts";
import type { VerifyResult } from "../decisions/verify.ts";

export interface Failure { code: string; message: string }

const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/** Why a replay is exit 1 (the most serious first), or undefined when it is exit 0. */
export function replayFailure(r: ReplayResult): Failure | undefined {
  if (r.differing > 0) {
    return { code: "replay_differs", message: `${r.differing} of ${r.replayed} replayed answers differ from their records (see differences): a record was changed, or the version no longer scores as it did` };
  }
  if (r.unavailable > 0) {
    const versions = Object.entries(r.unavailableVersions).map(([v, u]) => `${v} (${u.code})`).join(", ");
    return { code: "versions_unavailable", message: `${n(r.unavailable, "record")} not replayed: the store cannot give version${Object.keys(r.unavailableVersions).length === 1 ? "" : "s"} ${versions}; a version that answered decisions must be kept as long as its records are` };
  }
  if (r.replayed === 0) {
    return { code: "nothing_replayed", message: `none of the ${n(r.records, "record")} in range could be re-scored${r.notReplayable ? ` (${r.notReplayable} kept no features: captured with CAPTURE="decisions"; replay needs "full")` : ""}, so nothing is verified` };
  }
  return undefined;
}

/** Why a verify is exit 1, or undefined when every object verifies and none is gone. */
export function verifyFailure(r: VerifyResult): Failure | undefined {
  if (r.invalid.length === 0) return undefined;
  const gone = r.inventory?.gone ?? 0;
  const bad = r.invalid.length - gone;
  const first = r.invalid[0]!;
  if (bad > 0) {
    return { code: "records_invalid", message: `${n(bad, "object does", "objects do")} not verify (first: ${first.key}: ${first.problem})${gone ? ` and ${n(gone, "object")} verified before ${gone === 1 ? "is" : "are"} gone` : ""}; none of their records can be relied on: find who wrote them (the bucket's audit log)` };
  }
  return { code: "records_gone", message: `${n(gone, "object")} verified before ${gone === 1 ? "is" : "are"} gone from the bucket (first: ${first.key}): records were deleted or moved (the bucket's audit log says who)` };
}
