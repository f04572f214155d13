/**
 * `npm run monitor` end to end, against versions published through Miniflare's
 * S3 endpoint (the R2 API), on the bundled data: the test split is stable and
 * reproduces the card, a shifted copy alerts and names what moved, the
 * monitor scores like the edge, old versions and bad input are handled, and
 * the report opens in headless Chromium.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { run as monitorCommand } from "../train/cli/monitor.ts";
import { publishTo } from "../train/job.ts";
import { runMonitor, type MonitorOptions, type MonitorResult } from "../train/monitor/run.ts";
import type { Artifact } from "../train/store/package.ts";
import { createS3Client } from "../train/store/storage.ts";
import { launchBrowser } from "./helpers/browser.ts";
import { asNewVersion, fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const lines = readFileSync("data/credit_data.csv", "utf8").trim().split("\n");
const header = lines[0]!.split(",");
const testRowIndices = readFileSync("data/credit_data.test_rows.csv", "utf8").trim().split("\n").slice(1).map(Number);
/** The bundled test split, in file order (the CSV has no quoted fields: see data/credit_data.md). */
const testRows = testRowIndices.map((r) => lines[r + 1]!.split(","));
const col = (name: string) => header.indexOf(name);
const csv = (h: string[], rows: string[][]) => `${[h, ...rows].map((r) => r.join(",")).join("\n")}\n`;

/** Income × 3, and every other applicant with a fixed job moved to part-time. */
function shifted(rows: string[][]): string[][] {
  return rows.map((r, i) => r.map((cell, c) => {
    if (c === col("Income") && cell !== "") return String(Number(cell) * 3);
    if (c === col("Job") && cell === "fixed" && i % 2 === 0) return "partime";
    return cell;
  }));
}

/** The same artifact under another version id, with a card as versions published before monitoring had (no analysis, no monitoring). */
function olderWithoutReferences(a: Artifact): Artifact {
  return asNewVersion(a, "0000bbbb", (m) => {
    const { analysis: _a, monitoring: _m, ...card } = m.card;
    return { ...m, card };
  });
}

