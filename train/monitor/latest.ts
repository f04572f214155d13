/**
 * One outcome pairs with one decision. An applicant scored more than once (a
 * client retrying, an application re-scored) has several decision records
 * under one join key; counting each would weigh that applicant once per
 * decision in the labelled metrics. The latest by record time is the one the
 * lender acted on: it keeps the label, the earlier ones are counted and left
 * out (they still count for drift and CBPE, being real traffic). Only what the
 * labelled metrics need of a decision is held, not its features, so memory
 * grows with the matched outcomes, which are in memory already.
 */

/** What the labelled metrics need of one labelled decision. */
export interface JoinedDecision {
  /** Record time, ms since the epoch. */
  time: number;
  /** ISO week of the decision. */
  week: string;
  /** The judged version's probability (a regression's predicted value). */
  score: number;
  label: number;
  /** A regression's prediction interval. */
  interval?: readonly [number, number];
}

/** Per key, the latest of what was added (by `time`); `models compare` keeps its labelled answers this way too. */
export class LatestDecisions<D extends { time: number } = JoinedDecision> {
  private readonly byKey = new Map<string, D>();
  /** Decisions left out because the same key has a later one (or an equally timed one read later). */
  earlier = 0;

  add(key: string, d: D): void {
    const held = this.byKey.get(key);
    if (held) {
      this.earlier++;
      if (held.time > d.time) return;
    }
    this.byKey.set(key, d);
  }

  values(): IterableIterator<D> {
    return this.byKey.values();
  }
}
