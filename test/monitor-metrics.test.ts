/**
 * The monitor's numbers against hand-computed values and definitions: CBPE
 * (expected AUC and bad rate), drift tallied row by row (score, decision and
 * feature PSI, out-of-range values, unseen categories, missing shares, rows the
 * edge would refuse), references read from new and old cards, alert rules,
 * the bounded score sample, and the typer for unlabelled data.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Row } from "../shared/preprocess.ts";
import type { FeatureSpec } from "../shared/spec.ts";
import { rowTyper } from "../train/data/dataset.ts";
import { judge } from "../train/monitor/alerts.ts";
import { expectedAuc, expectedBadRate } from "../train/monitor/cbpe.ts";
import { DriftTally, scoreBinLabels } from "../train/monitor/drift.ts";
import { aucStandardError, calibrationError, estimate, labelled } from "../train/monitor/performance.ts";
import { monitoringCard, readReference, referenceCounts, numericBinning } from "../train/monitor/reference.ts";
import { ScoreSample } from "../train/monitor/sample.ts";
import { taskOf } from "../train/monitor/task.ts";

const psiTerm = (actual: number, expected: number) => (actual - expected) * Math.log(actual / expected);
const FLOOR = 1e-4;

describe("CBPE", () => {
  it("expected bad rate is the mean probability", () => {
    expect(expectedBadRate([0.1, 0.4, 0.4, 0.9])).toBeCloseTo(0.45, 15);
  });

  it("expected AUC by hand: two applicants, a tie, and four with a tied pair", () => {
    // [0.2, 0.8]: P = N = 1; pairs (bad i, good j): 0.8·0.8 (0.8 above 0.2) + ½(0.2·0.8 + 0.8·0.2) for the self-ties = 0.64 + 0.16.
    expect(expectedAuc([0.8, 0.2])).toBeCloseTo(0.8, 15);
    expect(expectedAuc([0.5, 0.5])).toBeCloseTo(0.5, 15);
    // Sorted 0.1, 0.4, 0.4, 0.9: P = 1.8, N = 2.2; steps 0.1·(0 + 0.9/2), 0.8·(0.9 + 1.2/2), 0.9·(2.1 + 0.1/2) → 3.18 / 3.96.
    expect(expectedAuc([0.4, 0.9, 0.1, 0.4])).toBeCloseTo(3.18 / 3.96, 15);
  });

  it("equals the weighted Mann–Whitney definition on generated probabilities with ties", () => {
    const brute = (p: number[]) => {
      let num = 0;
      let P = 0;
      let N = 0;
      for (const a of p) { P += a; N += 1 - a; }
      for (const a of p) for (const b of p) num += a * (1 - b) * (a > b ? 1 : a === b ? 0.5 : 0);
      return num / (P * N);
    };
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 19 }).map((k) => k / 20), { minLength: 1, maxLength: 60 }), (p) => {
      expect(expectedAuc(p)).toBeCloseTo(brute(p), 12);
    }), { numRuns: 300, seed: 11 });
  });

  it("is NaN without expected bads or goods, and refuses values that are not probabilities", () => {
    expect(expectedAuc([0, 0, 0])).toBeNaN();
    expect(expectedAuc([1, 1])).toBeNaN();
    expect(() => expectedAuc([0.2, 1.5])).toThrow(/probabilities\[1\] is 1.5/);
    expect(() => expectedBadRate([])).toThrow(/no rows/);
  });

  it("calibration error is the count-weighted distance from the diagonal; the AUC standard error follows Hanley–McNeil", () => {
    expect(calibrationError([{ bin: 0, count: 30, meanPredicted: 0.1, observedRate: 0.2 }, { bin: 1, count: 10, meanPredicted: 0.5, observedRate: 0.3 }])).toBeCloseTo((30 * 0.1 + 10 * 0.2) / 40, 15);
    expect(calibrationError([])).toBeNull();
    // A = 0.8, 50 bads, 150 goods: Q1 = 0.8/1.2, Q2 = 1.28/1.8.
    const q1 = 0.8 / 1.2;
    const q2 = 1.28 / 1.8;
    expect(aucStandardError(0.8, 50, 150)).toBeCloseTo(Math.sqrt((0.16 + 49 * (q1 - 0.64) + 149 * (q2 - 0.64)) / 7500), 15);
  });
});

/** Two features: a number with bins (≤ 10, 11–20, > 20) and a category list that includes a value called "other". */
const spec: FeatureSpec = {
  target: "y", positive: "bad", negative: "good",
  features: [
    { name: "x", type: "numeric", nullable: true, min: 0 },
    { name: "c", type: "categorical", nullable: true, values: ["a", "b", "other"] },
  ],
};

