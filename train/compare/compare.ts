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
 * The records come from train/decisions/read.ts (de-duplicated by id there)
 * and are folded in one at a time (`Comparer.add`), so memory does not grow
 * with whole records: per answer kept, only its score (8 bytes, for the PSI
 * deciles) and, with outcomes, its label; per-id state only for an answer whose
 * partner (champion ↔ shadow) has not been read yet. The shadow is scored in
 * the same request's waitUntil, seconds after the champion, and objects are
 * read in time order (day, hour), so a partner more than PAIR_WINDOW_MS behind
 * the newest record read never comes: such entries are dropped (a shadow
 * counted as unpaired), which bounds that state to a few hours of traffic.
 */
import type { DecisionRecord } from "../../shared/decisions/record.ts";
import type { Decision } from "../../shared/predict.ts";
import { binShares, psiFromCounts, scoreDeciles } from "../evaluate/distribution.ts";
import { rocAuc } from "../evaluate/ranking.ts";
import type { Outcomes } from "../monitor/outcomes.ts";
import { LatestDecisions } from "../monitor/latest.ts";

export const DECISIONS: readonly Decision[] = ["approve", "refer", "decline"];

/** A shadow record further than this behind the newest record read finds no champion any more (and vice versa). */
export const PAIR_WINDOW_MS = 6 * 3_600_000;

/** One recorded answer, reduced to what comparing needs. */
/** `applicant`: who the label is for (outcomes' join rule), with `label`. */
interface Answer { version: string; score: number; decision: Decision | null; label: 0 | 1 | undefined; applicant?: string; time: number }

export interface SideSummary {
  version: string;
  n: number;
  /** Share answered "approve" (null for a regression). */
  approvalRate: number | null;
  decisions: Record<Decision, number> | null;
  meanScore: number;
  /** With outcomes: AUC on this side's labelled applicants (null when one class is missing), one answer each: its latest. */
  auc?: number | null;
  labelled?: number;
  /** With outcomes: earlier answers to an applicant answered again, left out of the AUC (as monitor --outcomes does). */
  earlierDecisions?: number;
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
  /** Records read in the range, duplicates included. */
  records: number;
  duplicates: number;
  /** Shadow records with no champion record of the same applicant (the champion's was not captured, or the canary answered). */
  unpaired: number;
  shadows: ShadowComparison[];
  canaries: CanaryComparison[];
}

/** Labels that arrived later: the reader and join rule of `monitor --outcomes` (train/monitor/outcomes.ts). */
export type { Outcomes };

const scoreOf = (r: DecisionRecord): number => ("probability" in r.answer ? r.answer.probability : r.answer.value);
const decisionOf = (r: DecisionRecord): Decision | null => ("decision" in r.answer ? r.answer.decision : null);

/** The record's label and the applicant it is for, when an outcome names it. */
function labelOf(r: DecisionRecord, o: Outcomes | undefined): Pick<Answer, "label" | "applicant"> {
  const j = o?.joinOf(r);
  return j === undefined ? { label: undefined } : { label: j.label === 1 ? 1 : 0, applicant: j.applicant };
}

/** One side's answers, folded: counts, the scores (for PSI) and the labelled scores (for AUC). */
class Side {
  n = 0;
  classified = true;
  counts: Record<Decision, number> = { approve: 0, refer: 0, decline: 0 };
  scores: number[] = [];
  /** Per labelled applicant, its latest answer: one label per applicant, however often it was answered. */
  labelled = new LatestDecisions<{ time: number; label: 0 | 1; score: number }>();
  constructor(readonly version: string) {}

  add(a: Answer): void {
    this.n++;
    if (a.decision) this.counts[a.decision]++;
    else this.classified = false;
    this.scores.push(a.score);
    if (a.label !== undefined && a.applicant !== undefined) this.labelled.add(a.applicant, { time: a.time, label: a.label, score: a.score });
  }

  summary(withOutcomes: boolean): SideSummary {
    const n = this.n;
    const out: SideSummary = {
      version: this.version, n,
      approvalRate: this.classified && n ? this.counts.approve / n : null,
      decisions: this.classified ? { ...this.counts } : null,
      meanScore: n ? this.scores.reduce((s, x) => s + x, 0) / n : Number.NaN,
    };
    if (withOutcomes) {
      const held = [...this.labelled.values()];
      const pos = held.filter((h) => h.label === 1).length;
      out.labelled = held.length;
      out.earlierDecisions = this.labelled.earlier;
      out.auc = pos > 0 && pos < held.length ? rocAuc(Float64Array.from(held, (h) => h.label), Float64Array.from(held, (h) => h.score)) : null;
    }
    return out;
  }
}

