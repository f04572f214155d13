/**
 * The validator's numbers against hand-computed values on small fixtures:
 * lift and gains by decile, precision–recall and average precision, bootstrap
 * intervals, performance by segment; and the report helpers behind the
 * screenshot fixes (label margins, share ticks, discrete partial dependence),
 * and the tolerant readers of the fairness parts other work adds to the card.
 */
import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import { quantile, rankingIntervals } from "../train/evaluate/bootstrap.ts";
import { liftTable, prCurve } from "../train/evaluate/lift.ts";
import { segmentPerformance } from "../train/evaluate/segments.ts";
import { labelAxis, shorten } from "../train/report/kit/index.ts";
import { dependenceGrid } from "../train/report/model/features.ts";
import { readFairSearch, readProxies } from "../train/report/model/fairness-read.ts";
import { shareTicks } from "../train/report/model/performance.ts";

describe("liftTable", () => {
  it("cuts rows by score, riskiest first, and gives lift, gains and cumulative lift", () => {
    const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];
    const labels = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0];
    const t = liftTable(labels, scores, 5);
    expect(t.map((d) => [d.count, d.bads])).toEqual([[2, 2], [2, 1], [2, 0], [2, 1], [2, 0]]);
    expect(t.map((d) => d.lift)).toEqual([2.5, 1.25, 0, 1.25, 0]);
    expect(t.map((d) => d.gains)).toEqual([0.5, 0.75, 0.75, 1, 1]);
    expect(t.map((d) => d.cumShare)).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    t.map((d) => d.cumLift).forEach((x, i) => expect(x).toBeCloseTo([2.5, 1.875, 1.25, 1.25, 1][i]!, 12));
  });

  it("spreads uneven counts by rank (7 rows in 3 groups: 3, 2, 2), whatever the input order", () => {
    const scores = [0.1, 0.7, 0.3, 0.9, 0.5, 0.2, 0.8];
    const labels = [0, 1, 0, 1, 1, 0, 0];
    expect(liftTable(labels, scores, 3).map((d) => [d.count, d.bads])).toEqual([[3, 2], [2, 1], [2, 0]]);
    expect(() => liftTable([1, 0], [0.5, 0.4])).toThrow(/cannot be cut into 10/);
  });
});

describe("prCurve", () => {
  it("has one point per distinct score, tied rows together, and scikit-learn's average precision", () => {
    const pr = prCurve([1, 0, 1, 1, 0], [0.9, 0.8, 0.8, 0.4, 0.1]);
    expect(pr.points.map((p) => p.threshold)).toEqual([0.9, 0.8, 0.4, 0.1]);
    expect(pr.points.map((p) => [p.recall, p.precision].map((x) => Math.round(x * 1e4) / 1e4))).toEqual([[0.3333, 1], [0.6667, 0.6667], [1, 0.75], [1, 0.6]]);
    expect(pr.averagePrecision).toBeCloseTo((1 + 2 / 3 + 0.75) / 3, 12);
    expect(pr.baseline).toBe(0.6);
    expect(() => prCurve([0, 0], [0.1, 0.2])).toThrow(/no positive rows/);
  });
});

describe("rankingIntervals", () => {
  it("is [1, 1] for perfectly separated scores, and says how many resamples it drew and used", () => {
    const labels = [0, 0, 0, 0, 1, 1, 1, 1];
    const iv = rankingIntervals(labels, [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9], 200, 1);
    expect([iv.auc, iv.ks, iv.gini]).toEqual([{ value: 1, low: 1, high: 1 }, { value: 1, low: 1, high: 1 }, { value: 1, low: 1, high: 1 }]);
    expect(iv.resamples).toBe(200);
    expect(iv.used).toBeGreaterThan(190); // a resample of 8 rows has one class with probability 2 × 0.5^8
    expect(iv.used).toBeLessThanOrEqual(200);
  });

  it("is seeded, brackets the estimate, and maps AUC's ends to Gini's", () => {
    const labels = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const scores = labels.map((y, i) => ((i * 37) % 101) / 101 + y * 0.3);
    const a = rankingIntervals(labels, scores, 300, 7);
    expect(rankingIntervals(labels, scores, 300, 7)).toEqual(a);
    expect(rankingIntervals(labels, scores, 300, 8).auc).not.toEqual(a.auc);
    for (const m of [a.auc, a.ks]) { expect(m.low).toBeLessThanOrEqual(m.value); expect(m.high).toBeGreaterThanOrEqual(m.value); }
    expect(a.gini.low).toBeCloseTo(2 * a.auc.low - 1, 12);
    expect(a.gini.high).toBeCloseTo(2 * a.auc.high - 1, 12);
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75);
  });
});