const card = {
  scoreDeciles: { test: [0.3, 0.6] },
  monitoring: {
    split: "test", score: { cuts: [0.3, 0.6], counts: [2, 1, 1] }, decisions: { approve: 2, refer: 1, decline: 1 },
    estimate: { expectedAuc: 0.8, expectedBadRate: 0.3 }, ranges: { x: { min: 1, max: 30 } },
  },
  analysis: {
    features: {
      x: { kind: "numeric", edges: [10, 20], bins: [{ label: "≤ 10", train: 2, test: 1 }, { label: "11–20", train: 5, test: 1 }, { label: "> 20", train: 3, test: 1 }], missingShare: { train: 0, test: 0 } },
      // The category "other" is a value bin; the card's last bin is the missing slot (no unseen values at training).
      c: { kind: "categorical", categories: ["a", "b", "other"], bins: [{ label: "a", train: 6, test: 0 }, { label: "b", train: 3, test: 0 }, { label: "other", train: 1, test: 0 }, { label: "missing", train: 2, test: 0 }], missingShare: { train: 2 / 12, test: 0 } },
    },
  },
  metrics: { test: { n: 4, positives: 1, auc: 0.75, gini: 0.5, ks: 0.5, brier: 0.2, logLoss: 0.6, calibration: [{ bin: 0, count: 4, meanPredicted: 0.3, observedRate: 0.25 }] } },
  data: { rows: 12, profile: { x: { min: 0, max: 99, missing: 0 }, c: { missing: 2 } } },
};

const rows: Row[] = [{ x: 5, c: "a" }, { x: 15, c: "b" }, { x: 15, c: "z" }, { x: 35, c: "other" }, { x: null, c: null }];
const scores = [0.1, 0.3, 0.5, 0.9, 0.7];

function tallied(c: Record<string, unknown> = card) {
  const t = new DriftTally(readReference({ spec, card: c }), { refer: 0.25, decline: 0.5 }, spec);
  rows.forEach((r, i) => { t.addRow(r); t.addScore(scores[i]!); });
  return t.summary();
}

