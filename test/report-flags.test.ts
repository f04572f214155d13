/**
 * `train --card` and `--segments` on the command line: a card file of the
 * wrong shape, a missing one, or a segment the data cannot group are usage
 * errors (exit 2) that say what to fix, before any training; and the report
 * shows proxies and the accuracy–fairness front when the card carries them.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseHTML } from "linkedom";
import { describe, expect, it, vi } from "vitest";
import { run } from "../train/cli/train.ts";
import { parseNarrative } from "../train/data/card-file.ts";
import { html } from "../train/report/kit/index.ts";
import { fairnessSection } from "../train/report/model/fairness.ts";
import type { FairnessCard } from "../train/tasks/fairness.ts";
import { fairnessByGroup } from "../train/evaluate/fairness.ts";

async function train(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => { stderr += String(c); return true; });
  try {
    return { code: await run([...argv, "--publish", "none", "--quiet"]), stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const dir = mkdtempSync(join(tmpdir(), "card-flag-"));
const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
const GOOD = { intendedUse: "Rank applications.", limitations: ["One lender's data."], owner: { name: "Risk" }, approval: { status: "pending" } };

describe("train --card", () => {
  it("refuses a card of the wrong shape, naming every problem and the expected shape (exit 2)", async () => {
    const bad = file("bad.json", JSON.stringify({ intendedUse: "", limitation: ["x"], owner: {}, approval: { status: "ok", date: "1/12/2026" } }));
    const r = await train(["--data", "data/credit_data.csv", "--target", "Status", "--card", bad, "--dry-run"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--card ${bad}:`);
    for (const m of [/approval\.status must be "approved", "draft", "pending" or "rejected" \(was "ok"\)/, /approval\.date must be a date as YYYY-MM-DD/, /intendedUse must be non-empty/, /limitation is not a key of a card file \(misspelt\?\)/, /limitations must be an array \(was missing\)/, /owner\.name must be a string \(was missing\)/, /expected e\.g\. \{"intendedUse"/]) {
      expect(r.stderr).toMatch(m);
    }
  });

  it("refuses a missing file and a file that is not JSON (exit 2)", async () => {
    const missing = await train(["--data", "data/credit_data.csv", "--target", "Status", "--card", join(dir, "nope.json"), "--dry-run"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--card .*nope\.json: cannot be read \(ENOENT\)/);
    const notJson = await train(["--data", "data/credit_data.csv", "--target", "Status", "--card", file("x.json", "intended use: x"), "--dry-run"]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/not JSON/);
  });

  it("accepts the documented shape", () => {
    expect(parseNarrative(JSON.stringify(GOOD), "card.json")).toEqual(GOOD);
  });
});

describe("train --segments", () => {
  it("refuses a column the data does not have, a numeric column without bands, and bad band edges (exit 2)", async () => {
    const base = ["--data", "data/credit_data.csv", "--target", "Status", "--dry-run"];
    const none = await train([...base, "--segments", "Region"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--segments names "Region", which is not a column of the data/);
    const numeric = await train([...base, "--segments", "Income"]);
    expect(numeric.code).toBe(2);
    expect(numeric.stderr).toMatch(/--segments Income: "Income" is numeric .* e\.g\. --segments Income:bands=/);
    const edges = await train([...base, "--segments", "Age:bands=40,25"]);
    expect(edges.code).toBe(2);
    expect(edges.stderr).toMatch(/--segments Age:bands=40,25: band edges must increase/);
    expect((await train([...base, "--segments", "Home,Age:bands=30,50"])).code).toBe(0);
  });
});

describe("the Fair lending section", () => {
  const f = fairnessByGroup([1, 0, 1, 0, 0, 1, 0, 0], [0.7, 0.1, 0.4, 0.2, 0.3, 0.9, 0.1, 0.6], [0, 0, 0, 0, 1, 1, 1, 1], ["a", "b"], { thresholds: { refer: 0.25, decline: 0.5 }, resamples: 20, seed: 1, minReferenceCount: 1 });
  const base: FairnessCard = { Group: { column: "Group", groupedBy: "values", ...f } };
  const doc = (card: object) => parseHTML(`<!doctype html><html><body>${html`${fairnessSection(card)?.body}`.value}</body></html>`).document;
  const rowsOf = (d: ReturnType<typeof doc>) => Array.from(d.querySelectorAll("table[data-table=fair-proxies-group] tbody tr")).map((r) => (r as { textContent: string }).textContent);

  it("is absent without card.fairness; shows group tables, and no proxies or Pareto chart when the card has none", () => {
    expect(fairnessSection({})).toBeNull();
    const d = doc({ fairness: base });
    expect(d.querySelectorAll("table[data-table=fair-approval-group] tbody tr").length).toBe(2);
    expect(d.querySelector("table[data-table=fair-proxies-group]")).toBeNull();
    expect(d.querySelector("figure[data-chart=fair-pareto]")).toBeNull();
  });

  it("shows proxies (flagged) and the accuracy–fairness front when the card has them", () => {
    const proxies = { method: "one-feature AUC", threshold: 0.7, minGroupRows: 30, features: [
      { feature: "Income", auc: 0.71, group: "b", weightedAuc: 0.66, flagged: true }, { feature: "Home", auc: 0.55, group: "a", weightedAuc: 0.52, flagged: false },
      { feature: "Job", auc: null, group: null, weightedAuc: null, flagged: false },
    ] };
    const fairness = { Group: { ...base.Group!, proxies } };
    const tuning = { fairness: { trials: [{ id: 1, auc: 0.84, minAir: 0.7 }, { id: 2, auc: 0.83, minAir: 0.82 }, { id: 3, auc: 0.8, minAir: 0.75 }], pareto: [1, 2], chosen: 2, met: true, constraint: "air>=0.8" } };
    const d = doc({ fairness, tuning });
    expect(rowsOf(d)).toEqual(["Incomebauc0.710proxy", "Homeaauc0.550", "Job–auc–"]);
    expect(d.body.textContent).toContain("Proxies of Group: Income.");
    expect(d.body.textContent).toContain("flagged at an AUC of 0.700 or more; groups with fewer than 30 rows in or out are not scored");
    expect(d.querySelectorAll("figure[data-chart=fair-pareto] g.fair-trials circle").length).toBe(3);
    // Under training.tuning (where --tune keeps its card) it is found too.
    expect(doc({ fairness, training: { tuning } }).querySelector("figure[data-chart=fair-pareto]")).not.toBeNull();
  });

  it("draws the tuner's own record (train --tune --fairness): every trial with a value, the chosen and unconstrained trials named", () => {
    const search = { constraint: "air>=0.8", metric: "air", bound: 0.8, pareto: [3, 2, 4], chosen: 2, met: true, unconstrained: { trial: 3, auc: 0.8315, value: 0.703 },
      trials: [{ trial: 2, auc: 0.8288, value: 0.804, meets: true, final: true }, { trial: 4, auc: 0.474, value: 0.951, meets: false, final: true }, { trial: 3, auc: 0.8315, value: 0.703, meets: false, final: true }, { trial: 6, auc: 0.687, value: null, meets: false, final: false }] };
    const d = doc({ fairness: base, training: { tuning: { fairness: search } } });
    expect(d.querySelectorAll("figure[data-chart=fair-pareto] g.fair-trials circle").length).toBe(3);
    const named = Array.from(d.querySelectorAll("figure[data-chart=fair-pareto] g.fair-named text")).map((t) => (t as { textContent: string }).textContent);
    expect(named).toEqual(["unconstrained: trial 3", "chosen: trial 2"]);
  });
});
