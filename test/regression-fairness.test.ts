/**
 * Fairness of a regression model: the group numbers of
 * train/evaluate/regression-fairness.ts against hand-computed values on a
 * five-row fixture, and `train --protected ethnicity` on data/cps1988.csv end
 * to end (card, job result, report, numbers recomputed from the test split).
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { regressionFairnessByGroup } from "../train/evaluate/regression-fairness.ts";
import type { JobResult } from "../train/job.ts";
import { runJob } from "../train/job.ts";
import type { RegressionCard } from "../train/report/model/card.ts";
import { fairnessSection } from "../train/report/model/fairness.ts";
import { REPORT_FILE } from "../train/report/model/render.ts";
import { CPS_CSV, CPS_TEST_ROWS, regressionJob } from "./helpers/train-fixture.ts";

// Group A (rows 0–2) and B (rows 3–4); A is the larger, so the reference.
const actual = [10, 20, 30, 10, 30];
const predicted = [12, 18, 33, 14, 22];
const lo = [8, 15, 31, 10, 20];
const hi = [14, 21, 35, 18, 24];
const groups = [0, 0, 0, 1, 1];

describe("regressionFairnessByGroup on a hand-computed fixture", () => {
  const f = regressionFairnessByGroup(actual, predicted, lo, hi, groups, ["A", "B", "C"], { intervalLevel: 0.9, resamples: 50, seed: 7 });

  it("reference = the largest group; empty groups left out", () => {
    expect(f.task).toBe("regression");
    expect(f.reference).toBe("A");
    expect(Object.keys(f.groups)).toEqual(["A", "B"]);
    expect(f.intervalLevel).toBe(0.9);
    expect(f.bootstrap).toMatchObject({ resamples: 50, seed: 7, level: 0.95 });
  });

  it("each group's means, bias, errors and coverage", () => {
    const a = f.groups.A!, b = f.groups.B!;
    expect(a.count).toBe(3);
    expect(a.meanPredicted.value).toBeCloseTo(21, 12); // (12 + 18 + 33) / 3
    expect(a.meanActual.value).toBeCloseTo(20, 12);
    expect(a.bias.value).toBeCloseTo(1, 12); // residuals 2, −2, 3
    expect(a.relativeBias!.value).toBeCloseTo(0.05, 12);
    expect(a.rmse.value).toBeCloseTo(Math.sqrt(17 / 3), 12);
    expect(a.mae.value).toBeCloseTo(7 / 3, 12);
    expect(a.coverage.value).toBeCloseTo(2 / 3, 12); // 30 is outside [31, 35]
    expect(b.meanPredicted.value).toBeCloseTo(18, 12);
    expect(b.meanActual.value).toBeCloseTo(20, 12);
    expect(b.bias.value).toBeCloseTo(-2, 12); // residuals 4, −8
    expect(b.relativeBias!.value).toBeCloseTo(-0.1, 12);
    expect(b.rmse.value).toBeCloseTo(Math.sqrt(40), 12);
    expect(b.mae.value).toBeCloseTo(6, 12);
    expect(b.coverage.value).toBeCloseTo(0.5, 12);
  });

  it("ratios and SMD against the reference", () => {
    const a = f.groups.A!, b = f.groups.B!;
    expect([a.predictedRatio!.value, a.actualRatio!.value, a.smd!.value]).toEqual([1, 1, 0]);
    expect(b.predictedRatio!.value).toBeCloseTo(18 / 21, 12);
    expect(b.actualRatio!.value).toBeCloseTo(1, 12);
    // Population variances of predictions: A 78, B 16.
    expect(b.smd!.value).toBeCloseTo(-3 / Math.sqrt(47), 12);
  });

  it("bootstrap ends bracket the reference's own ratio (always 1) and repeat with the seed", () => {
    expect([f.groups.A!.predictedRatio!.low, f.groups.A!.predictedRatio!.high]).toEqual([1, 1]);
    for (const g of Object.values(f.groups)) {
      expect(g.mae.low!).toBeLessThanOrEqual(g.mae.high!);
      expect(g.coverage.low!).toBeGreaterThanOrEqual(0);
      expect(g.coverage.high!).toBeLessThanOrEqual(1);
    }
    expect(regressionFairnessByGroup(actual, predicted, lo, hi, groups, ["A", "B", "C"], { intervalLevel: 0.9, resamples: 50, seed: 7 })).toEqual(f);
  });

  it("a group whose mean actual is 0 has no relative bias; mismatched lengths throw", () => {
    const z = regressionFairnessByGroup([0, 0, 5], [1, -1, 5], [0, 0, 0], [9, 9, 9], [0, 0, 1], ["zero", "five"], { intervalLevel: 0.9, resamples: 10 });
    expect(z.groups.zero!.relativeBias).toBeNull();
    expect(() => regressionFairnessByGroup([1], [1, 2], [0], [2], [0], ["g"], { intervalLevel: 0.9 })).toThrow(/differ in length/);
  });

  it("the report's Fair lending section renders a regression card's groups", () => {
    const s = fairnessSection({ fairness: { g: { column: "g", groupedBy: "values", ...f } } } as never);
    const text = JSON.stringify(s);
    expect(s?.title).toBe("Fair lending");
    expect(text).toContain("mean predicted");
    expect(text).not.toContain("approval");
  });
});

/** The cps1988 rows named in the fixed test-rows file, in file order (the test matrix's order). */
function testRowsOfCps(): { wage: number; ethnicity: string }[] {
  const [head, ...lines] = readFileSync(CPS_CSV, "utf8").trim().split("\n");
  const header = head!.split(",");
  const wage = header.indexOf("wage"), ethnicity = header.indexOf("ethnicity");
  const wanted = readFileSync(CPS_TEST_ROWS, "utf8").trim().split("\n").slice(1).map(Number);
  return wanted.map((r) => {
    const cells = lines[r]!.split(","); // 0-based data rows (the header not counted)
    return { wage: Number(cells[wage]), ethnicity: cells[ethnicity]! };
  });
}