describe("drift, tallied row by row", () => {
  const d = tallied();
  const x = d.features.find((f) => f.name === "x")!;
  const c = d.features.find((f) => f.name === "c")!;

  it("score PSI on the reference deciles, a score on a cut counting in the bin below", () => {
    // 0.1, 0.3 → bin 0; 0.5 → bin 1; 0.9, 0.7 → bin 2: shares .4 .2 .4 against .5 .25 .25.
    expect(d.score!.psi).toBeCloseTo(psiTerm(0.4, 0.5) + psiTerm(0.2, 0.25) + psiTerm(0.4, 0.25), 12);
    expect(d.score!.bins.map((b) => [b.label, b.reference, b.current])).toEqual([["≤ 30.0%", 0.5, 0.4], ["30.0%–60.0%", 0.25, 0.2], ["> 60.0%", 0.25, 0.4]]);
    expect(d.score!.referenceMeasured).toBe(true);
  });

  it("decision shares and their PSI", () => {
    // approve 0.1; refer 0.3; decline 0.5, 0.9, 0.7 (decline at or above 0.5).
    expect(d.decisions.shares.map((s) => [s.decision, s.current, s.reference])).toEqual([["approve", 0.2, 0.5], ["refer", 0.2, 0.25], ["decline", 0.6, 0.25]]);
    expect(d.decisions.psi).toBeCloseTo(psiTerm(0.2, 0.5) + psiTerm(0.2, 0.25) + psiTerm(0.6, 0.25), 12);
  });

  it("numeric feature: PSI over the bins and the missing slot (empty in the reference, so floored), range and missing share", () => {
    // x: 5 → ≤ 10; 15, 15 → 11–20; 35 → > 20; null → missing: .2 .4 .2 .2 against .2 .5 .3 0.
    expect(x.psi).toBeCloseTo(psiTerm(0.2, 0.2) + psiTerm(0.4, 0.5) + psiTerm(0.2, 0.3) + psiTerm(0.2, FLOOR), 12);
    expect(x.bins.map((b) => b.label)).toEqual(["≤ 10", "11–20", "> 20", "missing"]);
    expect(x.outOfRange).toEqual({ below: 0, above: 1, share: 0.25, min: 1, max: 30, basis: "training rows" });
    expect(x.missing).toEqual({ reference: 0, current: 0.2, change: 0.2, basis: "training rows" });
  });

  it("categorical feature: the category named \"other\" and unseen values (the other slot) kept apart; unseen values named", () => {
    // a, b, "other" (a listed category), z (unseen → other slot), missing: .2 each against 6/12, 3/12, 1/12, 0, 2/12.
    expect(c.psi).toBeCloseTo(psiTerm(0.2, 0.5) + psiTerm(0.2, 0.25) + psiTerm(0.2, 1 / 12) + psiTerm(0.2, FLOOR) + psiTerm(0.2, 2 / 12), 12);
    expect(c.bins.map((b) => [b.label, b.count])).toEqual([["a", 1], ["b", 1], ["other", 1], ["other", 1], ["missing", 1]]);
    expect(c.unseen).toEqual({ rows: 1, share: 0.2, values: [{ value: "z", count: 1 }] });
    expect(c.missing.change).toBeCloseTo(0.2 - 2 / 12, 15);
  });

  it("ranks features by PSI and counts the rows the edge would refuse (an unseen category)", () => {
    // c: the floored "other" slot plus a, b, "other" and missing moving; x: the floored missing slot plus two bins moving.
    expect(c.psi!).toBeGreaterThan(x.psi!);
    expect(d.features.map((f) => f.name)).toEqual(["c", "x"]);
    expect(d.refused).toEqual({ rows: 1, share: 0.2 });
    expect(d.rows).toBe(5);
  });

  it("labels score bins from their cuts", () => {
    expect(scoreBinLabels([0.021, 0.0434])).toEqual(["≤ 2.1%", "2.1%–4.3%", "> 4.3%"]);
  });
});

describe("references from cards old and new", () => {
  it("a version published before card.analysis and card.monitoring: feature PSI unavailable, equal score shares, no crash", () => {
    const old = { scoreDeciles: card.scoreDeciles, metrics: card.metrics, data: card.data };
    const ref = readReference({ spec, card: old });
    expect(ref.features.every((f) => f.unavailable?.includes("without per-feature bins"))).toBe(true);
    expect(ref.score).toEqual({ cuts: [0.3, 0.6], shares: [1 / 3, 1 / 3, 1 / 3], sharesMeasured: false });
    expect(ref.decisions).toBeUndefined();
    expect(ref.notes.join(" ")).toMatch(/before monitoring references.*no per-feature bins/s);
    // Fallbacks from the data profile: range and missing share over the whole training file.
    expect(ref.features[0]!.range).toEqual({ min: 0, max: 99, basis: "whole training file" });
    expect(ref.features[1]!.missing).toEqual({ share: 2 / 12, basis: "whole training file" });
    const d = tallied(old);
    expect(d.features.map((f) => f.psi)).toEqual([null, null]);
    expect(d.features[0]!.unavailable).toMatch(/card\.analysis/);
    expect(d.decisions.psi).toBeNull();
    expect(d.score!.psi).toBeCloseTo(psiTerm(0.4, 1 / 3) + psiTerm(0.2, 1 / 3) + psiTerm(0.4, 1 / 3), 12);
  });

  it("a malformed part is a note, not an error", () => {
    const ref = readReference({ spec, card: { ...card, monitoring: { split: 3 }, analysis: { features: { x: { kind: "numeric", bins: "no" } } } } });
    expect(ref.notes[0]).toMatch(/card\.monitoring is malformed/);
    expect(ref.features[0]!.unavailable).toMatch(/card\.analysis\.features\.x is malformed/);
    expect(ref.features[1]!.unavailable).toMatch(/without per-feature bins/);
    expect(ref.score!.sharesMeasured).toBe(false);
  });

  it("spreads the card's shown bins over every slot by position: value bins, then \"other\", then \"missing\"", () => {
    const b = { feature: "c", kind: "categorical" as const, edges: [], categories: ["a", "other"], integer: false };
    expect(referenceCounts(b, [{ label: "a", train: 1 }, { label: "other", train: 2 }, { label: "other", train: 3 }, { label: "missing", train: 4 }])).toEqual({ counts: [1, 2, 3, 4], labels: ["a", "other", "other", "missing"] });
    expect(referenceCounts(b, [{ label: "a", train: 1 }, { label: "other", train: 2 }, { label: "other", train: 3 }])).toEqual({ counts: [1, 2, 3, 0], labels: ["a", "other", "other", "missing"] });
    expect(referenceCounts(numericBinning("x", [5]), [{ label: "≤ 5", train: 1 }, { label: "> 5", train: 2 }])).toEqual({ counts: [1, 2, 0], labels: ["≤ 5", "> 5", "missing"] });
    expect(referenceCounts(numericBinning("x", [5]), [{ label: "≤ 5", train: 1 }])).toEqual({ error: expect.stringMatching(/1 bins where its 2 value bins/) });
  });

  it("training writes score-bin and decision counts, the CBPE estimate and the training ranges", () => {
    const s = Float32Array.from([0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]);
    const split = { good: [], bad: [], clippedLow: 0, clippedHigh: 0 };
    const m = monitoringCard(s, { refer: 0.25, decline: 0.5 }, [
      { binning: numericBinning("x", []), splits: { train: { ...split, min: 2, max: 9 }, validation: { ...split, min: 1, max: 99 }, test: { ...split, min: 0, max: 50 } } },
    ]);
    expect(m.score.counts.reduce((a, b) => a + b, 0)).toBe(11);
    expect(m.score.counts).toHaveLength(10);
    expect(m.decisions).toEqual({ approve: 3, refer: 2, decline: 6 }); // 0.05–0.2 · 0.3, 0.4 · 0.5 and up
    expect(m.estimate.expectedAuc).toBeCloseTo(expectedAuc(s), 15);
    expect(m.ranges).toEqual({ x: { min: 2, max: 9 } });
  });
});