describe("segmentPerformance", () => {
  it("gives count, bad rate, approval rate (below refer) and AUC per group; one-class groups have no AUC", () => {
    const labels = [1, 0, 0, 1, 0, 0];
    const scores = [0.8, 0.3, 0.1, 0.6, 0.2, 0.4];
    const codes = [0, 0, 0, 1, 1, 2];
    expect(segmentPerformance(labels, scores, codes, ["a", "b", "c", "empty"], 0.25)).toEqual([
      { group: "a", count: 3, bads: 1, badRate: 1 / 3, approvalRate: 1 / 3, auc: 1 },
      { group: "b", count: 2, bads: 1, badRate: 0.5, approvalRate: 0.5, auc: 1 },
      { group: "c", count: 1, bads: 0, badRate: 0, approvalRate: 0, auc: null },
    ]);
  });
});

describe("report helpers behind the screenshot fixes", () => {
  it("sizes the left margin from the longest label and shortens past 30 characters", () => {
    expect(labelAxis(["Age", "Income"]).marginLeft).toBe(60);
    const long = "applicant_reported_monthly_household_expenses_in_euros";
    expect(labelAxis(["Age", long])).toMatchObject({ marginLeft: 242, width: 440 + 242 - 110 });
    expect(shorten(long, 30)).toHaveLength(30);
    expect(shorten(long, 30).endsWith("…")).toBe(true);
  });

  it("ends a share axis at the round tick above the tallest bar", () => {
    expect(shareTicks(0.118)).toEqual({ domain: [0, 0.15], ticks: [0, 0.05, 0.1, 0.15] });
    expect(shareTicks(0.1)).toEqual({ domain: [0, 0.12], ticks: [0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12] });
    expect(shareTicks(0.04).domain).toEqual([0, 0.05]);
  });

  it("draws a 0/1 feature's partial dependence as points with ticks at 0 and 1 only, a many-valued one as a line", () => {
    const wording = { answer: "predicted probability", axis: "Average probability of bad (%)", percent: true, who: "applicants" };
    const features = [
      { name: "flag", kind: "numeric", rank: 1, dependence: [{ value: 0, mean: 0.2 }, { value: 1, mean: 0.4 }] },
      { name: "x", kind: "numeric", rank: 2, dependence: Array.from({ length: 15 }, (_, i) => ({ value: i * 1.5, mean: 0.1 + i / 100 })) },
      // Whole numbers, but a sampled range (0 to 25 in 12 steps): a line, not points.
      { name: "years", kind: "numeric", rank: 3, dependence: [0, 1, 2, 3, 5, 6, 8, 10, 12, 15, 18, 25].map((v) => ({ value: v, mean: 0.3 - v / 100 })) },
    ];
    const doc = parseHTML(`<!doctype html><html><body>${dependenceGrid(features, 100, wording).value}</body></html>`).document;
    const flag = doc.querySelector("figure[data-chart=pd-flag]")!;
    expect(flag.querySelectorAll("g.dependence-points circle").length).toBe(2);
    expect(flag.querySelector("g[aria-label=line]")).toBeNull();
    const xTicks = Array.from(flag.querySelectorAll("g[aria-label='x-axis tick label'] text")).map((t) => (t as { textContent: string | null }).textContent);
    expect(xTicks).toEqual(["0", "1"]);
    expect(doc.querySelector("figure[data-chart=pd-x] g[aria-label=line] path")).not.toBeNull();
    expect(doc.querySelector("figure[data-chart=pd-years] g[aria-label=line] path")).not.toBeNull();
  });
});

