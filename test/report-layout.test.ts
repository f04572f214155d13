/**
 * The report a validator reads, in headless Chromium at 1280 and 390 px: no
 * table scrolls sideways, no chart text falls outside its SVG, no script; the
 * new sections (validation, segments, fair lending, intended use) are there;
 * --segments numbers equal hand-computed ones; and a 61-feature report keeps
 * its per-feature sections in <details>, the most important open, so it is
 * much shorter than with every section open. Screenshots: test-output/report/.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rocAuc } from "../train/evaluate/ranking.ts";
import { runJob, type JobResult } from "../train/job.ts";
import type { ModelCard } from "../train/report/model/card.ts";
import { REPORT_FILE } from "../train/report/model/render.ts";
import { launchBrowser, saveScreenshot } from "./helpers/browser.ts";
import { BUNDLED_CSV, quickJob } from "./helpers/train-fixture.ts";

const SHOTS = join("test-output", "report");
const NARRATIVE = {
  intendedUse: "Rank consumer credit applications by the probability of default, to approve, refer or decline them.",
  limitations: ["Trained on 4,454 applications from one lender.", "Not validated on thin-file applicants."],
  owner: { name: "Credit Risk Analytics", contact: "risk@example.com" },
  approval: { status: "approved" as const, by: "Model Risk Committee", date: "2026-12-01" },
};

function csv(path: string): { header: string[]; rows: string[][] } {
  const [head, ...lines] = readFileSync(path, "utf8").trim().split("\n");
  return { header: head!.split(","), rows: lines.map((l) => l.split(",")) };
}

/** The bundled data widened to 61 features: three 0/1 flags and 45 copies of the numeric columns under long names. */
function wideCsv(dir: string): string {
  const { header, rows } = csv(BUNDLED_CSV);
  const at = (name: string) => header.indexOf(name);
  const numeric = ["Seniority", "Time", "Age", "Expenses", "Income", "Assets", "Debt", "Amount", "Price"];
  const prefixes = ["applicant_reported_monthly", "bureau_derived_trailing_twelve_month", "household_level_aggregated", "internal_behavioural_score_input", "application_form_declared"];
  const extra: [string, (r: string[]) => string][] = [
    ["previous_payment_default_records_flag", (r) => (r[at("Records")] === "yes" ? "1" : "0")],
    ["home_ownership_owner_occupied_flag", (r) => (r[at("Home")] === "owner" ? "1" : "0")],
    ["employment_contract_fixed_term_flag", (r) => (r[at("Job")] === "fixed" ? "1" : "0")],
    ...Array.from({ length: 45 }, (_, k): [string, (r: string[]) => string] => {
      const base = numeric[k % numeric.length]!;
      return [`${prefixes[k % prefixes.length]}_${base.toLowerCase()}_variant_${k}`, (r) => (r[at(base)] === "" ? "" : String(Number(r[at(base)]) + (k % 7)))];
    }),
  ];
  const path = join(dir, "wide.csv");
  writeFileSync(path, [[...header, ...extra.map((e) => e[0])].join(","), ...rows.map((r) => [...r, ...extra.map((e) => e[1](r))].join(","))].join("\n") + "\n");
  return path;
}

interface Layout { scrolling: string[]; cut: string[]; scripts: number; pageOverflow: number; height: number }

/** Evaluated in the page (this project's TypeScript has no DOM types); hidden elements (closed <details>) are skipped. */
const LAYOUT = `(() => {
  const visible = (e) => e.getClientRects().length > 0;
  const scrolling = [...document.querySelectorAll(".table-wrap")].filter(visible).filter((w) => w.scrollWidth > w.clientWidth)
    .map((w) => (w.querySelector("table")?.getAttribute("data-table") ?? "table") + " " + w.scrollWidth + ">" + w.clientWidth);
  const cut = [];
  for (const svg of document.querySelectorAll("figure svg")) {
    if (!visible(svg)) continue;
    const b = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll("text")) {
      const r = t.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < b.left - 0.5 || r.right > b.right + 0.5 || r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5) cut.push(svg.closest("figure").dataset.chart + ": " + t.textContent);
    }
  }
  const d = document.documentElement;
  return { scrolling, cut, scripts: document.querySelectorAll("script").length, pageOverflow: d.scrollWidth - d.clientWidth, height: d.scrollHeight };
})()`;

async function open(browser: Browser, html: string, width: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  await page.setContent(html, { waitUntil: "load" });
  return page;
}

