/**
 * Challengers the pointer names that have no answers in the compared range.
 * "Start one" would be wrong advice for them: say each is configured, and why
 * it has no answers as far as the data tells.
 */
import { challengerList, type ChallengerRole, type Challengers } from "../../shared/challengers.ts";
import type { Comparison } from "./compare.ts";

export interface Unanswered {
  role: ChallengerRole;
  version: string;
  /** Why it has no answers, as far as the records and the manifests tell. */
  why: string;
}

/** What is known besides the records: each challenger's feature-signature changes against current (absent: unknown). */
export interface UnansweredFacts {
  signatureChanges: Partial<Record<ChallengerRole, string[]>>;
}

export function unansweredChallengers(challengers: Challengers | undefined, result: Comparison, facts: UnansweredFacts): Unanswered[] {
  const answered = new Set([
    ...result.shadows.map((s) => `shadow ${s.challenger.version}`),
    ...result.canaries.map((c) => `canary ${c.challenger.version}`),
  ]);
  return challengerList(challengers)
    .filter((c) => !answered.has(`${c.role} ${c.version}`))
    .map((c) => ({ role: c.role, version: c.version, why: whyNone(c.role, result, facts.signatureChanges[c.role]) }));
}

function whyNone(role: ChallengerRole, result: Comparison, changes: string[] | undefined): string {
  if (changes?.length) {
    const refused = role === "shadow" ? "shadow_refused" : "422 answers to the canary's callers";
    return `its features differ from the current version's (${changes.join("; ")}): the edge refuses every request it cannot score (${refused} in the Worker's log)`;
  }
  if (result.records === 0) return "there are no decision records at all in this range: no traffic, or the Worker does not capture them (CAPTURE)";
  if (role === "shadow" && result.unpaired > 0) return `${result.unpaired} shadow records have no champion record of the same applicant to pair with (the champion's was not captured, or the canary answered)`;
  return "the range may end before it started (npm run models -- history says when), isolates may not have loaded the pointer yet (MODEL_REFRESH_SECONDS), or it refused the requests (the Worker's log)";
}
