/**
 * `npm run monitor -- --decisions`: the recent applications come from the
 * records the edge captured (real answers of the Worker in workerd, written
 * as the capture consumer writes them), and outcomes that arrive later are
 * joined by pass-through id or request id: realised AUC, KS and calibration
 * per ISO week in the JSON and the HTML, unmatched outcomes counted, and
 * duplicate deliveries never counted twice.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DecisionRecord } from "../shared/decisions/record.ts";
import { run as monitor } from "../train/cli/monitor.ts";
import { rocAuc, ks } from "../train/evaluate/metrics.ts";
import { publishTo } from "../train/job.ts";
import { isoWeek, type WeekMetrics } from "../train/monitor/outcomes.ts";
import { runInProcess } from "./helpers/cli.ts";
import { putDecisions, recordsFromEdge } from "./helpers/decision-fixtures.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const lines = readFileSync("data/credit_data.csv", "utf8").trim().split("\n");
const header = lines[0]!.split(",");
const testRows = readFileSync("data/credit_data.test_rows.csv", "utf8").trim().split("\n").slice(1).map(Number);
const DAY = 86_400_000;

describe("npm run monitor -- --decisions", () => {
  let w: TestWorker;
  let dir: string;
  const artifact = readArtifact(fixtures().artifactDirs[0]);
  const features = artifact.manifest.spec.features;
  const records: DecisionRecord[] = [];
  /** applicant id → 1 (bad) / 0 (good), from the CSV. */
  const truth = new Map<string, number>();
  const cli = (argv: string[]) => runInProcess(monitor, w.s3, ["--model", "credit-risk", ...argv]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "edgescore-dmonitor-"));
    w = await startWorker();
    await publishTo(w.s3, artifact);
    const instances = testRows.map((r) => {
      const cells = lines[r + 1]!.split(",");
      truth.set(`app-${r}`, cells[header.indexOf("Status")] === "bad" ? 1 : 0);
      return { _key: `app-${r}`, ...Object.fromEntries(features.map((f) => { const c = cells[header.indexOf(f.name)]!; return [f.name, c === "" ? null : f.type === "numeric" ? Number(c) : c]; })) };
    });
    // Two weeks apart: the first 450 applicants ten days ago, the rest three days ago, in requests of 150.
    for (let i = 0; i < instances.length; i += 150) {
      const time = new Date(Date.now() - (i < 450 ? 10 : 3) * DAY + i).toISOString();
      const batch = await recordsFromEdge(w, artifact, instances.slice(i, i + 150), { time, requestId: `req-${i}` });
      records.push(...batch);
      await putDecisions(w.s3, batch);
    }
    // A retried batch: 40 records delivered again in another object.
    await putDecisions(w.s3, records.slice(100, 140));
  }, 180_000);
  afterAll(async () => { await w.dispose(); });

  it("ISO weeks: Monday to Sunday, week 1 holds the year's first Thursday", () => {
    expect([isoWeek("2026-12-06T23:00:00Z"), isoWeek("2026-12-07T00:00:00Z"), isoWeek("2021-01-03T12:00:00Z"), isoWeek("2024-12-30T00:00:00Z")]).toEqual(["2026-W49", "2026-W50", "2020-W53", "2025-W01"]);
  });

  it("uses the captured features as the recent data: every record once, the records' own answers re-scored", async () => {
    const r = await cli(["--decisions", "--since", "14d", "--json"]);
    expect(r.code).toBe(0);
    const j = r.json!;
    expect(j.data).toMatchObject({ records: 891, scored: 891, labelled: 0 });
    expect(j.decisions).toMatchObject({ role: "champion", read: { records: 891, duplicates: 40 }, versions: { [artifact.version]: 891 }, withoutFeatures: 0 });
    expect((j.performance as { labelledUnavailable: string }).labelledUnavailable).toBe("no --outcomes given");
    expect(r.stderr).toContain("records: 891 champion decision records (40 duplicates dropped)");
  });

  it("--outcomes joined on the pass-through id: realised AUC, KS and calibration per ISO week, unmatched outcomes counted, in the JSON and the HTML", async () => {
    // Outcomes for all but the last 91 applicants, plus 5 for applicants the edge never saw.
    const known = records.slice(0, 800);
    const rows = [...known.map((x) => [x.passThrough, truth.get(String(x.passThrough)) ? "bad" : "good"]), ...[1, 2, 3, 4, 5].map((k) => [`ghost-${k}`, "bad"])];
    const outcomes = join(dir, "outcomes.csv");
    writeFileSync(outcomes, `applicant,Status\n${rows.map((x) => x.join(",")).join("\n")}\n`);
    const out = join(dir, "report");
    const r = await cli(["--decisions", "--since", "14d", "--outcomes", outcomes, "--join-on", "applicant", "--out", out, "--json"]);
    expect(r.code).toBe(0);
    const j = r.json!;
    expect(j.outcomes).toMatchObject({ joinOn: "applicant", matchBy: "pass_through", target: "Status", rows: 805, labelled: 805, matched: 800, unmatched: 5, pending: 0 });
    expect(j.data).toMatchObject({ scored: 891, labelled: 800, unlabelled: 91 });
    // Independently: the recorded probabilities and the labels, per week of the decision.
    const p = (x: DecisionRecord) => (x.answer as { probability: number }).probability;
    const weekly = (j.outcomes as { weekly: WeekMetrics[] }).weekly;
    const weeks = [...new Set(records.map((x) => isoWeek(x.time)))].sort();
    expect(weekly.map((x) => x.week)).toEqual(weeks);
    for (const wk of weekly) {
      const inWeek = records.filter((x) => isoWeek(x.time) === wk.week);
      const lab = known.filter((x) => isoWeek(x.time) === wk.week);
      const y = Float32Array.from(lab.map((x) => truth.get(String(x.passThrough))!));
      const s = Float32Array.from(lab.map(p));
      expect(wk.decisions).toBe(inWeek.length);
      expect(wk.labelled).toBe(lab.length);
      expect(wk.auc).toBe(rocAuc(y, s));
      expect(wk.ks).toBe(ks(y, s).statistic);
      expect(wk.calibration.reduce((n, b) => n + b.count, 0)).toBe(lab.length);
      expect(wk.calibrationError).toBeGreaterThan(0);
    }
    const all = (j.performance as { labelled: { auc: number } }).labelled;
    expect(all.auc).toBe(rocAuc(Float32Array.from(known.map((x) => truth.get(String(x.passThrough))!)), Float32Array.from(known.map(p))));
    expect(r.stderr).toContain("joined on applicant = the record's pass-through value: 800 matched, 5 unmatched");
    const page = readFileSync(join(out, "monitor.html"), "utf8");
    expect(page).toContain("Realised performance by week");
    for (const wk of weekly) expect(page).toContain(wk.week);
    expect(page).toContain("5 matched no decision in the range");
  });

  it("--join-on request_id: every instance of the request takes the request's label", async () => {
    const outcomes = join(dir, "by-request.csv");
    writeFileSync(outcomes, "request_id,Status\nreq-0,bad\nreq-150,good\nreq-nope,good\n");
    const r = await cli(["--decisions", "--since", "14d", "--outcomes", outcomes, "--join-on", "request_id", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json!.outcomes).toMatchObject({ matchBy: "request_id", matched: 2, unmatched: 1 });
    expect(r.json!.data).toMatchObject({ labelled: 300 });
  });

  describe("one outcome, one decision: an applicant decided more than once is labelled once, on the latest decision", () => {
    // 25 days ago, outside the other tests' ranges: 100 applicants at 10:00; 30 of them re-scored at 10:30 with other
    // figures, in an object listed (and read) before the first; and a request of 10 retried under its X-Request-Id.
    const at = (h: number, m: number) => { const d = new Date(Date.now() - 25 * DAY); d.setUTCHours(h, m, 0, 0); return d.toISOString(); };
    const range = ["--decisions", "--since", "28d", "--until", "20d"];
    const applicant = (row: number, key: string) => {
      const cells = lines[row + 1]!.split(",");
      return { _key: key, ...Object.fromEntries(features.map((f) => { const c = cells[header.indexOf(f.name)]!; return [f.name, c === "" ? null : f.type === "numeric" ? Number(c) : c]; })) };
    };
    const rows = testRows.slice(0, 100);
    let first: DecisionRecord[] = [];
    let again: DecisionRecord[] = [];
    let retried: DecisionRecord[] = [];
    const p = (x: DecisionRecord) => (x.answer as { probability: number }).probability;

    beforeAll(async () => {
      first = await recordsFromEdge(w, artifact, rows.map((r) => applicant(r, `dup-${r}`)), { time: at(10, 0) });
      again = await recordsFromEdge(w, artifact, rows.slice(0, 30).map((r, i) => ({ ...applicant(testRows[200 + i]!, `dup-${r}`) })), { time: at(10, 30) });
      await putDecisions(w.s3, first, "z-first");
      await putDecisions(w.s3, again, "a-again");
      const ten = testRows.slice(300, 310).map((r) => applicant(r, `retry-${r}`));
      retried = [
        ...(await recordsFromEdge(w, artifact, ten, { time: at(11, 0), requestId: "retry-1" })),
        ...(await recordsFromEdge(w, artifact, ten, { time: at(11, 5), requestId: "retry-1" })),
      ];
      await putDecisions(w.s3, retried);
    }, 60_000);

    it("by pass-through id: labelled rows = matched outcomes, the AUC on each applicant's latest decision, the earlier ones counted", async () => {
      const outcomes = join(dir, "once.csv");
      writeFileSync(outcomes, `applicant,Status\n${rows.map((r) => `dup-${r},${truth.get(`app-${r}`) ? "bad" : "good"}`).join("\n")}\n`);
      const r = await cli([...range, "--outcomes", outcomes, "--join-on", "applicant", "--json"]);
      expect(r.code).toBe(0);
      const j = r.json!;
      const decided = first.length + again.length + retried.length;
      expect(j.data).toMatchObject({ scored: decided, labelled: 100, unlabelled: decided - 100 });
      expect(j.outcomes).toMatchObject({ matched: 100, unmatched: 0, earlierDecisions: 30 });
      // The lender acted on the re-scored decision for the first 30, on the only one for the rest.
      const latest = [...again, ...first.slice(30)];
      const y = (x: DecisionRecord) => truth.get(`app-${String(x.passThrough).slice(4)}`)!;
      const auc = rocAuc(Float32Array.from(latest.map(y)), Float32Array.from(latest.map(p)));
      const lab = (j.performance as { labelled: { rows: number; auc: number } }).labelled;
      expect(lab).toMatchObject({ rows: 100, auc });
      // Not what one row per decision, or the earliest decision per applicant, gives.
      const everyDecision = [...first, ...again];
      expect(rocAuc(Float32Array.from(everyDecision.map(y)), Float32Array.from(everyDecision.map(p)))).not.toBe(auc);
      expect(rocAuc(Float32Array.from(first.map(y)), Float32Array.from(first.map(p)))).not.toBe(auc);
      const [week] = (j.outcomes as { weekly: WeekMetrics[] }).weekly;
      expect(week).toMatchObject({ decisions: decided, labelled: 100, auc });
      expect(r.stderr).toContain("100 matched, 0 unmatched, 30 earlier decisions of an applicant decided again left out of the labelled metrics (each outcome pairs with the latest)");
      expect(r.stderr).toContain("labelled: 100 rows");
    });

    it("monitor.html's join line names what the join set aside: repeated ids, unusable rows, earlier decisions left out", async () => {
      const outcomes = join(dir, "set-aside.csv");
      const [a, b] = rows;
      const csv = [
        ...rows.map((r) => `dup-${r},${truth.get(`app-${r}`) ? "bad" : "good"}`),
        `dup-${a},${truth.get(`app-${a}`) ? "good" : "bad"}`, `dup-${b},${truth.get(`app-${b}`) ? "good" : "bad"}`, // conflicting: these later rows stand
        ",bad", "dup-extra,maybe",
      ];
      writeFileSync(outcomes, `applicant,Status\n${csv.join("\n")}\n`);
      const out = join(dir, "set-aside");
      const r = await cli([...range, "--outcomes", outcomes, "--join-on", "applicant", "--out", out, "--json"]);
      expect(r.code).toBe(0);
      expect(r.json!.outcomes).toMatchObject({ duplicates: 2, unusable: 2, earlierDecisions: 30, matched: 100 });
      const page = readFileSync(join(out, "monitor.html"), "utf8");
      const joinLine = /<dt>join<\/dt><dd>(.*?)<\/dd>/s.exec(page)?.[1] ?? "";
      expect(joinLine).toContain("100 matched, 0 matched no decision in the range");
      expect(joinLine).toContain("; 2 repeated ids (the later label stands)");
      expect(joinLine).toContain("; 2 unusable rows (e.g. line 104: empty &quot;applicant&quot;)");
      expect(joinLine).toContain("; 30 earlier decisions of an applicant decided again left out of the labelled metrics (each outcome pairs with the latest)");
    });

    it("by request_id: a request retried under the same X-Request-Id labels each instance once", async () => {
      const outcomes = join(dir, "retried.csv");
      writeFileSync(outcomes, "request_id,Status\nretry-1,bad\n");
      const r = await cli([...range, "--outcomes", outcomes, "--join-on", "request_id", "--json"]);
      expect(r.code).toBe(0);
      expect(r.json!.data).toMatchObject({ labelled: 10 });
      expect(r.json!.outcomes).toMatchObject({ matched: 1, earlierDecisions: 10 });
    });
  });

  it("usage: --outcomes without --join-on, --target with --decisions, a bad --since (exit 2); nothing in range (exit 1)", async () => {
    expect((await cli(["--decisions", "--outcomes", "x.csv"])).stderr).toContain("--outcomes and --join-on go together");
    expect((await cli(["--decisions", "--target", "Status"])).code).toBe(2);
    const bad = await cli(["--decisions", "--since", "last week"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--since: "last week" is not a time`);
    expect((await cli(["--since", "7d", "--data", "x.csv"])).stderr).toContain("--since goes with --decisions");
    const none = await cli(["--decisions", "--since", "60d", "--until", "30d"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no champion decision records under decisions\/credit-risk\/ from .* is capture on \(CAPTURE="full"\)\? widen --since/);
  });

  describe("a failed join fails the run (exit 1), so --max-auc-drop is never silently off", () => {
    const known = () => records.slice(0, 260);
    const gate = ["--decisions", "--since", "14d", "--max-auc-drop", "0.05", "--json"];

    it("labels the model does not know (1/0 for a model trained on bad/good) over --max-skipped: the file, the column, the values found and expected", async () => {
      const outcomes = join(dir, "ones-and-zeros.csv");
      writeFileSync(outcomes, `applicant,Status\n${known().map((x) => `${x.passThrough},${truth.get(String(x.passThrough))}`).join("\n")}\n`);
      const bad = known().filter((x) => truth.get(String(x.passThrough)) === 1).length;
      const r = await cli([...gate, "--outcomes", outcomes, "--join-on", "applicant"]);
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ ok: false, error: { code: "outcomes_unusable" } });
      const message = (r.json!.error as { message: string }).message;
      expect(message).toContain(`${outcomes}: 260 of 260 outcome rows are unusable, more than --max-skipped 0.05: 260 whose "Status" (the model's target column) holds "0" (${260 - bad} rows), "1" (${bad} rows) (e.g. line 2), where the model expects "bad" or "good"`);
      expect(r.stderr).toContain(`error: ${message}`);
    });

    it("a few unusable outcome rows, within --max-skipped, are counted and the run goes on", async () => {
      const outcomes = join(dir, "a-few-bad.csv");
      writeFileSync(outcomes, `applicant,Status\n${known().map((x, i) => `${i < 3 ? "" : x.passThrough},${i === 3 ? "maybe" : truth.get(String(x.passThrough)) ? "bad" : "good"}`).join("\n")}\n`);
      const r = await cli([...gate, "--outcomes", outcomes, "--join-on", "applicant"]);
      expect(r.code).toBe(0);
      expect(r.json!.outcomes).toMatchObject({ rows: 260, unusable: 4, matched: 256 });
    });

    it("outcomes whose ids match no decision: --join-on, the column and an example id from each side", async () => {
      const outcomes = join(dir, "other-ids.csv");
      writeFileSync(outcomes, `applicant,Status\n${known().map((x, i) => `A-${String(i).padStart(4, "0")},${truth.get(String(x.passThrough)) ? "bad" : "good"}`).join("\n")}\n`);
      const r = await cli([...gate, "--outcomes", outcomes, "--join-on", "applicant"]);
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ ok: false, error: { code: "outcomes_unmatched" } });
      const message = (r.json!.error as { message: string }).message;
      expect(message).toMatch(new RegExp(`^${outcomes.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: none of its 260 labelled outcomes matches a decision from \\S+ to \\S+ \\(--join-on applicant: column "applicant" = the record's pass-through value\\): the outcomes' "applicant" values are like "A-0000", the decisions' pass-through values are like "app-\\d+"\\.`));
      expect(message).toContain("--since/--until cover the decisions these outcomes are for");
    });

    it("outcomes all not known yet (empty labels) are a normal early state: labelled unavailable, no error", async () => {
      const outcomes = join(dir, "pending.csv");
      writeFileSync(outcomes, `applicant,Status\n${known().map((x) => `${x.passThrough},`).join("\n")}\n`);
      const r = await cli([...gate, "--outcomes", outcomes, "--join-on", "applicant"]);
      expect(r.code).toBe(0);
      expect(r.json!.outcomes).toMatchObject({ rows: 260, pending: 260, matched: 0 });
      expect((r.json!.performance as { labelledUnavailable: string }).labelledUnavailable).toContain("no decision in the range has an outcome");
    });
  });

  it("a ;-separated outcomes file: exit 1 naming the columns found and saying the file looks ;-separated, as for --data", async () => {
    const outcomes = join(dir, "semicolons.csv");
    writeFileSync(outcomes, "application;Status\napp-1;bad\n");
    const r = await cli(["--decisions", "--since", "14d", "--outcomes", outcomes, "--join-on", "application", "--json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--join-on column "application" not found; columns are: application;Status (the header is one column containing ";": the file looks ";"-separated; edgescore reads comma-separated CSV)`);
    expect(r.json).toMatchObject({ ok: false, error: { code: "failed" } });
  });

  it("records kept without features (CAPTURE=\"decisions\") cannot be monitored: a clear error", async () => {
    const cells = lines[5]!.split(",");
    const applicant = { _key: "b1", ...Object.fromEntries(features.map((f) => { const c = cells[header.indexOf(f.name)]!; return [f.name, c === "" ? null : f.type === "numeric" ? Number(c) : c]; })) };
    const bare = await recordsFromEdge(w, artifact, [applicant], { time: new Date(Date.now() - 40 * DAY).toISOString(), capture: "decisions" });
    await putDecisions(w.s3, bare);
    const r = await cli(["--decisions", "--since", "45d", "--until", "35d"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`all 1 champion decision records in the range were captured without features (CAPTURE="decisions"): monitoring needs them; set CAPTURE = "full"`);
  });
});
