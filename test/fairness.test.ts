/**
 * Fair lending, the pure parts: group metrics against numbers worked out by
 * hand on a nine-row fixture, the sensitive-name match, the near-constant
 * check, and how `--protected` is read and its groups formed.
 */
import { describe, expect, it } from "vitest";
import { nearConstant, NEAR_CONSTANT_SHARE } from "../train/data/constant.ts";
import { memorySource } from "../train/data/csv.ts";
import { profileCsv, type ColumnProfile } from "../train/data/profile.ts";
import { exampleBands, parseProtected, ProtectedError, resolveProtected } from "../train/data/protected.ts";
import { StreamGroups } from "../train/data/stream-groups.ts";
import { sensitiveBases } from "../train/data/sensitive.ts";
import { fairnessByGroup } from "../train/evaluate/fairness.ts";
import { fairnessCard } from "../train/tasks/fairness.ts";

// Thresholds: approve below 0.3, decline from 0.6. Label 1 = bad.
//   group A (0): (y, p) = (0, .1) (0, .2) (1, .4) (1, .7) (0, .65)
//   group B (1): (0, .2) (1, .5) (1, .8) (0, .35)
//   group C (2): (0, .1)
//   group "(missing)" (3): no rows
const labels = [0, 0, 1, 1, 0, 0, 1, 1, 0, 0];
const scores = [0.1, 0.2, 0.4, 0.7, 0.65, 0.2, 0.5, 0.8, 0.35, 0.1];
const groups = [0, 0, 0, 0, 0, 1, 1, 1, 1, 2];
const names = ["A", "B", "C", "(missing)"];
const thresholds = { refer: 0.3, decline: 0.6 };

