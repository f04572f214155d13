/**
 * The model report end to end: written by training into the artifact, served by
 * the Worker in workerd (verified, strict CSP, ETag, immutable per version),
 * exported from the store by the CLI, refused when tampered with, and opened in
 * a real headless Chromium at desktop and phone width.
 */
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys, REPORT_FILE } from "../shared/artifact.ts";
import { sha256Hex } from "../shared/hash.ts";
import { main as modelsCommand } from "../train/cli/models.ts";
import { publishTo } from "../train/job.ts";
import { exportReport, ReportMissingError } from "../train/report/export.ts";
import type { Artifact } from "../train/store/package.ts";
import { createS3Client } from "../train/store/storage.ts";
import { StoreError } from "../train/store/versions.ts";
import { launchBrowser, saveScreenshot } from "./helpers/browser.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

/** Reports are for operators; scoring keys (the app's) may not read them. */
const OPERATOR_KEY = "report-test-operator-key";
const SCORING_KEY = "report-test-scoring-key";
const auth = { authorization: `Bearer ${OPERATOR_KEY}` };
const scoring = { authorization: `Bearer ${SCORING_KEY}` };
const SHOTS = join("test-output", "report");

interface ErrorBody { error: { code: string; message: string } }
interface Health { models: Record<string, { version?: string }>; reports: Record<string, { version: string; error: string }> }

/** The same files under another version id, without report.html (as versions published before reports). */
function withoutReport(a: Artifact): Artifact {
  const version = a.version.replace(/-[0-9a-f]{8}$/, "-0000aaaa");
  const { [REPORT_FILE]: _dropped, ...files } = a.manifest.files;
  const manifest = { ...a.manifest, version, files };
  const out = new Map(a.files);
  out.delete(REPORT_FILE);
  out.set("manifest.json", new TextEncoder().encode(JSON.stringify(manifest)));
  return { ...a, version, manifest, files: out };
}