/** PSI of `actual` on the deciles of `expected` (the champion's); null with fewer than 2 of either. */
function psiOn(expected: number[], actual: number[]): number | null {
  if (expected.length < 2 || actual.length < 1) return null;
  const cuts = [...new Set(scoreDeciles(Float64Array.from(expected)))];
  return psiFromCounts(binShares(cuts, Float64Array.from(expected)), binShares(cuts, Float64Array.from(actual)));
}

/** The champion and shadow answers to the same applicants, for one pair of versions. */
class Pairs {
  champion: Side;
  shadow: Side;
  agree = 0;
  absDelta = 0;
  flips = new Map<string, Flip>();
  constructor(championVersion: string, shadowVersion: string) {
    this.champion = new Side(championVersion);
    this.shadow = new Side(shadowVersion);
  }

  add(c: Answer, s: Answer): void {
    this.champion.add(c);
    this.shadow.add(s);
    this.absDelta += Math.abs(s.score - c.score);
    if (c.decision === s.decision) { this.agree++; return; }
    if (!c.decision || !s.decision) return;
    const k = `${c.decision}>${s.decision}`;
    this.flips.set(k, { from: c.decision, to: s.decision, n: (this.flips.get(k)?.n ?? 0) + 1 });
  }

  result(withOutcomes: boolean): ShadowComparison {
    const champion = this.champion.summary(withOutcomes);
    const challenger = this.shadow.summary(withOutcomes);
    const n = this.champion.n;
    return {
      kind: "shadow", champion, challenger, n,
      agreement: champion.decisions && challenger.decisions ? this.agree / n : null,
      flips: [...this.flips.values()].sort((x, y) => y.n - x.n || DECISIONS.indexOf(x.from) - DECISIONS.indexOf(y.from)),
      psi: psiOn(this.champion.scores, this.shadow.scores),
      meanAbsDelta: this.absDelta / n,
    };
  }
}

const CANARY_NOTE = "different applicants: the canary answered some callers and current the others, so no decision pairs up; compare the distributions";

/** Folds de-duplicated decision records into the comparison, one at a time. */
export class Comparer {
  private records = 0;
  private unpaired = 0;
  private newest = Number.NEGATIVE_INFINITY;
  /** Answers waiting for their partner, by the champion's record id. */
  private waitingChampion = new Map<string, Answer>();
  private waitingShadow = new Map<string, Answer>();
  private pairs = new Map<string, Pairs>();
  private champions = new Map<string, Side>();
  private canaries = new Map<string, Side>();

  constructor(private readonly outcomes?: Outcomes) {}

  add(r: DecisionRecord): void {
    this.records++;
    const a: Answer = { version: r.version, score: scoreOf(r), decision: decisionOf(r), ...labelOf(r, this.outcomes), time: Date.parse(r.time) };
    if (a.time > this.newest) this.newest = a.time;
    if (r.role === "canary") return this.side(this.canaries, a).add(a);
    if (r.role === "champion") {
      this.side(this.champions, a).add(a);
      const s = this.waitingShadow.get(r.id);
      if (s) { this.waitingShadow.delete(r.id); this.pair(a, s); } else this.waitingChampion.set(r.id, a);
    } else {
      const id = r.id.replace(/:shadow$/, "");
      const c = this.waitingChampion.get(id);
      if (c) { this.waitingChampion.delete(id); this.pair(c, a); } else this.waitingShadow.set(id, a);
    }
    if (this.records % 4096 === 0) this.evict();
  }

  /** Drops waiting answers whose partner can no longer come (see PAIR_WINDOW_MS). */
  private evict(): void {
    const before = this.newest - PAIR_WINDOW_MS;
    for (const [id, a] of this.waitingChampion) if (a.time < before) this.waitingChampion.delete(id);
    for (const [id, a] of this.waitingShadow) if (a.time < before) { this.waitingShadow.delete(id); this.unpaired++; }
  }

  private side(m: Map<string, Side>, a: Answer): Side {
    let s = m.get(a.version);
    if (!s) m.set(a.version, (s = new Side(a.version)));
    return s;
  }

  private pair(c: Answer, s: Answer): void {
    const k = `${c.version} ${s.version}`;
    let p = this.pairs.get(k);
    if (!p) this.pairs.set(k, (p = new Pairs(c.version, s.version)));
    p.add(c, s);
  }

  /** The comparison; `duplicates` is what the reader dropped (it is counted in `records`). */
  result(duplicates: number): Comparison {
    const withOutcomes = this.outcomes !== undefined;
    const shadows = [...this.pairs.values()].map((p) => p.result(withOutcomes));
    const canaries = [...this.canaries.values()].flatMap((canary) =>
      [...this.champions.values()].map((champion): CanaryComparison => ({
        kind: "canary",
        champion: champion.summary(withOutcomes),
        challenger: canary.summary(withOutcomes),
        psi: psiOn(champion.scores, canary.scores),
        note: CANARY_NOTE,
      })));
    return { records: this.records + duplicates, duplicates, unpaired: this.unpaired + this.waitingShadow.size, shadows, canaries };
  }
}