describe("the report in headless Chromium", () => {
  let browser: Browser;
  let result: JobResult;
  let html: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    result = await runJob(quickJob({
      protected: [{ column: "Age", bands: [25, 40, 60] }, { column: "Marital" }],
      segments: [{ column: "Home" }, { column: "Seniority", bands: [2, 10] }],
      narrative: NARRATIVE,
    }), { log: () => {} });
    html = new TextDecoder().decode(result.artifact!.files.get(REPORT_FILE));
    writeFileSync(join(SHOTS, "validator.html"), html);
    browser = await launchBrowser();
  }, 300_000);
  afterAll(async () => { await browser?.close(); });

  it("stores --segments per group of the test split, equal to hand-computed values, and the --card narrative", () => {
    const card = result.artifact!.manifest.card as unknown as ModelCard;
    expect(card.narrative).toEqual(NARRATIVE);
    const { header, rows } = csv(BUNDLED_CSV);
    const test = readFileSync("data/credit_data.test_rows.csv", "utf8").trim().split("\n").slice(1).map(Number);
    const scores = result.testScores!;
    const byHome = new Map<string, { y: number[]; s: number[] }>();
    test.forEach((r, i) => {
      const home = rows[r]![header.indexOf("Home")]!;
      const g = byHome.get(home) ?? { y: [], s: [] };
      g.y.push(rows[r]![header.indexOf("Status")] === "bad" ? 1 : 0);
      g.s.push(scores[i]!);
      byHome.set(home, g);
    });
    // Groups in sorted order, empty cells last as "(missing)" (as --protected groups them).
    const expected = [...byHome.entries()].sort(([a], [b]) => (a === "" ? 1 : b === "" ? -1 : a < b ? -1 : 1)).map(([cell, { y, s }]) => {
      const group = cell === "" ? "(missing)" : cell;
      const bads = y.reduce((a, b) => a + b, 0);
      return { group, count: y.length, bads, badRate: bads / y.length, approvalRate: s.filter((x) => x < 0.25).length / y.length, auc: bads > 0 && bads < y.length ? rocAuc(y, s) : null };
    });
    const home = card.segments!.Home!;
    expect(home.groupedBy).toBe("values");
    expect(home.groups.map((g) => g.group)).toEqual(expected.map((g) => g.group));
    home.groups.forEach((g, i) => {
      const e = expected[i]!;
      expect([g.count, g.bads]).toEqual([e.count, e.bads]);
      expect(g.badRate).toBeCloseTo(e.badRate, 12);
      expect(g.approvalRate).toBeCloseTo(e.approvalRate, 12);
      if (e.auc === null) expect(g.auc).toBeNull();
      else expect(g.auc).toBeCloseTo(e.auc, 6);
    });
    expect(card.segments!.Seniority!.groupedBy).toEqual({ bands: [2, 10] });
    expect(card.segments!.Seniority!.groups.reduce((n, g) => n + g.count, 0)).toBe(test.length);
    expect(card.intervals!.auc.low).toBeLessThan(card.metrics.test.auc);
    expect(card.intervals!.auc.high).toBeGreaterThan(card.metrics.test.auc);
  });

  for (const width of [1280, 390]) {
    it(`at ${width} px: no table scrolls sideways, no chart text outside its SVG, no script; the validator's sections are there`, async () => {
      const page = await open(browser, html, width);
      const l = (await page.evaluate(LAYOUT)) as Layout;
      expect(l.scrolling).toEqual([]);
      expect(l.cut).toEqual([]);
      expect(l.scripts).toBe(0);
      expect(l.pageOverflow).toBe(0);
      for (const id of ["intended-use", "validation", "segments", "fairness"]) expect(await page.locator(`#${id}`).count(), id).toBe(1);
      for (const t of ["confusion-refer", "confusion-decline", "intervals", "lift", "segment-Home", "fair-approval-age", "fair-accuracy-marital"]) expect(await page.locator(`table[data-table=${t}]`).count(), t).toBe(1);
      for (const c of ["gains", "lift", "pr"]) expect(await page.locator(`figure[data-chart=${c}]`).count(), c).toBe(1);
      expect(await page.locator("#fairness .flag").count()).toBeGreaterThan(0);
      await saveScreenshot(page, join(SHOTS, `validator-${width}.png`));
      await page.close();
    });
  }

  it("a 61-feature report: per-feature sections in <details>, the top 3 open by importance, much shorter than all open, long names fit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wide-report-"));
    const wide = await runJob(quickJob({ data: wideCsv(dir), spec: undefined }), { log: () => {} });
    expect(wide.spec.features.length).toBe(61);
    const wideHtml = new TextDecoder().decode(wide.artifact!.files.get(REPORT_FILE));
    writeFileSync(join(SHOTS, "wide.html"), wideHtml);
    const page = await open(browser, wideHtml, 1280);
    expect(await page.locator("#feature-detail details.feature").count()).toBe(61);
    const openRanks = await page.$$eval("#feature-detail details.feature[open] summary small", (ss) => ss.map((s) => s.textContent));
    expect(openRanks).toEqual(["(numeric, importance rank 1)", "(numeric, importance rank 2)", "(numeric, importance rank 3)"].map((x, i) => expect.stringContaining(`importance rank ${i + 1}`) as unknown as string));
    const closed = (await page.evaluate(LAYOUT)) as Layout;
    expect(closed.scrolling).toEqual([]);
    expect(closed.cut).toEqual([]);
    await saveScreenshot(page, join(SHOTS, "wide-1280.png"));
    await page.evaluate(`document.querySelectorAll("details").forEach((d) => { d.open = true; })`);
    const all = (await page.evaluate(LAYOUT)) as Layout;
    expect(all.cut).toEqual([]);
    expect(all.scrolling).toEqual([]);
    expect(closed.height).toBeLessThan(all.height / 3);
    writeFileSync(join(SHOTS, "wide-heights.json"), JSON.stringify({ closed: closed.height, open: all.height }));
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(`document.querySelectorAll("details.feature").forEach((d, i) => { d.open = i < 3; })`);
    const phone = (await page.evaluate(LAYOUT)) as Layout;
    expect(phone.scrolling).toEqual([]);
    expect(phone.cut).toEqual([]);
    await saveScreenshot(page, join(SHOTS, "wide-390.png"));
    await page.close();
  }, 300_000);
});
