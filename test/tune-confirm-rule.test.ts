/**
 * The confirmation's rule (train/tune/confirm-rule.ts): a challenger replaces
 * the default only when better on the same splits by more than the standard
 * error of the paired difference; within the noise the simpler model stays.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultTrainOptions, type TrainOptions } from "../train/fit/options.ts";
import { linearOptions, type Confirmation } from "../train/tune/confirm.ts";
import { confirmWinner, pairedDifference, type CandidateScores } from "../train/tune/confirm-rule.ts";
import { confirmationCard, confirmationTable } from "../train/tune/confirm-table.ts";
import type { Trial } from "../train/tune/schedule.ts";

const scores = (search: number[], def: number[], linear: number[]): CandidateScores[] => [
  { name: "search", scores: search }, { name: "default", scores: def }, { name: "linear", scores: linear },
];
const splits = fc.array(fc.double({ min: 0.5, max: 0.95, noNaN: true }), { minLength: 2, maxLength: 12 });

describe("the paired difference", () => {
  it("is the mean of the per-split differences with its standard error sd / √n", () => {
    const d = pairedDifference([0.8, 0.82, 0.84], [0.79, 0.8, 0.81], 1);
    // differences 0.01, 0.02, 0.03: mean 0.02, sd 0.01, se 0.01 / √3
    expect(d.mean).toBeCloseTo(0.02, 12);
    expect(d.se).toBeCloseTo(0.01 / Math.sqrt(3), 12);
    expect(d.beats).toBe(true);
  });

  it("turns the sign for a metric where lower is better", () => {
    expect(pairedDifference([10, 11], [12, 13], -1)).toMatchObject({ mean: 2, beats: true });
    expect(pairedDifference([12, 13], [10, 11], -1)).toMatchObject({ mean: -2, beats: false });
  });

  it("never beats with an unfinished split or a single split", () => {
    expect(pairedDifference([0.9, NaN], [0.5, 0.5], 1).beats).toBe(false);
    expect(pairedDifference([0.9], [0.5], 1).beats).toBe(false);
  });
});

describe("the confirmed winner", () => {
  it("keeps the default when the search's best is better by less than its noise, and says so", () => {
    const v = confirmWinner(scores([0.84, 0.80, 0.86, 0.79], [0.82, 0.81, 0.83, 0.80], [0.80, 0.79, 0.81, 0.78]), true, "AUC");
    expect(v.winner).toBe("default");
    expect(v.reason).toMatch(/^default kept: the search's best was not better on confirmation data by more than its noise \(Δ AUC 0\.0075 ± 0\.\d{4}\)$/);
  });

  it("takes the search's best when it beats the default and the linear model beyond the noise", () => {
    const v = confirmWinner(scores([0.85, 0.84, 0.86, 0.85], [0.82, 0.81, 0.83, 0.82], [0.80, 0.80, 0.81, 0.80]), true, "AUC");
    expect(v.winner).toBe("search");
  });

  it("takes the linear model when both beat the default and the search's best is within the noise of it", () => {
    const v = confirmWinner(scores([0.86, 0.84, 0.85, 0.85], [0.80, 0.80, 0.81, 0.80], [0.85, 0.85, 0.84, 0.86]), true, "AUC");
    expect(v.winner).toBe("linear");
    expect(v.reason).toMatch(/one-standard-error rule/);
  });

  it("works for RMSE (lower is better)", () => {
    expect(confirmWinner(scores([100, 101, 99], [110, 111, 109], [120, 121, 119]), false, "RMSE").winner).toBe("search");
    expect(confirmWinner(scores([110, 111, 109], [100, 101, 99], [120, 121, 119]), false, "RMSE").winner).toBe("default");
  });

  it("keeps the default when it did not finish", () => {
    expect(confirmWinner(scores([0.9, 0.9], [0.5, NaN], [0.9, 0.9]), true, "AUC")).toMatchObject({ winner: "default", reason: expect.stringMatching(/did not finish/) });
  });

  it("never replaces the default by a challenger that is not better on average by more than its standard error", () => {
    fc.assert(fc.property(splits, fc.array(fc.double({ min: -0.05, max: 0.05, noNaN: true }), { minLength: 24, maxLength: 24 }), fc.array(fc.double({ min: -0.05, max: 0.05, noNaN: true }), { minLength: 24, maxLength: 24 }), (def, ds, dl) => {
      const search = def.map((x, i) => x + (ds[i] as number));
      const linear = def.map((x, i) => x + (dl[i] as number));
      const v = confirmWinner(scores(search, def, linear), true, "AUC");
      if (v.winner === "default") return;
      const won = v.winner === "search" ? search : linear;
      const d = pairedDifference(won, def, 1);
      expect(d.mean).toBeGreaterThan(0);
      expect(d.mean).toBeGreaterThan(d.se);
      // The same, counted here: the split-by-split differences are exact, where two sums of ~3.7 can round to one value.
      expect(won.reduce((s, x, i) => s + (x - (def[i] as number)), 0)).toBeGreaterThan(0);
    }));
  });

  it("keeps the default whenever it is at least as good on every split", () => {
    fc.assert(fc.property(splits, fc.array(fc.double({ min: 0, max: 0.1, noNaN: true }), { minLength: 12, maxLength: 12 }), (def, gaps) => {
      const worse = def.map((x, i) => x - (gaps[i] as number));
      expect(confirmWinner(scores(worse, def, worse), true, "AUC").winner).toBe("default");
    }));
  });

  it("does not depend on the order of the splits or on the scale of the metric", () => {
    fc.assert(fc.property(splits, splits, splits, fc.double({ min: -0.3, max: 0.3, noNaN: true }), (a, b, c, shift) => {
      const n = Math.min(a.length, b.length, c.length);
      const [s, d, l] = [a.slice(0, n), b.slice(0, n), c.slice(0, n)];
      const w = confirmWinner(scores(s, d, l), true, "AUC").winner;
      expect(confirmWinner(scores([...s].reverse(), [...d].reverse(), [...l].reverse()), true, "AUC").winner).toBe(w);
      // A shift by a power of two keeps every difference exact.
      const k = 2 ** Math.round(shift * 10);
      expect(confirmWinner(scores(s.map((x) => x * k), d.map((x) => x * k), l.map((x) => x * k)), true, "AUC").winner).toBe(w);
    }));
  });
});

describe("a confirmation the time budget left no split for", () => {
  const trial = (id: number, options: TrainOptions): Trial => ({ id, options, bracket: -1, rung: -1, folds: [], worker: [], done: false, seconds: 0, epochs: 0 });
  const verdict = confirmWinner(scores([NaN], [NaN], [NaN]), false, "RMSE");
  const c: Confirmation = {
    verdict, protocol: "3-fold CV on 19708 training rows (fresh folds and seeds; none of its 3 splits fit in the time left)", seconds: 0.1,
    trials: { search: trial(1, defaultTrainOptions), default: trial(2, defaultTrainOptions), linear: trial(3, linearOptions(defaultTrainOptions)) },
  };

  it("keeps the default and shows no epochs for splits that never ran (not NaN)", () => {
    expect(verdict.winner).toBe("default");
    const text = confirmationTable(c, "rmse", true);
    expect(text).not.toContain("NaN");
    expect(text).toMatch(/linear \(L2\)\s+linear/);
  });

  it("names a regression's linear candidate 'linear' in tuned.json and the card, not 'logistic'", () => {
    const card = confirmationCard(c, "rmse") as { candidates: { name: string; config: string }[] };
    expect(card.candidates.find((x) => x.name === "linear")!.config).toMatch(/^linear/);
    expect(JSON.stringify(card)).not.toContain("logistic");
  });
});