describe("performance and alerts", () => {
  const ref = readReference({ spec, card });
  const limits = { psiWarn: 0.1, psiAlert: 0.25 };

  it("labelled metrics beside the card's, and the estimate on the same rows", () => {
    const l = labelled(ref, Float32Array.from([0, 1, 0, 1]), Float32Array.from([0.2, 0.8, 0.4, 0.6]), { rows: 4, positives: 2 }, 0.5);
    expect(l).toMatchObject({ rows: 4, positives: 2, badRate: 0.5, auc: 1, gini: 1, ks: 1, aucChange: 0.25 });
    expect(l.brier).toBeCloseTo((0.04 + 0.04 + 0.16 + 0.16) / 4, 7); // float32 scores
    // One class only: no ranking metrics, but Brier and log loss still.
    const one = labelled(ref, Float32Array.from([0, 0]), Float32Array.from([0.2, 0.4]), { rows: 2, positives: 0 }, 0.5);
    expect(one).toMatchObject({ auc: null, gini: null, ks: null, aucChange: null });
    expect(one.brier).toBeCloseTo(0.1, 7);
    const e = estimate(ref, Float32Array.from(scores), 0.5, 5)!;
    expect(e.reference).toEqual({ expectedAuc: 0.8, expectedBadRate: 0.3, auc: 0.75, badRate: 0.25 });
    expect(e.caveat).toMatch(/only while the model is calibrated/);
  });

  it("alerts at --psi-alert (features by PSI first), warns at --psi-warn, exits 3 only on alerts", () => {
    const d = tallied();
    const perf = { estimated: null, labelled: null };
    const j = judge(d, perf, limits);
    expect(j.status).toBe("alert");
    const alerts = j.findings.filter((f) => f.level === "alert");
    expect(alerts.map((f) => f.check)).toEqual(["feature_psi", "feature_psi"]);
    expect(alerts.map((f) => f.feature)).toEqual(d.features.map((f) => f.name));
    expect(j.findings.map((f) => f.check)).toEqual(["feature_psi", "feature_psi", "score_psi", "decision_psi", "edge_refuses"]);
    expect(judge(d, perf, { psiWarn: 5, psiAlert: 10 }).findings.map((f) => f.check)).toEqual(["edge_refuses"]);
    expect(judge(d, perf, { psiWarn: 5, psiAlert: 10 }).status).toBe("warn");
  });

  it("a labelled AUC below the card's by more than --max-auc-drop is an alert; without the flag it is not judged", () => {
    const d = { ...tallied(), features: [], refused: { rows: 0, share: 0 }, score: null, decisions: { shares: [], psi: null } };
    const l = labelled(ref, Float32Array.from([0, 1, 0, 1]), Float32Array.from([0.2, 0.4, 0.6, 0.8]), { rows: 4, positives: 2 }, 0.5);
    expect(l.auc).toBe(0.75);
    const worse = { ...l, auc: 0.7, aucChange: -0.05 };
    expect(judge(d, { estimated: null, labelled: worse }, limits).status).toBe("stable");
    expect(judge(d, { estimated: null, labelled: worse }, { ...limits, maxAucDrop: 0.1 }).status).toBe("stable");
    const j = judge(d, { estimated: null, labelled: worse }, { ...limits, maxAucDrop: 0.02 });
    expect(j.status).toBe("alert");
    expect(j.findings[0]).toMatchObject({ check: "auc_drop", level: "alert" });
    expect(j.findings[0]!.value).toBeCloseTo(-0.05, 12);
  });
});

