/**
 * A failed outcomes join must fail the run, not pass as "labelled:
 * unavailable" with exit 0: that silently turns the `--max-auc-drop` gate off
 * on a scheduled job. The outcomes file is held to the rule `--data` is held
 * to (more than `--max-skipped` unusable rows fail), and labelled outcomes of
 * which none matches a decision fail too (a wrong `--join-on`, ids exported in
 * another form, or a range that holds none of these decisions). Outcomes that
 * are all not known yet (empty label cells) are a normal early state: no error.
 */
import type { Outcomes } from "./outcomes.ts";

export type OutcomesErrorCode = "outcomes_unusable" | "outcomes_unmatched";

export class OutcomesError extends Error {
  constructor(message: string, readonly code: OutcomesErrorCode) {
    super(message);
  }
}

const quoted = (v: string) => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);

/** Fails when more than `maxSkipped` of the outcome rows are unusable (no join value, or a label the model does not know). */
export function checkUsable(o: Outcomes, maxSkipped: number, expected: string): void {
  if (o.badCount === 0 || o.badCount <= maxSkipped * o.rows) return;
  const parts: string[] = [];
  if (o.emptyKeys.count) parts.push(`${o.emptyKeys.count} with an empty "${o.joinOn}" (the --join-on column; e.g. line ${o.emptyKeys.line})`);
  if (o.badLabels.count) {
    const found = [...o.unusableValues].sort((a, b) => b[1] - a[1]).map(([v, n]) => `${quoted(v)} (${n} row${n === 1 ? "" : "s"})`);
    if (o.otherValues) found.push(`${o.otherValues} rows with other values`);
    parts.push(`${o.badLabels.count} whose "${o.target}" (the model's target column) holds ${found.join(", ")} (e.g. line ${o.badLabels.line}), where the model expects ${expected}`);
  }
  throw new OutcomesError(
    `${o.source}: ${o.badCount} of ${o.rows} outcome rows are unusable, more than --max-skipped ${maxSkipped}: ${parts.join("; ")}. ` +
    `Write the labels as the model's training data had them (an empty cell means not known yet), or raise --max-skipped to accept them`,
    "outcomes_unusable",
  );
}

/** Fails when the file has labelled outcomes and not one of them matched a decision in the range. */
export function checkMatched(o: Outcomes, range: string): void {
  if (o.labels.size === 0 || o.matched.size > 0) return;
  const side = o.matchBy === "request_id" ? "request id" : "pass-through value";
  const ours = o.labels.keys().next().value as string;
  const theirs = o.decisionExample === undefined
    ? `none of the ${o.decisionsWithoutKey} decisions in the range has a ${side}${o.matchBy === "pass_through" ? " (the callers sent no id under PASS_THROUGH_KEY)" : ""}`
    : `the decisions' ${side}s are like ${quoted(o.decisionExample)}`;
  throw new OutcomesError(
    `${o.source}: none of its ${o.labels.size} labelled outcomes matches a decision ${range} (--join-on ${o.joinOn}: column "${o.joinOn}" = the record's ${side}): ` +
    `the outcomes' "${o.joinOn}" values are like ${quoted(ours)}, ${theirs}. ` +
    `Check that --join-on names the column holding the id the caller sent under PASS_THROUGH_KEY (or is request_id, for the X-Request-Id), written as the caller sent it, and that --since/--until cover the decisions these outcomes are for`,
    "outcomes_unmatched",
  );
}
