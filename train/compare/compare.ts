/**
 * Champion against challenger, from decision records (pure; the reader and the
 * outcomes are the caller's I/O):
 *
 * - shadow: the same applicants. A shadow record pairs with the champion's by
 *   id (`<capture id>:<index>` and the same with `:shadow`): decision
 *   agreement, the flips in each direction, approval rates, PSI of the
 *   shadow's scores on the champion's score deciles, mean |Δp| (a
 *   regression's |Δ value|), and with outcomes the AUC of each on the same
 *   labelled applicants.
 * - canary: different applicants (the canary answered some callers, current
 *   the others), so only distributions compare: approval rates, mean score,
 *   PSI of the canary's scores on the champion's deciles, and with outcomes
 *   each side's AUC on its own applicants.
 *
 * Records are de-duplicated by id (delivery is at-least-once).
 */
import type { DecisionRecord } from "../../shared/decisions/record.ts";
import type { Decision } from "../../shared/predict.ts";
import { binShares, psiFromCounts, scoreDeciles } from "../evaluate/distribution.ts";
import { rocAuc } from "../evaluate/ranking.ts";

export const DECISIONS: readonly Decision[] = ["approve", "refer", "decline"];

/** One recorded answer, reduced to what comparing needs. */
interface Answer { version: string; score: number; decision: Decision | null; requestId: string; passThrough: string | number | null }

export interface SideSummary {
  version: string;
  n: number;
  /** Share answered "approve" (null for a regression). */
  approvalRate: number | null;
  decisions: Record<Decision, number> | null;
  meanScore: number;
  /** With outcomes: AUC on this side's labelled applicants (null when one class is missing). */
  auc?: number | null;
  labelled?: number;
}

export interface Flip { from: Decision; to: Decision; n: number }

export interface ShadowComparison {
  kind: "shadow";
  champion: SideSummary;
  challenger: SideSummary;
  /** Pairs: the same applicant answered by both. */
  n: number;
  /** Share of pairs with the same decision (null for a regression). */
  agreement: number | null;
  /** Every pair of different decisions, champion's first, most frequent first. */
  flips: Flip[];
  psi: number | null;
  meanAbsDelta: number;
}

export interface CanaryComparison {
  kind: "canary";
  champion: SideSummary;
  challenger: SideSummary;
  psi: number | null;
  note: string;
}

export interface Comparison {
  records: number;
  duplicates: number;
  /** Shadow records with no champion record of the same applicant (the champion's was not captured, or the canary answered). */
  unpaired: number;
  shadows: ShadowComparison[];
  canaries: CanaryComparison[];
}

/** A label per applicant, by pass-through id or request id (1 = the positive class, e.g. "bad"). */
export type Outcomes = { byKey: Map<string, 0 | 1> };

const scoreOf = (r: DecisionRecord): number => ("probability" in r.answer ? r.answer.probability : r.answer.value);
const decisionOf = (r: DecisionRecord): Decision | null => ("decision" in r.answer ? r.answer.decision : null);

function labelOf(a: Answer, o: Outcomes | undefined): 0 | 1 | undefined {
  if (!o) return undefined;
  if (a.passThrough !== null) {
    const l = o.byKey.get(String(a.passThrough));
    if (l !== undefined) return l;
  }
  return o.byKey.get(a.requestId);
}

function summary(version: string, answers: Answer[], outcomes: Outcomes | undefined): SideSummary {
  const n = answers.length;
  const classified = answers.every((a) => a.decision !== null);
  const counts = { approve: 0, refer: 0, decline: 0 };
  for (const a of answers) if (a.decision) counts[a.decision]++;
  const out: SideSummary = {
    version, n,
    approvalRate: classified && n ? counts.approve / n : null,
    decisions: classified ? counts : null,
    meanScore: n ? answers.reduce((s, a) => s + a.score, 0) / n : Number.NaN,
  };
  if (outcomes) {
    const labelled = answers.flatMap((a) => { const l = labelOf(a, outcomes); return l === undefined ? [] : [{ l, s: a.score }]; });
    const pos = labelled.filter((x) => x.l === 1).length;
    out.labelled = labelled.length;
    out.auc = pos > 0 && pos < labelled.length ? rocAuc(Float64Array.from(labelled, (x) => x.l), Float64Array.from(labelled, (x) => x.s)) : null;
  }
  return out;
}

