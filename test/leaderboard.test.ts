/**
 * The tune leaderboard's table (train/tune/leaderboard.ts): a score's spread is
 * shown when several folds judged each trial, and left out for a single
 * validation split, where it is always 0 and says nothing about noise.
 */
import { describe, expect, it } from "vitest";
import { defaultTrainOptions } from "../train/fit/options.ts";
import { leaderboardTable, type LeaderRow } from "../train/tune/leaderboard.ts";

const row = (rank: number, rmse: number, sd: number): LeaderRow => ({
  rank, trial: rank, config: "64 relu · adam lr 0.001", options: defaultTrainOptions,
  auc: { mean: NaN, sd: NaN }, logLoss: { mean: 0.5, sd }, rmse: { mean: rmse, sd },
  epochs: 100, bestEpoch: 40, parameters: 1985, bytes: 7940, edgeMicrosPerRow: 1.2,
});

describe("the leaderboard table", () => {
  it("shows mean ± sd over folds for cross-validation", () => {
    const text = leaderboardTable([row(1, 380.5, 12.25), row(2, 390, 9)], "rmse", "3-fold CV", "cpu", undefined, 3);
    expect(text).toContain("RMSE ± sd");
    expect(text).toContain("380.5000 ± 12.2500");
  });

  it("shows the score alone when one validation split judged every trial", () => {
    const text = leaderboardTable([row(1, 380.5, 0), row(2, 390, 0)], "rmse", "the validation split", "cpu", undefined, 1);
    expect(text).not.toContain("±");
    expect(text).toMatch(/\n\s*1\s+1\s+64 relu · adam lr 0\.001\s+380\.5000\s/);
  });
});
