/**
 * The card's `fairness` object: for each protected attribute, the group
 * metrics of train/evaluate/fairness.ts on the test split, with how the groups
 * were formed; and one log line per attribute naming the groups under the
 * four-fifths rule.
 */
import type { Thresholds } from "../../shared/artifact.ts";
import type { TestGroups } from "../data/groups.ts";
import { fairnessByGroup, type AttributeFairness } from "../evaluate/fairness.ts";

export type FairnessCard = Record<string, { column: string; groupedBy: { bands: number[] } | "values" } & AttributeFairness>;

/** Bootstrap resamples per attribute: enough for stable 95 % ends on a few thousand test rows, in well under a second. */
export const FAIRNESS_RESAMPLES = 200;

export function fairnessCard(testGroups: TestGroups[], labels: ArrayLike<number>, scores: ArrayLike<number>, thresholds: Thresholds, seed: number, log: (line: string) => void): FairnessCard {
  const card: FairnessCard = {};
  for (const { attribute: a, codes } of testGroups) {
    const f = fairnessByGroup(labels, scores, codes, a.groups, { thresholds, resamples: FAIRNESS_RESAMPLES, seed });
    card[a.column] = { column: a.column, groupedBy: a.groupedBy, ...f };
    const airs = Object.entries(f.air).map(([g, x]) => `${g} ${x === null ? "n/a" : x.toFixed(2)}`).join(", ");
    const flagged = f.belowFourFifths.length ? `; below four-fifths (0.8): ${f.belowFourFifths.join(", ")}` : "; no group below four-fifths (0.8)";
    log(`fairness "${a.column}" on the test split (reference ${f.reference}): adverse impact ratio ${airs}${flagged}`);
  }
  return card;
}
