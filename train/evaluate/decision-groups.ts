/**
 * Decisions by group from counts alone (`score --protected`): approval rates
 * and the adverse impact ratio need no outcome and no kept rows, so a batch
 * of any size is summarised in flat memory. Same conventions as
 * train/evaluate/fairness.ts: the reference is the most-approved group among
 * those with at least 30 rows (all groups when none has), the larger on a tie.
 */
import { FOUR_FIFTHS } from "./fairness.ts";

export interface DecisionCounts { approve: number; refer: number; decline: number }

export interface GroupDecisions extends DecisionCounts {
  count: number;
  /** Share approved. */
  approvalRate: number;
  /** Share approved or referred. */
  notDeclinedRate: number;
  /** Approval rate over the reference's (null when the reference approves nobody). */
  air: number | null;
  airNotDeclined: number | null;
  belowFourFifths: boolean;
}

export interface AttributeDecisions {
  reference: string;
  air: Record<string, number | null>;
  belowFourFifths: string[];
  groups: Record<string, GroupDecisions>;
}

/** Groups without rows are left out; `counts` in the order the groups should be listed. */
export function decisionsByGroup(counts: ReadonlyArray<readonly [string, DecisionCounts]>, minReferenceCount = 30): AttributeDecisions {
  const present = counts.map(([name, c]) => ({ name, ...c, count: c.approve + c.refer + c.decline })).filter((g) => g.count > 0);
  if (present.length === 0) return { reference: "", air: {}, belowFourFifths: [], groups: {} };
  const rate = (g: { approve: number; count: number }) => g.approve / g.count;
  const eligible = present.filter((g) => g.count >= minReferenceCount);
  const ref = (eligible.length ? eligible : present).reduce((best, g) => (rate(g) > rate(best) || (rate(g) === rate(best) && g.count > best.count) ? g : best));
  const refRate = rate(ref);
  const refNotDeclined = (ref.approve + ref.refer) / ref.count;
  const groups: Record<string, GroupDecisions> = {};
  for (const g of present) {
    const air = refRate > 0 ? rate(g) / refRate : null;
    groups[g.name] = {
      approve: g.approve, refer: g.refer, decline: g.decline, count: g.count,
      approvalRate: rate(g), notDeclinedRate: (g.approve + g.refer) / g.count,
      air, airNotDeclined: refNotDeclined > 0 ? (g.approve + g.refer) / g.count / refNotDeclined : null,
      belowFourFifths: air !== null && air < FOUR_FIFTHS,
    };
  }
  return {
    reference: ref.name,
    air: Object.fromEntries(Object.entries(groups).map(([n, g]) => [n, g.air])),
    belowFourFifths: Object.entries(groups).filter(([, g]) => g.belowFourFifths).map(([n]) => n),
    groups,
  };
}