describe("tolerant readers of card parts written by other work", () => {
  it("reads proxies as training writes them: every feature, strongest first, unscored ones last, with the threshold and group floor", () => {
    const written = {
      method: "AUC of a one-feature model", threshold: 0.7, minGroupRows: 30,
      features: [
        { feature: "Seniority", auc: 0.7745, group: "[18,25)", weightedAuc: 0.6867, flagged: true },
        { feature: "Records", auc: null, group: null, weightedAuc: null, flagged: false },
        { feature: "Home", auc: 0.61, group: "[60,68]", weightedAuc: 0.55, flagged: false },
      ],
    };
    expect(readProxies(written)).toEqual({
      threshold: 0.7, minGroupRows: 30,
      rows: [
        { feature: "Seniority", value: 0.7745, metric: "auc", group: "[18,25)", flagged: true },
        { feature: "Home", value: 0.61, metric: "auc", group: "[60,68]", flagged: false },
        { feature: "Records", value: null, metric: "auc", group: null, flagged: false },
      ],
    });
  });

  it("reads proxies as a bare list or a record too; ignores what it does not recognise", () => {
    expect(readProxies([{ feature: "Home", auc: 0.61, flagged: false }, { feature: "Seniority", auc: 0.74, flagged: true }]).rows)
      .toEqual([{ feature: "Seniority", value: 0.74, metric: "auc", group: null, flagged: true }, { feature: "Home", value: 0.61, metric: "auc", group: null, flagged: false }]);
    expect(readProxies({ Home: { mutualInformation: 0.02 }, Job: 0.1 }).rows).toEqual([
      { feature: "Job", value: 0.1, metric: "value", group: null, flagged: false }, { feature: "Home", value: 0.02, metric: "mutualInformation", group: null, flagged: false },
    ]);
    expect(readProxies(undefined)).toEqual({ rows: [], threshold: null, minGroupRows: null });
    expect(readProxies([{ feature: "x" }, "nonsense", null]).rows).toEqual([]);
  });

  it("reads the accuracy–fairness search, or null", () => {
    const s = readFairSearch({ trials: [{ id: 1, auc: 0.8, minAir: 0.7 }, { id: 2, validationAuc: 0.78, air: 0.85, met: true }, { id: 3 }], pareto: [1, 2], chosen: 2, met: true, constraint: "air>=0.8" });
    expect(s).toEqual({ trials: [{ id: "1", auc: 0.8, minAir: 0.7, met: null }, { id: "2", auc: 0.78, minAir: 0.85, met: true }], pareto: new Set(["1", "2"]), chosen: "2", met: true, constraint: "air>=0.8", metric: "air", bound: null, unconstrained: null });
    // The tuner's own record (train/tune/lda.ts): `value` under the search's `metric`, `meets`, `unconstrained: {trial}`.
    const real = readFairSearch({ constraint: "air>=0.8", metric: "air", bound: 0.8, trials: [{ trial: 2, auc: 0.83, value: 0.8, meets: true, final: true }, { trial: 3, auc: 0.83, value: 0.7, meets: false, final: true }, { trial: 6, auc: 0.69, value: null, meets: false }], pareto: [3, 2], chosen: 2, met: true, unconstrained: { trial: 3, auc: 0.83, value: 0.7 } });
    expect(real).toEqual({ trials: [{ id: "2", auc: 0.83, minAir: 0.8, met: true }, { id: "3", auc: 0.83, minAir: 0.7, met: false }], pareto: new Set(["3", "2"]), chosen: "2", met: true, constraint: "air>=0.8", metric: "air", bound: 0.8, unconstrained: "3" });
    expect(readFairSearch(undefined)).toBeNull();
    expect(readFairSearch({ trials: [{ id: 1 }] })).toBeNull();
  });
});