describe("npm run monitor", () => {
  let w: TestWorker;
  let dir: string;
  let env: Record<string, string>;
  const current = readArtifact(fixtures().artifactDirs[0]);
  const older = olderWithoutReferences(current);
  const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
  const limits = { psiWarn: 0.1, psiAlert: 0.25 };
  const monitor = (o: Partial<MonitorOptions> & { data: string }, onScored?: (lines: readonly number[], p: Float32Array) => void) => {
    const client = createS3Client(w.s3);
    return runMonitor({ version: "current", limits, maxSkipped: 0.05, ...o }, { location: { client, bucket: w.s3.bucket, name: "credit-risk" }, log: () => {}, ...(onScored ? { onScored } : {}) })
      .finally(() => client.destroy());
  };

  /** The CLI in this process, against the test bucket: exit code, stdout, stderr. */
  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const so = vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => { out.push(String(c)); return true; });
    const se = vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => { err.push(String(c)); return true; });
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const code = await monitorCommand(["--store", "s3", "--model", "credit-risk", ...args]);
      return { code, stdout: out.join(""), stderr: err.join("") };
    } finally {
      process.env = saved;
      so.mockRestore();
      se.mockRestore();
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "edgescore-monitor-"));
    w = await startWorker();
    env = { S3_ENDPOINT: w.s3.endpoint, S3_BUCKET: w.s3.bucket, AWS_ACCESS_KEY_ID: w.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: w.s3.secretAccessKey, S3_FORCE_PATH_STYLE: "true" };
    await publishTo(w.s3, older);
    await publishTo(w.s3, current);
  });
  afterAll(async () => { await w.dispose(); });

  it("on the bundled test rows: stable, score PSI below 0.1, each feature's PSI the card's train→test PSI, and the card's test metrics to the bit", async () => {
    const r = await monitor({ data: file("test.csv", csv(header, testRows)), target: "Status" });
    expect(r.status).toBe("stable");
    expect(r.exitCode).toBe(0);
    expect(r.model).toMatchObject({ version: current.version, current: true, task: "classification", backend: "cpu" });
    expect(r.data).toMatchObject({ records: 891, scored: 891, labelled: 891, unlabelled: 0, extraColumns: [] });
    expect(r.drift.score!.psi).toBeLessThan(0.1);
    const card = current.manifest.card as { metrics: { test: Record<string, number> }; analysis: { features: Record<string, { psiTrainTest: number }> } };
    // Same rows, same reference bins: the train→test PSI the report computed at training time.
    for (const f of r.drift.features) expect(f.psi).toBeCloseTo(card.analysis.features[f.name]!.psiTrainTest, 5);
    const l = r.performance.labelled!;
    const t = card.metrics.test;
    expect([l.auc, l.gini, l.ks, l.brier, l.logLoss, l.positives]).toEqual([t.auc, t.gini, t.ks, t.brier, t.logLoss, t.positives]);
    expect(l.aucChange).toBe(0);
    // On the split the card's estimate came from, the estimate is the card's.
    const e = r.performance.estimated!;
    expect(e.expectedAuc).toBeCloseTo(e.reference.expectedAuc!, 12);
    expect(r.drift.decisions.psi).toBeCloseTo(0, 12);
  });

  it("gives the probabilities the edge gives for the same applicants (|Δp| < 1e-5)", async () => {
    const scored = new Map<number, number>();
    await monitor({ data: file("parity.csv", csv(header, testRows)) }, (lines, p) => lines.forEach((line, i) => scored.set(line, p[i]!)));
    const features = current.manifest.spec.features;
    const instances = testRows.map((r) => Object.fromEntries(features.map((f) => {
      const cell = r[col(f.name)]!;
      return [f.name, cell === "" ? null : f.type === "numeric" ? Number(cell) : cell];
    })));
    const res = await w.post("/predict?explain=false", { instances });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { model: { version: string }; predictions: { probability: number }[] };
    expect(body.model.version).toBe(current.version);
    expect(scored.size).toBe(891);
    let worst = 0;
    body.predictions.forEach((p, i) => { worst = Math.max(worst, Math.abs(p.probability - scored.get(i + 2)!)); });
    expect(worst).toBeLessThan(1e-5);
  });

  let report = "";
  it("on a copy with Income × 3 and Job shifted: exit 3, naming Income and Job first, in --json and in --out", async () => {
    const out = join(dir, "shifted-report");
    const { code, stdout, stderr } = await cli(["--data", file("shifted.csv", csv(header, shifted(testRows))), "--json", "--out", out]);
    expect(code).toBe(3);
    const r = JSON.parse(stdout) as MonitorResult & { ok: boolean };
    expect(r).toMatchObject({ ok: true, status: "alert", exitCode: 3 });
    expect(r.drift.features.slice(0, 2).map((f) => f.name).sort()).toEqual(["Income", "Job"]);
    expect(r.drift.features[2]!.psi).toBeLessThan(0.1);
    expect(r.findings.slice(0, 2).map((f) => [f.level, f.check, f.feature]).sort()).toEqual([["alert", "feature_psi", "Income"], ["alert", "feature_psi", "Job"]]);
    const income = r.drift.features.find((f) => f.name === "Income")!;
    expect(income.outOfRange!.above).toBeGreaterThan(0);
    expect(stderr).toMatch(/features by PSI: (Income|Job) [\d.]+, (Income|Job) [\d.]+,/);
    expect(stderr).toMatch(/status: ALERT \(exit 3\)\n {2}alert: feature (Income|Job): PSI/);
    report = readFileSync(join(out, "monitor.html"), "utf8");
    expect(JSON.parse(readFileSync(join(out, "monitor.json"), "utf8"))).toEqual(r);
    expect(report).not.toMatch(/<script|<link|<img|<iframe|https?:\/\//i);
    for (const id of ["score-distribution", "decisions", "feature-psi", "bins-income", "bins-job", "calibration"]) expect(report).toContain(`data-chart="${id}"`);
  });

  it("reads s3:// data, lists the columns it ignores and says which one would give labelled metrics", async () => {
    const h = ["application_id", ...header];
    const body = csv(h, testRows.slice(0, 200).map((r, i) => [String(1000 + i), ...r]));
    const client = createS3Client(w.s3);
    await client.send(new PutObjectCommand({ Bucket: w.s3.bucket, Key: "incoming/2026-11.csv", Body: new TextEncoder().encode(body) }));
    client.destroy();
    const { code, stdout } = await cli(["--data", `s3://${w.s3.bucket}/incoming/2026-11.csv`, "--json"]);
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as MonitorResult;
    expect(r.data).toMatchObject({ source: `s3://${w.s3.bucket}/incoming/2026-11.csv`, scored: 200, extraColumns: ["application_id", "Status"] });
    expect(r.performance).toMatchObject({ labelled: null, labelledUnavailable: "no --target given" });
    expect(r.notes).toContain('column "Status" (the model\'s target) was ignored; add --target Status to measure performance on the labelled rows');
  });

  it("judges a version published before monitoring references: feature drift unavailable, score drift on assumed equal deciles, no crash", async () => {
    const { code, stdout } = await cli(["--data", join(dir, "test.csv"), "--version", older.version, "--target", "Status", "--json"]);
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as MonitorResult;
    expect(r.model).toMatchObject({ version: older.version, current: false });
    expect(r.drift.features.every((f) => f.psi === null && /without per-feature bins/.test(f.unavailable ?? ""))).toBe(true);
    expect(r.drift.score!.referenceMeasured).toBe(false);
    expect(r.drift.decisions.psi).toBeNull();
    expect(r.performance.labelled!.auc).toBe((current.manifest.card as { metrics: { test: { auc: number } } }).metrics.test.auc);
    expect(r.notes.join(" ")).toMatch(/published before monitoring references/);
  });

  it("counts a few bad cells with their line numbers and judges the rest", async () => {
    const rows = testRows.map((r, i) => (i === 3 || i === 40 ? r.map((c, j) => (j === col("Income") ? "n/a" : c)) : r));
    const { code, stdout, stderr } = await cli(["--data", file("some-bad.csv", csv(header, rows)), "--json"]);
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as MonitorResult;
    expect(r.data.skipped).toEqual({ count: 2, reasons: [{ reason: '"Income": expected a number', count: 2, examples: ['line 5: found "n/a"', 'line 42: found "n/a"'] }] });
    expect(r.data.scored).toBe(889);
    expect(stderr).toContain('skipped 2 of 891 rows: "Income": expected a number: 2 (e.g. line 5: found "n/a"; line 42: found "n/a")');
  });

  it("turns bad input into a message and an exit code a scheduler can use", async () => {
    const cases: [string[], number, RegExp, string?][] = [
      [["--data", file("empty.csv", "")], 1, /empty\.csv is empty: expected a header row and data rows/],
      [["--data", file("header-only.csv", `${header.join(",")}\n`)], 1, /has a header but no data rows/],
      [["--data", file("semicolons.csv", csv([header.join(";")], testRows.slice(0, 5).map((r) => [r.join(";")])))], 1, /the file looks ";"-separated; edgescore reads comma-separated CSV/],
      [["--data", file("no-income.csv", csv(header.filter((h) => h !== "Income" && h !== "Job"), testRows.map((r) => r.filter((_, c) => c !== col("Income") && c !== col("Job")))))], 1, /columns "Job", "Income" of the feature spec are missing/],
      [["--data", file("text-income.csv", csv(header, testRows.map((r) => r.map((c, j) => (j === col("Income") ? "unknown" : c)))))], 1, /891 of 891 rows are unusable, more than --max-skipped 0\.05: "Income": expected a number: 891 \(e\.g\. line 2: found "unknown"; line 3/],
      [["--data", join(dir, "test.csv"), "--target", "Outcome"], 1, /target column "Outcome" not found; columns are: Status, Seniority/],
      [["--data", join(dir, "nowhere.csv")], 1, /cannot read .*nowhere\.csv: no such file/],
      [["--data", join(dir, "test.csv"), "--model", "nobody"], 1, /no model named "nobody" is published in s3:\/\/\S+; publish one with npm run train, or name another with --model/, "model_not_found"],
      [["--data", join(dir, "test.csv"), "--version", "20200101T000000Z-00000000"], 1, /version 20200101T000000Z-00000000 of "credit-risk" does not exist/, "version_not_found"],
      [["--data", join(dir, "test.csv"), "--version", "latest"], 2, /"latest" is not a version id .*; npm run models -- list shows the versions/, "usage"],
      [[], 2, /--data is required/, "usage"],
      [["--data", "x.csv", "--psi-warn", "0.3", "--psi-alert", "0.2"], 2, /--psi-warn 0\.3 must not be above --psi-alert 0\.2/, "usage"],
      [["--data", "x.csv", "--max-auc-drop", "0.02"], 2, /--max-auc-drop compares the AUC on labelled rows: it needs --target/, "usage"],
      [["--data", "x.csv", "--psi-alert", "lots"], 2, /--psi-alert: expected a number > 0, found "lots"/, "usage"],
      [["--data", join(dir, "test.csv"), "--out", join(dir, "test.csv")], 2, /--out \S+test\.csv is a file: name a folder for monitor\.html and monitor\.json/, "usage"],
    ];
    for (const [args, exit, message, code] of cases) {
      const r = await cli([...args, "--json"]);
      expect({ args, exit: r.code }).toEqual({ args, exit });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      const failure = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string } };
      expect(failure.ok).toBe(false);
      expect(failure.error.message).toMatch(message);
      if (code) expect(failure.error.code).toBe(code);
    }
  });

  it("opens in headless Chromium: every chart drawn, no console errors or requests, fits a 390-px phone", async () => {
    expect(report).not.toBe("");
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 800 } });
      const problems: string[] = [];
      page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(m.text()); });
      page.on("request", (q) => { if (!q.url().startsWith("data:") && q.url() !== "about:blank") problems.push(`request ${q.url()}`); });
      await page.setContent(report);
      expect(problems).toEqual([]);
      const charts = await page.$$eval("figure[data-chart]", (fs) => fs.map((f) => ({ id: f.getAttribute("data-chart"), marks: f.querySelectorAll("svg rect, svg circle, svg path").length })));
      expect(charts.length).toBeGreaterThanOrEqual(7);
      for (const c of charts) expect(c.marks, c.id ?? "").toBeGreaterThan(3);
      expect(await page.$$eval("[data-chart=feature-psi] .psi-bars rect", (r) => r.length)).toBe(13);
      expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
      // Every in-page link (contents, feature names) lands on something.
      const dangling = await page.evaluate("[...document.querySelectorAll('a[href^=\"#\"]')].map((a) => a.getAttribute('href')).filter((h) => !document.getElementById(h.slice(1)))");
      expect(dangling).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
