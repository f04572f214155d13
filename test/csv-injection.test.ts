/**
 * CSV formula injection: the files `npm run score` writes are opened in
 * spreadsheets, which run a cell starting with `=`, `+`, `-`, `@`, tab or CR
 * as a formula. Every text cell the project writes (ids, echoed rows, column
 * names, reasons, warnings) is neutralised with a leading `'`; numbers the
 * project computes (probabilities, values, impacts, line numbers) stay numbers.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as scoreCommand } from "../train/cli/score.ts";
import { publishTo } from "../train/job.ts";
import { openSink } from "../train/score/sink.ts";
import { runInProcess } from "./helpers/cli.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const FORMULA = /^[=+\-@\t\r]/;
const read = (path: string) => parse(readFileSync(path, "utf8"), { relax_column_count: true }) as string[][];

let dir: string;
let w: TestWorker;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "edgescore-formulas-"));
  w = await startWorker();
  await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
}, 120_000);
afterAll(async () => { await w?.dispose(); });

describe("CSV files the project writes", () => {
  it("neutralise text cells that a spreadsheet would run, and keep computed numbers (negative ones too) as numbers", async () => {
    const path = join(dir, "sink.csv");
    const sink = openSink(path, undefined, ["=head", "+h", "plain"]);
    await sink.write([["=1+1", -0.5, "-0.5", "+x", "@y", "\tz", "\rw", 3, "ok"]]);
    await sink.finish();
    expect(read(path)).toEqual([
      ["'=head", "'+h", "plain"],
      ["'=1+1", "-0.5", "'-0.5", "'+x", "'@y", "'\tz", "'\rw", "3", "ok"],
    ]);
  });

  it("npm run score: ids, echoed cells and column names starting with = + - @ tab or CR are neutralised in the output and the rejects", async () => {
    const lines = readFileSync("data/credit_data.csv", "utf8").trim().split("\n").slice(0, 7).map((l) => l.split(","));
    const header = ["@id", ...lines[0]!, "=note"];
    const home = header.indexOf("Home");
    const ids = ["=1+1", "+SUM(A1:A9)", "@cmd", "-2+3", "\tTAB", "\rCR"];
    const rows = lines.slice(1).map((cells, i) => {
      const row = [ids[i]!, ...cells, '=HYPERLINK("http://x","y")'];
      if (i >= 3) row[home] = "=evil()"; // an unknown category: the row goes to the rejects as read
      return row;
    });
    const data = join(dir, "applicants.csv");
    writeFileSync(data, stringify([header, ...rows], { quoted: true }));
    const out = join(dir, "scores.csv");
    const r = await runInProcess(scoreCommand, w.s3, ["--data", data, "--out", out, "--id-column", "@id", "--explain", "--json"]);
    expect([r.code, r.json?.data]).toMatchObject([0, { scored: 3, rejected: 3 }]);

    const [outHeader, ...scored] = read(out);
    expect(outHeader!.slice(0, 3)).toEqual(["'@id", "probability", "decision"]);
    expect(scored.map((s) => s[0])).toEqual(["'=1+1", "'+SUM(A1:A9)", "'@cmd"]);
    // Computed numbers are written as numbers (a negative one too: the first test).
    const impacts = scored.flatMap((s) => outHeader!.flatMap((h, c) => (h.startsWith("impact_") && s[c] ? [s[c]!] : [])));
    expect(impacts.length).toBeGreaterThan(0);
    for (const x of [...impacts, ...scored.map((s) => s[1]!)]) expect(Number.isFinite(Number(x)), x).toBe(true);

    const [rejHeader, ...rejected] = read(join(dir, "scores.rejects.csv"));
    expect(rejHeader).toEqual(["line", "reason", "'@id", ...lines[0]!, "'=note"]);
    expect(rejected.map((x) => x[2])).toEqual(["'-2+3", "'\tTAB", "'\rCR"]);
    expect(rejected.map((x) => x[2 + home])).toEqual(["'=evil()", "'=evil()", "'=evil()"]);
    expect(rejected.map((x) => x.at(-1))).toEqual(Array(3).fill(`'=HYPERLINK("http://x","y")`));
    // Nothing else in either file starts a formula, except numbers the project computed.
    const numeric = new Set(outHeader!.flatMap((h, c) => (h === "probability" || h.startsWith("impact_") ? [c] : [])));
    for (const row of scored) row.forEach((cell, c) => { if (FORMULA.test(cell)) expect(numeric.has(c), cell).toBe(true); });
    for (const row of rejected) row.slice(1).forEach((cell) => expect(FORMULA.test(cell), cell).toBe(false));
  });
});