describe("train --protected ethnicity on cps1988 (a regression)", () => {
  let result: JobResult;
  let card: RegressionCard;

  beforeAll(async () => {
    result = await runJob(regressionJob({ protected: [{ column: "ethnicity" }] }), { log: () => {} });
    card = result.artifact!.manifest.card as unknown as RegressionCard;
  }, 180_000);

  it("ethnicity is never a feature", () => {
    expect(result.artifact!.manifest.spec.features.map((f) => f.name)).not.toContain("ethnicity");
    expect(card.data.protectedColumns).toEqual(["ethnicity"]);
  });

  it("the card's fairness has both groups, the largest as the reference, and matches the job's result", () => {
    const e = card.fairness!.ethnicity!;
    expect(result.regressionFairness).toEqual(card.fairness);
    expect(e.task).toBe("regression");
    expect(Object.keys(e.groups).sort()).toEqual(["afam", "cauc"]);
    expect(e.reference).toBe("cauc");
    expect(e.groups.afam!.count + e.groups.cauc!.count).toBe(card.data.used.test);
    expect(e.intervalLevel).toBe(card.interval.level);
  });

  it("numbers agree with the test split: each group's means recomputed from the job's test outputs", () => {
    const rows = testRowsOfCps();
    const values = result.testScores!;
    expect(rows.length).toBe(values.length);
    const e = card.fairness!.ethnicity!;
    for (const g of ["afam", "cauc"]) {
      const idx = rows.map((r, i) => (r.ethnicity === g ? i : -1)).filter((i) => i >= 0);
      expect(idx.length).toBe(e.groups[g]!.count);
      const meanActual = idx.reduce((s, i) => s + rows[i]!.wage, 0) / idx.length;
      const meanPredicted = idx.reduce((s, i) => s + values[i]!, 0) / idx.length;
      expect(e.groups[g]!.meanActual.value).toBeCloseTo(meanActual, 1); // the matrix holds float32 targets
      expect(e.groups[g]!.meanPredicted.value).toBeCloseTo(meanPredicted, 6);
      expect(e.groups[g]!.bias.value).toBeCloseTo(meanPredicted - e.groups[g]!.meanActual.value, 6);
    }
  });

  it("the report builds with the Fair lending section's regression tables", () => {
    const report = new TextDecoder().decode(result.artifact!.files.get(REPORT_FILE)!);
    expect(report).toContain('id="fairness"');
    expect(report).toContain('data-table="fair-regression-ethnicity"');
    expect(report).toContain("mean predicted");
    // Its proxies: the same table as a classifier's, every feature the card lists.
    const rows = report.match(/<table data-table="fair-proxies-ethnicity">.*?<\/table>/s)?.[0].match(/<tr><td>/g) ?? [];
    expect(rows.length).toBe(card.fairness!.ethnicity!.proxies!.features.length);
    expect(rows.length).toBe(result.artifact!.manifest.spec.features.length);
  });
});