describe("fairnessByGroup on a hand-computed fixture", () => {
  // C (one row, approved) cannot be the reference with fewer than 2 rows: A (approval 2/5) is.
  const f = fairnessByGroup(labels, scores, groups, names, { thresholds, minReferenceCount: 2, resamples: 200, seed: 1 });
  const A = f.groups.A!, B = f.groups.B!, C = f.groups.C!;

  it("counts, approval rates at both thresholds, and the reference: the most-approved group", () => {
    expect(Object.keys(f.groups)).toEqual(["A", "B", "C"]); // a group without rows is left out
    expect([A.count, A.bad, B.count, B.bad, C.count, C.bad]).toEqual([5, 2, 4, 2, 1, 0]);
    expect(A.approvalRate.value).toBeCloseTo(2 / 5, 12); // .1 .2 below .3
    expect(A.notDeclinedRate.value).toBeCloseTo(3 / 5, 12); // .1 .2 .4 below .6
    expect(B.approvalRate.value).toBeCloseTo(1 / 4, 12);
    expect(B.notDeclinedRate.value).toBeCloseTo(3 / 4, 12);
    expect(f.reference).toBe("A");
  });

  it("adverse impact ratio against the reference, and the four-fifths flag", () => {
    expect(f.air.A).toBe(1);
    expect(f.air.B).toBeCloseTo(0.25 / 0.4, 12); // 0.625 < 0.8
    expect(f.air.C).toBeCloseTo(1 / 0.4, 12);
    expect(B.airNotDeclined!.value).toBeCloseTo(0.75 / 0.6, 12);
    expect([A.belowFourFifths, B.belowFourFifths, C.belowFourFifths]).toEqual([false, true, false]);
    expect(f.belowFourFifths).toEqual(["B"]);
  });

  it("standardised mean difference of scores: (mean − reference mean) / √((var + reference var) / 2), population variances", () => {
    const meanA = 2.05 / 5, varA = 0.282 / 5; // deviations −.31 −.21 −.01 .29 .24
    const meanB = 1.85 / 4, varB = 0.196875 / 4; // deviations −.2625 .0375 .3375 −.1125
    expect(A.smd!.value).toBe(0);
    expect(B.smd!.value).toBeCloseTo((meanB - meanA) / Math.sqrt((varA + varB) / 2), 12);
    expect(B.calibration.meanPredicted.value).toBeCloseTo(meanB, 12);
    expect(B.calibration.observedBadRate.value).toBeCloseTo(0.5, 12);
    expect(A.calibration.observedBadRate.value).toBeCloseTo(0.4, 12);
  });

  it("AUC per group, null for a group with one class", () => {
    expect(A.auc!.value).toBeCloseTo(5 / 6, 12); // .4 beats .1 .2; .7 beats all three goods
    expect(B.auc!.value).toBe(1);
    expect(C.auc).toBeNull();
  });

  it("true and false positive rates at the decline threshold, and the equal-opportunity difference (reference FPR − FPR)", () => {
    expect(A.tpr!.value).toBeCloseTo(1 / 2, 12); // .7 declined, .4 not
    expect(A.fpr!.value).toBeCloseTo(1 / 3, 12); // .65 declined
    expect(B.tpr!.value).toBeCloseTo(1 / 2, 12);
    expect(B.fpr!.value).toBe(0);
    expect(C.tpr).toBeNull(); // no bad rows
    expect(B.equalOpportunityDifference!.value).toBeCloseTo(1 / 3, 12);
    expect(A.equalOpportunityDifference!.value).toBe(0);
  });

  it("bootstrap intervals: the count is stated, seeded, degenerate where every resample is the same", () => {
    expect(f.bootstrap).toMatchObject({ resamples: 200, seed: 1, level: 0.95 });
    expect(fairnessByGroup(labels, scores, groups, names, { thresholds, minReferenceCount: 2, resamples: 200, seed: 1 })).toEqual(f);
    const other = fairnessByGroup(labels, scores, groups, names, { thresholds, minReferenceCount: 2, resamples: 200, seed: 2 });
    expect(other.groups.B!.smd).not.toEqual(B.smd);
    expect([C.approvalRate.low, C.approvalRate.high]).toEqual([1, 1]); // one row: every resample is that row
    expect([A.air!.low, A.air!.high]).toEqual([1, 1]); // the reference against itself
    for (const e of [A.approvalRate, B.approvalRate, B.air!, B.smd!, A.auc!, A.fpr!]) {
      expect(e.low!).toBeLessThanOrEqual(e.value);
      expect(e.high!).toBeGreaterThanOrEqual(e.value);
    }
    expect(B.approvalRate.low).toBeGreaterThanOrEqual(0);
    expect(B.approvalRate.high).toBeLessThanOrEqual(1);
  });

  it("a small group becomes the reference only when no group reaches the minimum count", () => {
    expect(fairnessByGroup(labels, scores, groups, names, { thresholds, minReferenceCount: 1, resamples: 10 }).reference).toBe("C");
    expect(fairnessByGroup(labels, scores, groups, names, { thresholds, minReferenceCount: 100, resamples: 10 }).reference).toBe("C");
    expect(fairnessByGroup(labels, scores, groups, names, { thresholds, resamples: 10 }).reference).toBe("C"); // default 30: none has it
  });
});

describe("sensitive-looking column names", () => {
  it("match on word parts, case-insensitively", () => {
    expect(sensitiveBases("Personal.Female.NotSingle")).toEqual(["sex or gender", "marital status"]);
    expect(sensitiveBases("Marital")).toEqual(["marital status"]);
    expect(sensitiveBases("ethnicity")).toEqual(["race or ethnicity"]);
    expect(sensitiveBases("Age")).toEqual(["age"]);
    expect(sensitiveBases("applicant_DOB")).toEqual(["age"]);
    expect(sensitiveBases("foreign_worker")).toEqual(["national origin"]);
    for (const name of ["Page", "Mileage", "Seniority", "Income", "Manager", "Status"]) expect(sensitiveBases(name)).toEqual([]);
  });
});

describe("near-constant columns", () => {
  const col = (values: [string, number][], missing = 0): ColumnProfile => {
    const present = values.reduce((s, [, n]) => s + n, 0);
    return { name: "c", present, missing, numeric: 0, min: Infinity, max: -Infinity, values: new Map(values), overflow: false, increasing: false, last: 0 };
  };
  it(`are those with one value (or empty cells) in at least ${NEAR_CONSTANT_SHARE * 100} % of rows`, () => {
    expect(nearConstant(col([["a", 1000]]))).toEqual({ column: "c", value: "a", share: 1 });
    expect(nearConstant(col([["a", 995], ["b", 5]]))).toEqual({ column: "c", value: "a", share: 0.995 });
    expect(nearConstant(col([["a", 994], ["b", 6]]))).toBeUndefined();
    expect(nearConstant(col([["a", 3]], 997))).toEqual({ column: "c", value: null, share: 0.997 });
  });
});

