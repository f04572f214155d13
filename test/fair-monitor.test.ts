/**
 * `--protected` after training, on the bundled data against a version
 * published to Miniflare's S3 endpoint: the card's proxies, `monitor`'s group
 * metrics (the card's to the bit on the test split; an AIR alert exits 3; the
 * HTML table), `score`'s decisions by group, and a protected column missing
 * from the data refused by name (exit 2) by both.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseHTML } from "linkedom";
import { REPORT_FILE } from "../train/report/model/render.ts";
import { run as monitorCommand } from "../train/cli/monitor.ts";
import { run as scoreCommand } from "../train/cli/score.ts";
import { publishTo, runJob, type JobResult } from "../train/job.ts";
import type { MonitorResult } from "../train/monitor/run.ts";
import { runInProcess } from "./helpers/cli.ts";
import { BUNDLED_CSV, quickJob } from "./helpers/train-fixture.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const FLAG = "Age:bands=25,40,60,Marital";
const lines = readFileSync(BUNDLED_CSV, "utf8").trim().split("\n");
const header = lines[0]!.split(",");
const rows = lines.slice(1).map((l) => l.split(","));
const testRows = readFileSync("data/credit_data.test_rows.csv", "utf8").trim().split("\n").slice(1).map((r) => rows[Number(r)]!);
const col = (name: string) => header.indexOf(name);
const csv = (h: string[], r: string[][]) => `${[h, ...r].map((x) => x.join(",")).join("\n")}\n`;

describe("--protected in monitor and score", () => {
  let result: JobResult;
  let w: TestWorker;
  let dir: string;
  const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
  const monitor = (argv: string[]) => runInProcess(monitorCommand, w.s3, ["--model", "credit-risk", "--backend", "cpu", ...argv]);
  const score = (argv: string[]) => runInProcess(scoreCommand, w.s3, ["--model", "credit-risk", "--backend", "cpu", "--quiet", ...argv]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "edgescore-fair-monitor-"));
    result = await runJob(quickJob({ protected: [{ column: "Age", bands: [25, 40, 60] }, { column: "Marital" }] }), { log: () => {} });
    w = await startWorker();
    await publishTo(w.s3, result.artifact!);
  }, 180_000);
  afterAll(async () => { await w?.dispose(); });

  it("training lists each feature's proxy strength per attribute, strongest first, flagged at AUC 0.7", () => {
    const age = result.fairness!.Age!.proxies!;
    expect(age.threshold).toBe(0.7);
    expect(age.features.map((p) => p.feature).sort()).toEqual(result.spec.features.map((f) => f.name).sort());
    const aucs = age.features.map((p) => p.auc ?? -1);
    expect(aucs).toEqual([...aucs].sort((a, b) => b - a));
    // Seniority carries age (the youngest have the shortest job tenure).
    const seniority = age.features.find((p) => p.feature === "Seniority")!;
    expect(seniority.flagged).toBe(true);
    expect(seniority.auc).toBeGreaterThan(0.7);
    for (const p of age.features) expect(p.flagged).toBe(p.auc !== null && p.auc >= 0.7);
    expect((result.artifact!.manifest.card as { fairness: unknown }).fairness).toEqual(result.fairness);
  });

  it("the report's proxies table lists every feature the card does, with its group, value and flag", () => {
    const report = parseHTML(new TextDecoder().decode(result.artifact!.files.get(REPORT_FILE)!)).document;
    for (const [column, slug] of [["Age", "age"], ["Marital", "marital"]] as const) {
      const rows = Array.from(report.querySelectorAll(`table[data-table=fair-proxies-${slug}] tbody tr`))
        .map((tr) => Array.from((tr as { querySelectorAll(q: string): ArrayLike<{ textContent: string | null }> }).querySelectorAll("td")).map((td) => td.textContent));
      expect(rows.map(([feature, group, , value, flag]) => [feature, group, value, flag])).toEqual(result.fairness![column]!.proxies!.features.map((p) => [
        p.feature, p.group ?? "–", p.auc === null ? "–" : p.auc.toFixed(3), p.flagged ? "proxy" : "",
      ]));
    }
  });

  it("monitor on the test split: the card's group metrics, same rows → same numbers", async () => {
    const r = await monitor(["--data", file("test.csv", csv(header, testRows)), "--target", "Status", "--protected", FLAG, "--json"]);
    const m = r.json as unknown as MonitorResult;
    for (const column of ["Age", "Marital"]) {
      const card = result.fairness![column]!;
      const now = m.fairness![column]!;
      expect([now.reference, now.air, now.belowFourFifths, now.rows, now.labelled]).toEqual([card.reference, card.air, card.belowFourFifths, testRows.length, testRows.length]);
      expect(Object.keys(now.groups)).toEqual(Object.keys(card.groups));
      for (const [name, g] of Object.entries(card.groups)) {
        const { labelled, ...same } = now.groups[name]!;
        expect(labelled).toBe(g.count);
        expect(same).toEqual(g);
      }
    }
    // The model already fails four-fifths for the young on its own test split: an alert per group of 30+ rows, exit 3.
    expect(r.code).toBe(3);
    const under = (a: string) => Object.entries(result.fairness![a]!.groups).filter(([, g]) => g.air !== null && g.air.value < 0.8);
    expect(under("Age").length).toBeGreaterThan(0);
    const findings = (level: string) => m.findings.filter((f) => f.check === "group_air" && f.level === level).map((f) => `${f.attribute} ${f.group}`);
    expect(findings("alert")).toEqual(["Age", "Marital"].flatMap((a) => under(a).filter(([, g]) => g.count >= 30).map(([n]) => `${a} ${n}`)));
    expect(findings("warn")).toEqual(["Age", "Marital"].flatMap((a) => under(a).filter(([, g]) => g.count < 30).map(([n]) => `${a} ${n}`)));
  });

  it("monitor alerts (exit 3) when a group's AIR drops under --min-air, without labels, and shows the table in the report", async () => {
    // Marital is not a feature: recoding it moves no score and no PSI, only who is in which group.
    // Single now means the applicants with under 3 years at their job (riskier), the rest married.
    const moved = testRows.map((r) => r.map((c, j) => (j === col("Marital") ? (Number(r[col("Seniority")]) < 3 ? "single" : "married") : c)));
    const stable = await monitor(["--data", file("marital.csv", csv(header, testRows)), "--protected", "Marital", "--min-air", "0.7"]);
    expect(stable.code).toBe(0);
    const out = join(dir, "report");
    const r = await monitor(["--data", file("moved.csv", csv(header, moved)), "--protected", "Marital", "--json", "--out", out]);
    expect(r.code).toBe(3);
    const m = r.json as unknown as MonitorResult;
    const single = m.fairness!.Marital!.groups.single!;
    expect(m.fairness!.Marital!.reference).toBe("married");
    expect(single.air!.value).toBeLessThan(0.8);
    expect([single.auc, single.bad, m.fairness!.Marital!.labelled]).toEqual([null, null, 0]);
    expect(m.findings[0]).toMatchObject({ level: "alert", check: "group_air", attribute: "Marital", group: "single" });
    expect(m.drift.features.every((f) => f.psi === null || f.psi < 0.1)).toBe(true);
    expect(r.stderr).toMatch(/alert: Marital single: adverse impact ratio 0\.\d+ \(approval .* vs .* for married\) < --min-air 0\.8/);
    const page = readFileSync(join(out, "monitor.html"), "utf8");
    expect(page).toContain('id="fairness"');
    expect(page).toMatch(/single[\s\S]*⚠/);
    expect(page).not.toContain("<script");
  });

  it("score counts decisions by group from the protected columns, which never reach the output", async () => {
    const out = join(dir, "scores.csv");
    const r = await score(["--data", BUNDLED_CSV, "--out", out, "--protected", FLAG, "--json"]);
    expect(r.code).toBe(0);
    const f = (r.json as { fairness: Record<string, { reference: string; air: Record<string, number>; groups: Record<string, { count: number; approve: number; refer: number; decline: number; approvalRate: number; air: number }> }> }).fairness;
    expect(Object.keys(f)).toEqual(["Age", "Marital"]);
    const scored = readFileSync(out, "utf8").trim().split("\n");
    expect(scored[0]).toBe("line,probability,decision,warnings");
    for (const a of Object.values(f)) {
      const groups = Object.values(a.groups);
      expect(groups.reduce((s, g) => s + g.count, 0)).toBe(rows.length);
      for (const g of groups) expect(g.approve + g.refer + g.decline).toBe(g.count);
      expect(a.groups[a.reference]!.air).toBe(1);
    }
    // The decisions per group are the output file's, grouped by the input's Marital.
    const decisions = scored.slice(1).map((l) => l.split(",")[2]);
    const single = rows.map((r, i) => [r[col("Marital")], decisions[i]]).filter(([m]) => m === "single");
    expect(f.Marital!.groups.single!.approve).toBe(single.filter(([, d]) => d === "approve").length);
    expect(f.Marital!.groups.single!.approvalRate).toBe(f.Marital!.groups.single!.approve / single.length);
    expect(r.stderr).toMatch(/by Age \(reference \[60,68\]\): \[18,25\) 560 rows, approved \d+\.\d%, AIR 0\.\d\d/);
    // The one applicant with no marital status is below four-fifths: said to be a group too small to tell.
    expect(f.Marital!.groups["(missing)"]!.air).toBeLessThan(0.8);
    expect(r.stderr).toMatch(/below four-fifths \(0\.8\): [^\n]*\(missing\) \(1 rows, under 30: could be chance\)/);
  });

  it("a protected column missing from the data is a usage error naming it (exit 2), in monitor and score", async () => {
    const data = file("no-marital.csv", csv(header.filter((h) => h !== "Marital"), testRows.map((r) => r.filter((_, j) => j !== col("Marital")))));
    const m = await monitor(["--data", data, "--protected", "Marital"]);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain(`${data}: --protected names "Marital", which is not a column of the data`);
    const s = await score(["--data", data, "--out", join(dir, "none.csv"), "--protected", "Marital"]);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain(`--protected names "Marital", which is not a column of the data`);
    expect((await monitor(["--data", data, "--min-air", "0.8"])).code).toBe(2);
    // So is a misspelt --id-column: the flag is what to fix.
    const id = await score(["--data", data, "--out", join(dir, "none.csv"), "--id-column", "custid"]);
    expect([id.code, id.stderr]).toEqual([2, expect.stringContaining('--id-column "custid" not found; columns are: Status, Seniority')]);
  });

  it("a numeric column without :bands= or :values is refused as train refuses it (exit 2, bands from its range), and score then writes no file", async () => {
    const data = file("test-age.csv", csv(header, testRows));
    const expected = /--protected Age: "Age" is numeric \(\d+ to \d+\); compare groups of it in bands, e\.g\. --protected Age:bands=20,40,60, or, if its numbers are codes/;
    const m = await monitor(["--data", data, "--protected", "Age"]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(expected);
    const out = join(dir, "age-scores.csv");
    const s = await score(["--data", data, "--out", out, "--protected", "Age", "--json"]);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(expected);
    expect(existsSync(out)).toBe(false);
    // The log says which protected columns are also features of the model (Home is one here; Marital is not).
    const both = await monitor(["--data", data, "--protected", "Marital,Home", "--min-air", "0.01"]);
    expect(both.code).toBe(0);
    expect(both.stderr).toContain("protected (measured by group): Marital, Home; Home is a feature of this model");
    const neither = await monitor(["--data", data, "--protected", "Marital", "--min-air", "0.01"]);
    expect(neither.stderr).toContain("protected (measured by group): Marital, none a feature of this model");
  });
});