/** PSI of `actual` on the deciles of `expected` (the champion's); null with fewer than 2 of either. */
function psiOn(expected: number[], actual: number[]): number | null {
  if (expected.length < 2 || actual.length < 1) return null;
  const cuts = [...new Set(scoreDeciles(Float64Array.from(expected)))];
  return psiFromCounts(binShares(cuts, Float64Array.from(expected)), binShares(cuts, Float64Array.from(actual)));
}

const groupBy = <T>(xs: T[], key: (x: T) => string) => {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
};

export function compareRecords(records: Iterable<DecisionRecord>, outcomes?: Outcomes): Comparison {
  const seen = new Set<string>();
  let total = 0;
  let duplicates = 0;
  const champion = new Map<string, Answer>();
  const shadow = new Map<string, Answer>();
  const canary: Answer[] = [];
  for (const r of records) {
    total++;
    if (seen.has(r.id)) { duplicates++; continue; }
    seen.add(r.id);
    const a: Answer = { version: r.version, score: scoreOf(r), decision: decisionOf(r), requestId: r.requestId, passThrough: r.passThrough };
    if (r.role === "champion") champion.set(r.id, a);
    else if (r.role === "shadow") shadow.set(r.id.replace(/:shadow$/, ""), a);
    else canary.push(a);
  }
  const pairs: { c: Answer; s: Answer }[] = [];
  let unpaired = 0;
  for (const [id, s] of shadow) {
    const c = champion.get(id);
    if (c) pairs.push({ c, s });
    else unpaired++;
  }
  const shadows = [...groupBy(pairs, (p) => `${p.c.version} ${p.s.version}`).values()].map((group): ShadowComparison => {
    const flips = new Map<string, Flip>();
    let agree = 0;
    for (const { c, s } of group) {
      if (c.decision === s.decision) { agree++; continue; }
      if (!c.decision || !s.decision) continue;
      const k = `${c.decision}>${s.decision}`;
      flips.set(k, { from: c.decision, to: s.decision, n: (flips.get(k)?.n ?? 0) + 1 });
    }
    // The same labelled applicants on both sides: the pair is labelled or not as a whole.
    const championSide = summary(group[0]!.c.version, group.map((p) => p.c), outcomes);
    const challengerSide = summary(group[0]!.s.version, group.map((p) => p.s), outcomes);
    return {
      kind: "shadow", champion: championSide, challenger: challengerSide, n: group.length,
      agreement: championSide.decisions && challengerSide.decisions ? agree / group.length : null,
      flips: [...flips.values()].sort((x, y) => y.n - x.n || DECISIONS.indexOf(x.from) - DECISIONS.indexOf(y.from)),
      psi: psiOn(group.map((p) => p.c.score), group.map((p) => p.s.score)),
      meanAbsDelta: group.reduce((sum, p) => sum + Math.abs(p.s.score - p.c.score), 0) / group.length,
    };
  });
  const championByVersion = groupBy([...champion.values()], (a) => a.version);
  const canaries = [...groupBy(canary, (a) => a.version).entries()].flatMap(([version, answers]) =>
    [...championByVersion.entries()].map(([cv, cs]): CanaryComparison => ({
      kind: "canary",
      champion: summary(cv, cs, outcomes),
      challenger: summary(version, answers, outcomes),
      psi: psiOn(cs.map((a) => a.score), answers.map((a) => a.score)),
      note: "different applicants: the canary answered some callers and current the others, so no decision pairs up; compare the distributions",
    })));
  return { records: total, duplicates, unpaired, shadows, canaries };
}