describe("the score sample", () => {
  it("keeps every row up to its limit, then a uniform sample of exactly that many", () => {
    const s = new ScoreSample(100, 1);
    for (let i = 0; i < 100; i++) s.add(i / 100, (i % 2) as 0 | 1);
    expect(s.sampled).toBe(false);
    expect(Array.from(s.values().scores)).toEqual(Array.from({ length: 100 }, (_, i) => Math.fround(i / 100)));
    for (let i = 0; i < 9900; i++) s.add(0.5 + (i % 2) * 0.25, 1);
    expect(s.sampled).toBe(true);
    expect(s.size).toBe(100);
    expect(s.seen).toBe(10_000);
    // About 1 % of the sample is from the first 100 rows, not all of it.
    const early = Array.from(s.values().scores).filter((x) => x < 0.5 || (x > 0.5 && x < 0.75)).length;
    expect(early).toBeLessThan(10);
  });
});

describe("reading rows without labels", () => {
  const header = ["id", "x", "c", "y"];
  it("no label column: every row is unlabelled; an empty label is 'not yet known', an unknown one a skipped row", () => {
    const none = rowTyper(spec, header, "f.csv", null);
    expect(none(["1", "3", "a", "junk"], 2)).toEqual({ row: { x: 3, c: "a" }, label: null });
    const typed = rowTyper(spec, header, "f.csv", { column: "y", empty: "unlabelled" });
    expect(typed(["1", "3", "a", ""], 2)).toEqual({ row: { x: 3, c: "a" }, label: null });
    expect(typed(["1", "3", "a", "bad"], 3)).toEqual({ row: { x: 3, c: "a" }, label: 1 });
    expect(typed(["1", "3", "a", "maybe"], 4)).toEqual({ skip: 'unknown target label in "y"', example: 'line 4: "maybe"' });
    expect(typed(["1", "three", "a", ""], 5)).toEqual({ skip: '"x": expected a number', example: 'line 5: found "three"' });
  });

  it("names every missing feature column at once, and says when the file looks separated by something else", () => {
    expect(() => rowTyper(spec, ["id", "y"], "f.csv", null)).toThrow('f.csv: columns "x", "c" of the feature spec are missing; columns are: id, y');
    expect(() => rowTyper(spec, ["x;c;y"], "f.csv", null)).toThrow(/columns are: x;c;y \(the header is one column containing ";": the file looks ";"-separated; edgescore reads comma-separated CSV\)/);
    expect(() => rowTyper(spec, ["x", "c"], "f.csv", { column: "Status", empty: "unlabelled" })).toThrow('f.csv: target column "Status" not found; columns are: x, c');
  });

  it("reads the task from the manifest: classification when a version does not say", () => {
    expect(taskOf({})).toBe("classification");
    expect(taskOf({ task: { kind: "classification" } })).toBe("classification");
    expect(taskOf({ task: { kind: "regression", target: { transform: "none", mean: 0, std: 1, smearing: 1 }, interval: { level: 0.9, halfWidth: 1 } } })).toBe("regression");
  });
});
