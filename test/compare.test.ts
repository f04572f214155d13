/**
 * `models compare` on decision records written to the bucket exactly as the
 * edge's consumer writes them (gzip NDJSON under decisions/<model>/dt=.../):
 * every number equals one worked out by hand below, duplicates (at-least-once
 * delivery) count once, and the page renders in a real browser.
 */
import { gzipSync } from "node:zlib";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DECISION_FORMAT, decisionsKey, recordId, type DecisionRecord, type Role } from "../shared/decisions/record.ts";
import type { Decision } from "../shared/predict.ts";
import { Comparer } from "../train/compare/compare.ts";
import { publishTo } from "../train/job.ts";
import { Outcomes } from "../train/monitor/outcomes.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { models, variant } from "./helpers/registry.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";
import { launchBrowser } from "./helpers/browser.ts";

const NAME = "cmp";
const CHAMPION = "20261201T000000Z-0000000c";
const SHADOW = "20261202T000000Z-00000005";
const CANARY = "20261203T000000Z-0000000a";
const TIME = "2026-12-05T10:00:00.000Z";

function rec(role: Role, version: string, capture: string, index: number, p: number, decision: Decision, passThrough: string | null): DecisionRecord {
  return {
    format: DECISION_FORMAT, id: recordId(capture, index, role), requestId: `req-${capture}`, index, time: TIME, model: NAME, version,
    manifestSha256: "0".repeat(64), role, caller: null, passThrough, topK: 0, capture: "decisions",
    answer: { probability: p, decision, warnings: [] }, latencyMs: 1,
  };
}

// Ten applicants answered by the champion and scored by the shadow (refer at 0.25, decline at 0.5).
const champion: [number, Decision][] = [[0.05, "approve"], [0.15, "approve"], [0.25, "refer"], [0.35, "refer"], [0.45, "refer"], [0.55, "decline"], [0.65, "decline"], [0.75, "decline"], [0.85, "decline"], [0.95, "decline"]];
const shadow: [number, Decision][] = [[0.15, "approve"], [0.25, "refer"], [0.35, "refer"], [0.55, "decline"], [0.45, "refer"], [0.65, "decline"], [0.75, "decline"], [0.85, "decline"], [0.95, "decline"], [0.99, "decline"]];
// Five other applicants answered by the canary.
const canary: [number, Decision][] = [[0.05, "approve"], [0.15, "approve"], [0.25, "refer"], [0.55, "decline"], [0.95, "decline"]];
// Outcomes (1 = bad) for the ten paired applicants a0..a9 and the canary's c0..c4.
const bad = [0, 0, 0, 1, 0, 1, 1, 0, 1, 1];
const canaryBad = [0, 1, 0, 1, 1];

