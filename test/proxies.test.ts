/** Proxies (train/evaluate/proxies.ts, train/data/proxy-tally.ts) against values worked out by hand on small tables. */
import { describe, expect, it } from "vitest";
import { quantileEdges } from "../train/data/proxy-tally.ts";
import { groupVsRestAuc, proxyOf, proxySummary, rankProxies } from "../train/evaluate/proxies.ts";

describe("proxies", () => {
  it("group-vs-rest AUC from bins × groups counts, ties counted half", () => {
    // bin 0: 3 of group A, 1 of B; bin 1: 1 of A, 3 of B. A scored 0.75 in bin 0, 0.25 in bin 1.
    // Pairs (A row, B row): A in bin 0 vs B in bin 1: 3×3 = 9 wins; same-bin pairs 3×1 + 1×3 = 6 ties (3); A in bin 1 vs B in bin 0: 1 loss → 12/16.
    expect(groupVsRestAuc([[3, 1], [1, 3]], 0)).toBe(0.75);
    expect(groupVsRestAuc([[3, 1], [1, 3]], 1)).toBe(0.75);
    // Two bins with the same share are one score: [[1,1],[2,2]] carries nothing → 0.5.
    expect(groupVsRestAuc([[1, 1], [2, 2]], 0)).toBe(0.5);
    // Complete separation → 1; an empty group → NaN.
    expect(groupVsRestAuc([[5, 0], [0, 7]], 0)).toBe(1);
    expect(groupVsRestAuc([[5, 0], [3, 0]], 1)).toBeNaN();
  });

  it("a feature's strength is the largest AUC over groups with enough rows; weighted by group size; flagged at 0.7", () => {
    // Three groups; group C (2 rows) is below minGroupRows 4 and not scored.
    // A vs rest: bins shares A 4/5=0.8 (bin 0: A4, B1), 0/5=0 (bin 1: B4, C1), 0/1 (bin 2: C1) → A=4, rest=7:
    // bin 0 (A 4) beats every rest row outside bin 0 (6) and ties bin 0's 1: 4×(6 + 0.5) = 26 of 28 → 0.928571…
    const table = [[4, 1, 0], [0, 4, 1], [0, 0, 1]];
    const a = groupVsRestAuc(table, 0);
    expect(a).toBeCloseTo(26 / 28, 12);
    // B vs rest: shares bin 0 1/5=0.2, bin 1 4/5=0.8, bin 2 0 → B=5, rest=6 (bin0 4, bin1 1, bin2 1):
    // bin 0's B (1): beats bin 2 (1) + half bin 0 (4/2) = 3; bin 1's B (4): beats bins 2,0 (5) + half bin 1 (0.5) = 22 → 25/30.
    const b = groupVsRestAuc(table, 1);
    expect(b).toBeCloseTo(25 / 30, 12);
    const p = proxyOf("Seniority", table, ["A", "B", "C"], { minGroupRows: 4 });
    expect(p).toEqual({ feature: "Seniority", auc: a, group: "A", weightedAuc: (a * 4 + b * 5) / 9, flagged: true });
    expect(proxyOf("x", [[1, 1], [1, 1]], ["A", "B"], { minGroupRows: 30 })).toEqual({ feature: "x", auc: null, group: null, weightedAuc: null, flagged: false });
  });

  it("ranks strongest first and summarises the flagged features in one line", () => {
    const ranked = rankProxies(new Map([["Weak", [[2, 2], [2, 2]]], ["Strong", [[4, 0], [0, 4]]], ["Mid", [[3, 1], [1, 3]]]]), ["A", "B"], { minGroupRows: 1 });
    expect(ranked.map((p) => [p.feature, p.auc, p.flagged])).toEqual([["Strong", 1, true], ["Mid", 0.75, true], ["Weak", 0.5, false]]);
    expect(proxySummary("Age", ranked)).toBe("features that carry Age (one-feature AUC >= 0.7): Strong (AUC 1.00, A), Mid (AUC 0.75, A)");
    expect(proxySummary("Age", ranked.slice(2))).toBe("no feature carries Age (one-feature AUC >= 0.7); the strongest: Weak (AUC 0.50, A)");
  });

  it("cuts a number into about equal-count bins from the profile's value counts", () => {
    // 10 rows, 2 of each of 1..5, five bins → a new bin at every value after the first.
    expect(quantileEdges(new Map([["1", 2], ["2", 2], ["3", 2], ["4", 2], ["5", 2]]), 5)).toEqual([2, 3, 4, 5]);
    // One value holding most rows is one bin; the cut comes after it.
    expect(quantileEdges(new Map([["0", 8], ["1", 1], ["2", 1]]), 2)).toEqual([1]);
  });
});
