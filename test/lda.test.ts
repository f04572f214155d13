/**
 * Less discriminatory alternatives (issue 22, item 4): the constraint's
 * syntax, the selection rule and the Pareto front on hand-made trials, usage
 * errors, and a whole search on a data set built from cps1988 where the
 * unconstrained winner fails the four-fifths rule and the constrained one meets it.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultTrainOptions } from "../train/fit/options.ts";
import { countGroups, minOverGroups, parseConstraint, type GroupCount } from "../train/tune/constraint.ts";
import { paretoFront, trialFairness } from "../train/tune/lda.ts";
import type { FoldResult, Trial } from "../train/tune/schedule.ts";
import { chooseWinner } from "../train/tune/select.ts";
import { writeLdaData } from "./helpers/lda-data.ts";

const dir = mkdtempSync(join(tmpdir(), "lda-"));

/** Runs a CLI script with the Node that runs vitest. */
function cli(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["node_modules/tsx/dist/cli.mjs", script, ...args], { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Two groups, 100 rows each: group 1 approved `approvedB` times, group 0 80 times (AIR approvedB / 80). */
function counts(approvedB: number): GroupCount[][] {
  return [[[100, 20, 80, 90, 10, 0], [100, 20, approvedB, 90, 10, 0]]];
}

/** A one-fold trial at its last rung with validation AUC `auc` and the group counts of `counts`. */
function trial(id: number, auc: number, approvedB: number, hidden: number[] = [8]): Trial {
  const fold: FoldResult = { epochs: 1, bestEpoch: 1, valLoss: [0.5], valAuc: [auc], stopped: false, seconds: 0, groupCounts: [counts(approvedB)] };
  return { id, options: { ...defaultTrainOptions, hidden }, bracket: 0, rung: 0, folds: [fold], worker: [0], done: true, seconds: 0, epochs: 1 };
}

describe("the fairness constraint", () => {
  it("parses air>=x and eod>=-x, and refuses anything else naming the accepted forms", () => {
    expect(parseConstraint("air>=0.8")).toEqual({ metric: "air", bound: 0.8, text: "air>=0.8" });
    expect(parseConstraint(" EOD >= -0.1 ")).toEqual({ metric: "eod", bound: -0.1, text: "eod>=-0.1" });
    expect(() => parseConstraint("air>0.8")).toThrow(/expected "air>=x" .* or "eod>=-x"/);
    expect(() => parseConstraint("air>=1.5")).toThrow(/above 0 and at most 1/);
    expect(() => parseConstraint("eod>=0.2")).toThrow(/from -1 to 0/);
  });

  it("counts groups at the thresholds and takes the smallest ratio against the most-approved group", () => {
    const c = countGroups([1, 0, 0, 1], [0.1, 0.2, 0.6, 0.3], [0, 0, 1, 1], 2, { refer: 0.25, decline: 0.5 });
    expect(c).toEqual([[2, 1, 2, 2, 0, 0], [2, 1, 0, 1, 0, 1]]);
    expect(minOverGroups(counts(60)[0] as GroupCount[], "air")).toBeCloseTo(0.75, 10);
    // A group of 29 rows approving none is a few rows' chance: left out of the minimum; at 30 it counts.
    expect(minOverGroups([...(counts(60)[0] as GroupCount[]), [29, 5, 0, 10, 5, 14]], "air")).toBeCloseTo(0.75, 10);
    expect(minOverGroups([...(counts(60)[0] as GroupCount[]), [30, 5, 0, 10, 5, 15]], "air")).toBe(0);
    // Every group small: all of them count.
    expect(minOverGroups([[10, 2, 8, 9, 1, 0], [10, 2, 4, 9, 1, 0]], "air")).toBeCloseTo(0.5, 10);
    expect(trialFairness(trial(0, 0.8, 60), { metric: "air", bound: 0.8 })).toEqual({ value: expect.closeTo(0.75, 10), meets: false });
  });
});

describe("choosing under a constraint", () => {
  const measure = { metric: "air" as const, bound: 0.8, text: "air>=0.8" };
  const fair = (t: Trial) => trialFairness(t, measure);
  it("takes the most accurate trial that meets it", () => {
    const ranking = [trial(0, 0.83, 60), trial(1, 0.81, 62), trial(2, 0.80, 66), trial(3, 0.78, 76)];
    const c = chooseWinner(ranking, "auc", 5, fair)!;
    expect([c.winner.id, c.met]).toEqual([2, true]);
    expect(chooseWinner(ranking, "auc", 5)!.winner.id).toBe(0);
  });
  it("when none meets it, takes the closest (not a chance-level trial) and says so", () => {
    const ranking = [trial(0, 0.83, 40), trial(1, 0.81, 60), trial(2, 0.45, 80)];
    const c = chooseWinner(ranking, "auc", 5, fair)!;
    expect([c.winner.id, c.met]).toEqual([1, false]);
    expect(c.reason).toMatch(/no final trial meets the fairness constraint: trial 1 .* comes closest/);
  });
  it("the Pareto front keeps the trials no other beats on both AUC and the fairness metric", () => {
    const front = paretoFront([
      { trial: 0, auc: 0.83, value: 0.6 }, { trial: 1, auc: 0.82, value: 0.55 }, { trial: 2, auc: 0.80, value: 0.9 },
      { trial: 3, auc: 0.80, value: 0.85 }, { trial: 4, auc: 0.70, value: 0.95 }, { trial: 5, auc: 0.9, value: NaN },
    ]);
    expect(front).toEqual([0, 2, 4]);
  });
});

describe("npm run tune --fairness", () => {
  it("refuses a malformed constraint, and a constraint without --protected, with exit 2", async () => {
    const [syntax, alone] = await Promise.all([
      cli("train/cli/tune.ts", ["--protected", "Marital", "--fairness", "air=0.8", "--json"]),
      cli("train/cli/tune.ts", ["--fairness", "air>=0.8", "--json"]),
    ]);
    expect([syntax.code, alone.code]).toEqual([2, 2]);
    expect(JSON.parse(syntax.stdout).error.message).toMatch(/--fairness "air=0.8": expected "air>=x"/);
    expect(JSON.parse(alone.stdout).error.message).toMatch(/--fairness air>=0.8 .*: add --protected <column>/);
  }, 60_000);

  it("meets its constraint on a data set where the unconstrained winner does not", async () => {
    const data = join(dir, "cps-lda.csv");
    writeLdaData(data);
    const args = ["--data", data, "--target", "low_wage", "--positive", "yes", "--protected", "ethnicity", "--trials", "9", "--epochs", "9", "--workers", "2", "--quiet", "--json"];
    const plain = await cli("train/cli/tune.ts", [...args, "--out", join(dir, "plain.json")]);
    const fair = await cli("train/cli/tune.ts", [...args, "--fairness", "air>=0.8", "--out", join(dir, "fair.json")]);
    expect([plain.code, fair.code], plain.stderr + fair.stderr).toEqual([0, 0]);
    const p = JSON.parse(plain.stdout).fairness;
    const f = JSON.parse(fair.stdout).fairness;
    const value = (x: { trials: { trial: number; value: number }[] }, id: number) => x.trials.find((t) => t.trial === id)!.value;
    // --protected alone: measured, not a constraint; the winner fails the four-fifths rule.
    expect([p.constraint, p.met]).toEqual([null, null]);
    expect(value(p, p.chosen)).toBeLessThan(0.8);
    // With the constraint: a trial meeting it wins, and the search says what it cost.
    expect([f.constraint, f.met]).toEqual(["air>=0.8", true]);
    expect(value(f, f.chosen)).toBeGreaterThanOrEqual(0.8);
    expect(f.trials.find((t: { trial: number }) => t.trial === f.chosen).meets).toBe(true);
    expect(f.pareto.length).toBeGreaterThan(0);
    expect(fair.stderr).toMatch(/min AIR +meets/);
    expect(fair.stderr).toMatch(/fairness: winner trial \d+: AUC 0\.\d+, min AIR 0\.\d+ \(meets air>=0\.8\)/);
    // tuned.json carries the same record; ethnicity was never a feature.
    const tuned = JSON.parse(readFileSync(join(dir, "fair.json"), "utf8"));
    expect(tuned.search.fairness.chosen).toBe(f.chosen);
    expect(tuned.data.features).not.toContain("ethnicity");
  }, 120_000);
});