describe("models compare", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker();
    await publishTo(w.s3, variant(readArtifact(fixtures().artifactDirs[0]), NAME, "0000000c"), { actor: "ci@example.com", reason: "x" });
    const records = [
      ...champion.map(([p, d], i) => rec("champion", CHAMPION, `cap-${i}`, 0, p, d, `a${i}`)),
      ...shadow.map(([p, d], i) => rec("shadow", SHADOW, `cap-${i}`, 0, p, d, `a${i}`)),
      ...canary.map(([p, d], i) => rec("canary", CANARY, `can-${i}`, 0, p, d, `c${i}`)),
    ];
    const lines = (rs: DecisionRecord[]) => gzipSync(rs.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const bucket = await w.bucket();
    await bucket.put(decisionsKey(NAME, TIME, "batch-1"), lines(records.slice(0, 12)));
    // The queue delivered the shadow's first two records again in the next batch.
    await bucket.put(decisionsKey(NAME, TIME, "batch-2"), lines([...records.slice(10, 12), ...records.slice(12)]));
    // A record outside the range is not read.
    await bucket.put(decisionsKey(NAME, "2026-11-01T10:00:00.000Z", "old"), lines([rec("shadow", SHADOW, "old", 0, 0.5, "decline", null)]));
  });
  afterAll(async () => { await w.dispose(); });

  it("pairs champion and shadow on the same applicants; every number as worked out by hand", async () => {
    const dir = mkdtempSync(join(tmpdir(), "compare-"));
    const outcomes = join(dir, "outcomes.csv");
    writeFileSync(outcomes, `application,Status\n${bad.map((b, i) => `a${i},${b ? "bad" : "good"}`).join("\n")}\n${canaryBad.map((b, i) => `c${i},${b ? "bad" : "good"}`).join("\n")}\n`);
    const out = join(dir, "compare.html");
    const r = await models(w.s3, ["compare", "--model", NAME, "--since", "2026-12-05", "--until", "2026-12-06", "--outcomes", outcomes, "--join-on", "application", "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ records: 27, duplicates: 2, unpaired: 0 });
    const [s] = r.json!.shadows as Record<string, unknown>[];
    // Same decision for 8 of 10; a1 approve → refer, a3 refer → decline.
    expect(s).toMatchObject({ n: 10, agreement: 0.8, flips: [{ from: "approve", to: "refer", n: 1 }, { from: "refer", to: "decline", n: 1 }] });
    expect(s!.champion).toMatchObject({ version: CHAMPION, approvalRate: 0.2, decisions: { approve: 2, refer: 3, decline: 5 } });
    expect(s!.challenger).toMatchObject({ version: SHADOW, approvalRate: 0.1, decisions: { approve: 1, refer: 3, decline: 6 } });
    // |Δp|: 0.1 for a0-a2 and a5-a8, 0.2 for a3, 0 for a4, 0.04 for a9 → 0.94 / 10.
    expect(s!.meanAbsDelta as number).toBeCloseTo(0.094, 12);
    // The champion's deciles (type 7) cut at 0.14, 0.23, ..., 0.86: one champion score per bin. The shadow's
    // scores leave the first bin empty (share floored at 1e-4) and put two in the last.
    const psi = (0.0001 - 0.1) * Math.log(0.0001 / 0.1) + (0.2 - 0.1) * Math.log(0.2 / 0.1);
    expect(s!.psi as number).toBeCloseTo(psi, 10);
    // AUC: bad a3,a5,a6,a8,a9 against good a0,a1,a2,a4,a7. Champion: 3+4+4+5+5 = 21 of 25 pairs ranked right;
    // shadow (a3 at 0.55 above a4's 0.45): 4+4+4+5+5 = 22 of 25.
    expect(s!.champion).toMatchObject({ auc: 21 / 25, labelled: 10 });
    expect(s!.challenger).toMatchObject({ auc: 22 / 25, labelled: 10 });

    const [c] = r.json!.canaries as Record<string, unknown>[];
    expect(c!.note).toMatch(/different applicants/);
    expect(c!.challenger).toMatchObject({ version: CANARY, n: 5, approvalRate: 0.4, decisions: { approve: 2, refer: 1, decline: 2 } });
    expect((c!.challenger as { meanScore: number }).meanScore).toBeCloseTo(1.95 / 5, 12);
    // On the champion's deciles the canary's five scores fill bins 0, 1, 2, 5 and 9 (0.2 each), the other five are empty.
    const canaryPsi = 5 * (0.2 - 0.1) * Math.log(2) + 5 * (0.0001 - 0.1) * Math.log(0.0001 / 0.1);
    expect(c!.psi as number).toBeCloseTo(canaryPsi, 10);
    // Canary AUC: bad c1 (0.15), c3 (0.55), c4 (0.95) against good c0 (0.05), c2 (0.25): 1 + 2 + 2 = 5 of 6.
    expect(c!.challenger).toMatchObject({ auc: 5 / 6, labelled: 5 });

    const text = await models(w.s3, ["compare", "--model", NAME, "--since", "2026-12-05", "--until", "2026-12-06"]);
    expect(text.stdout).toMatch(/decision agreement 80\.0 % · approval 20\.0 % → 10\.0 %/);
    expect(text.stdout).toMatch(/champion \S+ against shadow \S+: the same 10 applicants/);
    // Each side's figures on its own named line: the canary approved 2 of its 5.
    expect(text.stdout).toMatch(/champion \S+ \(\d+ answers\) against canary 20261203T000000Z-0000000a \(5\): different applicants/);
    expect(text.stdout).toMatch(/\n  canary: +approval 40\.0 % · mean score 0\.3900\n/);

    const htmlText = readFileSync(out, "utf8");
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.setContent(htmlText);
      expect(await page.textContent("h1")).toBe(`Champion and challengers: ${NAME}`);
      expect(await page.locator("[data-table=flips] tbody tr").count()).toBe(2);
      expect(await page.textContent("body")).toMatch(/Not the same applicants/);
    } finally {
      await browser.close();
    }
  });

  it("refuses a half-given outcomes pair or a range that ends before it starts (exit 2)", async () => {
    expect((await models(w.s3, ["compare", "--model", NAME, "--outcomes", "x.csv"])).code).toBe(2);
    const r = await models(w.s3, ["compare", "--model", NAME, "--since", "2026-12-06", "--until", "2026-12-05", "--json"]);
    expect(r).toMatchObject({ code: 2, json: { error: { message: expect.stringMatching(/is not after --since/) } } });
  });
});

describe("models compare with outcomes, an applicant answered twice", () => {
  it("labels each applicant once, by its latest answer, and counts the earlier ones", () => {
    const outcomes = new Outcomes("outcomes.csv", "application", "pass_through", "Status");
    for (const [id, y] of [["c0", 0], ["c1", 1], ["c2", 0], ["c3", 1]] as const) outcomes.labels.set(id, y);
    const comparer = new Comparer(outcomes);
    const at = (t: string, r: DecisionRecord): DecisionRecord => ({ ...r, time: t });
    // c1 (bad) was first scored 0.05, below both goods (a wrong ranking), then re-scored 0.9 a minute later.
    comparer.add(at("2026-12-05T10:00:00.000Z", rec("canary", CANARY, "x0", 0, 0.1, "approve", "c0")));
    comparer.add(at("2026-12-05T10:00:00.000Z", rec("canary", CANARY, "x1", 0, 0.05, "approve", "c1")));
    comparer.add(at("2026-12-05T10:00:00.000Z", rec("canary", CANARY, "x2", 0, 0.2, "approve", "c2")));
    comparer.add(at("2026-12-05T10:00:00.000Z", rec("canary", CANARY, "x3", 0, 0.7, "decline", "c3")));
    comparer.add(at("2026-12-05T10:01:00.000Z", rec("canary", CANARY, "x4", 0, 0.9, "decline", "c1")));
    comparer.add(at("2026-12-05T10:00:00.000Z", rec("champion", CHAMPION, "y0", 0, 0.5, "decline", "z")));
    const [c] = comparer.result(0).canaries;
    // Four applicants, the latest answer each: both bads above both goods.
    expect(c!.challenger).toMatchObject({ n: 5, labelled: 4, earlierDecisions: 1, auc: 1 });
  });
});