describe("--protected", () => {
  it("reads columns and band edges from one comma-separated list", () => {
    expect(parseProtected("Age:bands=25,40,60,Marital")).toEqual([{ column: "Age", bands: [25, 40, 60] }, { column: "Marital" }]);
    expect(parseProtected("Sex:values, Age:bands=30")).toEqual([{ column: "Sex", values: true }, { column: "Age", bands: [30] }]);
    expect(() => parseProtected("Age:bands=40,25")).toThrow(/band edges must increase/);
    expect(() => parseProtected("Age:bands=x")).toThrow(ProtectedError);
    expect(() => parseProtected("Age,Age")).toThrow(/twice/);
  });

  it("cuts a numeric column into [min,e1) ... [ek,max], with (missing) and (not a number) groups; a text column's values are its groups", async () => {
    const csv = "Status,Age,Marital\ngood,18,single\nbad,25,married\ngood,68,\ngood,40,married\n";
    const profile = await profileCsv(memorySource("t.csv", csv), "Status");
    const [age, marital] = resolveProtected(parseProtected("Age:bands=25,40,60,Marital"), profile, "Status");
    expect(age!.groups.slice(0, 4)).toEqual(["[18,25)", "[25,40)", "[40,60)", "[60,68]"]);
    expect(["24.9", "25", "60", "68", "", "abc"].map((c) => age!.groups[age!.groupOf(c)])).toEqual(["[18,25)", "[25,40)", "[60,68]", "[60,68]", "(missing)", "(not a number)"]);
    expect(["married", "single", "", "widow"].map((c) => marital!.groups[marital!.groupOf(c)])).toEqual(["married", "single", "(missing)", "(other)"]);
    expect(() => resolveProtected(parseProtected("Age"), profile, "Status")).toThrow(/"Age" is numeric \(18 to 68\); compare groups of it in bands, e\.g\. --protected Age:bands=/);
    expect(() => resolveProtected(parseProtected("Marital:bands=1"), profile, "Status")).toThrow(/holds text/);
    // The example bands come from the column's range: round edges, at most three.
    expect([exampleBands(18, 68), exampleBands(6, 959), exampleBands(0, 1), exampleBands(-5, 5), exampleBands(3, 3)]).toEqual([[20, 40, 60], [250, 500, 750], [0.25, 0.5, 0.75], [-2.5, 0, 2.5], [3]]);
    expect(() => resolveProtected(parseProtected("Sex"), profile, "Status")).toThrow(/"Sex", which is not a column of the data/);
  });

  // "Zoë" composed (U+00EB) and decomposed (e + U+0308): one name to a reader, one group.
  const composed = "Zo\u00eb", decomposed = "Zoe\u0308";

  it("keeps a value spelt like a group the project names as a group of its own, and reads values in NFC (train)", async () => {
    const csv = `Status,Group\ngood,(missing)\nbad,(other)\ngood,\ngood,${composed}\nbad,${decomposed}\ngood,plain\n`;
    const profile = await profileCsv(memorySource("t.csv", csv), "Status");
    const [g] = resolveProtected(parseProtected("Group"), profile, "Status");
    expect(g!.groups).toEqual(['"(missing)"', '"(other)"', composed, "plain", "(missing)", "(other)"]);
    const named = ["(missing)", "(other)", "", composed, decomposed, "plain", "never seen"].map((c) => g!.groups[g!.groupOf(c)]);
    expect(named).toEqual(['"(missing)"', '"(other)"', "(missing)", composed, composed, "plain", "(other)"]);
    // Every name is distinct, so nothing keyed by name can overwrite another group's rows.
    expect(new Set(g!.groups).size).toBe(g!.groups.length);
    expect([...g!.unseen!]).toEqual([["never seen", 1]]);
  });

  it("forms the same groups from a streamed file (score, monitor): every row counted once", () => {
    const cells = ["(missing)", "(missing)", "", composed, decomposed, decomposed, "plain"];
    const groups = new StreamGroups([{ column: "Group" }], ["Group"], "s.csv", undefined);
    const codes = cells.map((c) => groups.codes([c])[0]!);
    const [named] = groups.finish("s.csv");
    const counts = new Map<string, number>();
    for (const c of codes) { const n = named!.names[named!.remap[c]!]!; counts.set(n, (counts.get(n) ?? 0) + 1); }
    expect(named!.names).toEqual(['"(missing)"', composed, "plain", "(missing)"]);
    expect(Object.fromEntries(counts)).toEqual({ '"(missing)"': 2, "(missing)": 1, [composed]: 3, plain: 1 });
  });

  it("never takes a group the project forms as the reference while a group of applicants has rows", () => {
    // "(other)" approves everyone and is the largest: still no yardstick. A (2 of 5 approved) is.
    const y = [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    const p = [0.1, 0.2, 0.4, 0.7, 0.65, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
    const g = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
    for (const catchAll of ["(other)", "(missing)", "(not a number)"]) {
      const f = fairnessByGroup(y, p, g, ["A", catchAll], { thresholds, minReferenceCount: 2, resamples: 20, seed: 1 });
      expect(f.reference).toBe("A");
    }
    // With no other group, it is the only yardstick there is.
    expect(fairnessByGroup(y.slice(5), p.slice(5), g.slice(5).map(() => 0), ["(other)"], { thresholds, resamples: 20, seed: 1 }).reference).toBe("(other)");
  });

  it("names the values a separate test file adds, counted together as (other), on the card and in a warning; (other) is not the reference", async () => {
    const profile = await profileCsv(memorySource("train.csv", "Status,Group\ngood,a\nbad,b\n"), "Status");
    const [g] = resolveProtected(parseProtected("Group"), profile, "Status");
    // Test rows: a, b, and two groups the training data never had, 3 and 2 rows.
    const cells = ["a", "a", "b", "b", "new one", "new one", "new one", "autre", "autre"];
    const codes = Uint16Array.from(cells, (c) => g!.groupOf(c));
    const lines: string[] = [];
    const card = fairnessCard([{ attribute: g!, codes }], [0, 1, 0, 1, 0, 0, 0, 0, 0], [0.1, 0.7, 0.2, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1], thresholds, 1, (l) => lines.push(l));
    expect(card.Group!.unseen).toEqual({ "new one": 3, autre: 2 });
    expect(card.Group!.groups["(other)"]!.count).toBe(5);
    expect(card.Group!.reference).not.toBe("(other)");
    expect(lines).toContain('warning: --protected Group: 5 row(s) hold value(s) the training data does not have ("new one" 3, "autre" 2), counted together as "(other)", which is never the reference; to compare them as groups, include such rows in the training data');
  });

  it("names an outer band from the data when the data goes past the card's min or max, so a name never misstates its rows", () => {
    const card = { groupedBy: { bands: [25, 40, 60] }, groups: { "[18,25)": {}, "[25,40)": {}, "[40,60)": {}, "[60,68]": {} } };
    const named = (cells: string[]) => {
      const groups = new StreamGroups([{ column: "Age", bands: [25, 40, 60] }], ["Age"], "s.csv", undefined, { Age: card });
      for (const c of cells) groups.codes([c]);
      return groups.finish("s.csv")[0]!.names.slice(0, 4);
    };
    expect(named(["30", "20", "65"])).toEqual(["[18,25)", "[25,40)", "[40,60)", "[60,68]"]);
    expect(named(["30", "12", "999"])).toEqual(["[12,25)", "[25,40)", "[40,60)", "[60,999]"]);
  });

  it("warns when every test row is in one group: bands wider than the data compare nothing", async () => {
    const profile = await profileCsv(memorySource("t.csv", "Status,Age\ngood,20\nbad,70\n"), "Status");
    const [g] = resolveProtected(parseProtected("Age:bands=10"), profile, "Status");
    const lines: string[] = [];
    fairnessCard([{ attribute: g!, codes: Uint16Array.from(["20", "30", "70"], (c) => g!.groupOf(c)) }], [0, 1, 0], [0.1, 0.7, 0.2], thresholds, 1, (l) => lines.push(l));
    expect(lines).toContain("warning: --protected Age: every test row is in one group, [10,70] (bands at 10: choose edges inside the data's range): there is nothing to compare, and no figure here says the model treats groups alike");
  });
});