describe("model report", () => {
  let w: TestWorker;
  let current: Artifact;
  let older: Artifact;
  const get = (path: string, headers: Record<string, string> = auth) => w.fetch(path, { headers });

  beforeAll(async () => {
    w = await startWorker({ AUTH_MODE: "keys", API_KEYS: SCORING_KEY, OPERATOR_KEYS: OPERATOR_KEY });
    older = readArtifact(fixtures().artifactDirs[1]);
    current = readArtifact(fixtures().artifactDirs[0]);
    await publishTo(w.s3, older);
    await publishTo(w.s3, current);
  });
  afterAll(async () => { await w.dispose(); });

  it("is part of the artifact: report.html listed in the manifest with its sha256, per-feature analysis in the card", async () => {
    const bytes = current.files.get(REPORT_FILE)!;
    expect(current.manifest.files[REPORT_FILE]).toEqual({ sha256: await sha256Hex(bytes), bytes: bytes.byteLength });
    const analysis = current.manifest.card.analysis as { features: Record<string, { iv: number; bins: unknown[]; importance: { rank: number } }> };
    expect(Object.keys(analysis.features).sort()).toEqual(current.manifest.spec.features.map((f) => f.name).sort());
    expect(analysis.features.Income!.bins.length).toBeGreaterThan(2);
    const html = new TextDecoder().decode(bytes);
    expect(html).toContain(current.version);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|https?:\/\//i);
  });

  it("serves the current version's report as verified static HTML with a no-script CSP, ETag and revalidation", async () => {
    expect((await get("/models/credit-risk/report", {})).status).toBe(401);
    // The app's scoring credentials do not open the operator's pages.
    const forbidden = await get("/models/credit-risk/report", scoring);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as ErrorBody).error.code).toBe("insufficient_scope");
    const res = await get("/models/credit-risk/report");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/);
    expect(csp).not.toMatch(/script|unsafe/);
    expect(res.headers.get("etag")).toBe(`"${current.manifest.files[REPORT_FILE]!.sha256}"`);
    expect(res.headers.get("cache-control")).toBe("private, no-cache");
    expect(res.headers.get("x-model-version")).toBe(current.version);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(current.files.get(REPORT_FILE));
    const again = await get("/models/credit-risk/report", { ...auth, "if-none-match": res.headers.get("etag")! });
    expect(again.status).toBe(304);
  });

  it("serves any version's report at a versioned URL, cacheable for good; unknown versions and models are 404", async () => {
    const res = await get(`/models/credit-risk/versions/${older.version}/report`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(older.files.get(REPORT_FILE));
    const missing = await get("/models/credit-risk/versions/20200101T000000Z-00000000/report");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorBody).error.code).toBe("version_not_found");
    expect((await get("/models/credit-risk/versions/latest/report")).status).toBe(404);
    expect(((await (await get("/models/nobody/report")).json()) as ErrorBody).error.code).toBe("model_not_found");
  });

  it("exports any published version's report from the store, verified, through the CLI", async () => {
    const l = { client: createS3Client(w.s3), bucket: w.s3.bucket, name: "credit-risk" };
    const r = await exportReport(l, "current");
    expect(r).toMatchObject({ version: current.version, current: true, sha256: current.manifest.files[REPORT_FILE]!.sha256 });
    expect((await exportReport(l, older.version)).bytes).toEqual(older.files.get(REPORT_FILE));
    const out = join(mkdtempSync(join(tmpdir(), "report-cli-")), "r.html");
    const env = { S3_ENDPOINT: w.s3.endpoint, S3_BUCKET: w.s3.bucket, AWS_ACCESS_KEY_ID: w.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: w.s3.secretAccessKey };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      expect(await modelsCommand(["report", older.version, "--store", "s3", "--out", out])).toBe(0);
    } finally {
      process.env = saved;
    }
    expect(new Uint8Array(readFileSync(out))).toEqual(older.files.get(REPORT_FILE));
    l.client.destroy();
  });

  describe("in headless Chromium", () => {
    let browser: Browser;
    beforeAll(async () => { browser = await launchBrowser(); mkdirSync(SHOTS, { recursive: true }); });
    afterAll(async () => { await browser?.close(); });

    it("draws every chart with its marks, without console errors or requests beyond the page, and fits a 390-px phone", async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, extraHTTPHeaders: auth });
      const page = await context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`); });
      page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
      page.on("request", (r) => requests.push(r.url()));
      const url = `${w.url}/models/credit-risk/report`;
      const res = await page.goto(url);
      expect(res?.status()).toBe(200);

      const charts = await page.$$eval("figure[data-chart]", (figs) => figs.map((f) => ({
        id: f.getAttribute("data-chart") ?? "",
        // Marks are the groups the report names (class); axes and grids have none.
        marks: f.querySelectorAll("svg g[class] > *").length,
      })));
      expect(charts.length).toBeGreaterThan(20);
      for (const c of charts) expect(c.marks, `chart ${c.id} has no marks`).toBeGreaterThan(0);

      // ROC: one path point per distinct test score, plus the origin.
      const thresholds = new Set(fixtures().parity.map((p) => p.expected)).size;
      const rocPoints = await page.$eval("figure[data-chart=roc] g.roc path", (p) => (p.getAttribute("d") ?? "").match(/[ML]/g)?.length ?? 0);
      expect(rocPoints).toBe(thresholds + 1);
      // KS: each class's cumulative curve has one point per distinct score.
      const ksPoints = await page.$$eval("figure[data-chart=ks] g[class^=ks-] path", (ps) => ps.map((p) => (p.getAttribute("d") ?? "").match(/[ML]/g)?.length ?? 0));
      expect(ksPoints).toEqual([thresholds, thresholds]);
      // Calibration: one dot and one interval per non-empty bin of the manifest's calibration table.
      const bins = (current.manifest.card.metrics as { test: { calibration: unknown[] } }).test.calibration.length;
      expect(await page.locator("figure[data-chart=calibration] g.calibration-bins circle").count()).toBe(bins);
      expect(await page.locator("figure[data-chart=calibration] g.intervals line").count()).toBe(bins);
      // Thresholds on the ROC curve, both rules on the score distribution (one per facet).
      expect(await page.locator("figure[data-chart=roc] g.thresholds circle").count()).toBe(2);
      expect(await page.locator("figure[data-chart=distribution] g.threshold-rules line").count()).toBe(4);
      // Training curves: training and validation, one point per epoch.
      const epochs = (current.manifest.card.training as { epochsRun: number }).epochsRun;
      const lossPoints = await page.$$eval("figure[data-chart=loss] g.loss-curves path", (ps) => ps.map((p) => (p.getAttribute("d") ?? "").match(/[ML]/g)?.length ?? 0));
      expect(lossPoints).toEqual([epochs, epochs]);
      // One importance bar and one IV bar per feature; partial dependence for the top 4.
      const features = current.manifest.spec.features.length;
      expect(await page.locator("figure[data-chart=importance] g.importance-bars rect").count()).toBe(features);
      expect(await page.locator("figure[data-chart=iv] g.iv-bars rect").count()).toBe(features);
      expect(await page.locator("figure[data-chart^=pd-]").count()).toBe(4);
      expect(await page.locator("figure[data-chart^=woe-]").count()).toBe(features);
      // The table of contents links to every section.
      const toc = await page.$$eval("nav.toc a", (as) => as.map((a) => a.getAttribute("href")));
      for (const href of toc) expect(await page.locator(`section${href}`).count()).toBe(1);

      await saveScreenshot(page, join(SHOTS, "desktop.png"));
      await page.setViewportSize({ width: 390, height: 844 });
      // Evaluated in the page (this project's TypeScript has no DOM types).
      const widths = (await page.evaluate("({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })")) as { scroll: number; client: number };
      expect(widths.scroll).toBeLessThanOrEqual(390);
      expect(widths.scroll).toBe(widths.client);
      await saveScreenshot(page, join(SHOTS, "phone.png"));

      expect(problems).toEqual([]);
      expect(requests).toEqual([url]);
      await context.close();
    });
  });

  describe("integrity", () => {
    it("refuses a tampered report with a 503 and the reason in /healthz, keeps scoring, and serves it again once repaired", async () => {
      const bucket = await w.bucket();
      const key = keys.file("credit-risk", current.version, REPORT_FILE);
      const good = current.files.get(REPORT_FILE)!;
      await bucket.put(key, new TextDecoder().decode(good).replace("Model report", "Model rep0rt"));
      const res = await get("/models/credit-risk/report");
      expect(res.status).toBe(503);
      expect(((await res.json()) as ErrorBody).error.code).toBe("report_unavailable");
      const health = (await (await w.fetch("/healthz", { headers: auth })).json()) as Health;
      expect(health.reports[`credit-risk@${current.version}`]?.error).toMatch(/sha256 does not match the manifest/);
      // The tampered bytes never leave the store either.
      const l = { client: createS3Client(w.s3), bucket: w.s3.bucket, name: "credit-risk" };
      await expect(exportReport(l, "current")).rejects.toMatchObject({ code: "version_damaged" });
      await expect(exportReport(l, "current")).rejects.toBeInstanceOf(StoreError);
      // Scoring is untouched: the model's own files are intact.
      const p = await w.post("/predict", { instances: [fixtures().parity[0]!.instance] }, scoring);
      expect(p.status).toBe(200);

      await bucket.put(key, good);
      expect((await get("/models/credit-risk/report")).status).toBe(200);
      expect(((await (await w.fetch("/healthz", { headers: auth })).json()) as Health).reports).toEqual({});

      // A truncated report of another version is refused at its versioned URL too.
      const olderKey = keys.file("credit-risk", older.version, REPORT_FILE);
      await bucket.put(olderKey, older.files.get(REPORT_FILE)!.slice(0, 1000));
      expect((await get(`/models/credit-risk/versions/${older.version}/report`)).status).toBe(503);
      await expect(exportReport(l, older.version)).rejects.toMatchObject({ code: "version_damaged" });
      l.client.destroy();
    });

    it("answers 404 report_not_found for a version published before reports existed", async () => {
      const old = withoutReport(older);
      const bucket = await w.bucket();
      for (const [f, bytes] of old.files) await bucket.put(keys.file("credit-risk", old.version, f), bytes);
      const res = await get(`/models/credit-risk/versions/${old.version}/report`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as ErrorBody).error.code).toBe("report_not_found");
      const l = { client: createS3Client(w.s3), bucket: w.s3.bucket, name: "credit-risk" };
      await expect(exportReport(l, old.version)).rejects.toBeInstanceOf(ReportMissingError);
      l.client.destroy();
    });
  });
});
