/**
 * Terminal escapes: column names and cells come from files anyone can write,
 * and a terminal obeys control characters in them (ESC sequences recolour,
 * retitle, write the clipboard; BEL rings; CR overwrites the line). Every
 * command prints them as visible escapes instead, on stderr and stdout, and
 * `--json` keeps them escaped as JSON does.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as monitorCommand } from "../train/cli/monitor.ts";
import { jsonText, printable } from "../train/cli/output.ts";
import { run as scoreCommand } from "../train/cli/score.ts";
import { publishTo } from "../train/job.ts";
import { runInProcess, runScript } from "./helpers/cli.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

/** Raw controls a terminal would act on: C0 but newline, DEL, C1. */
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;
const RED = "a\x1b[31mred";

let dir: string;
let w: TestWorker;
const file = (name: string, rows: string[][]) => { const p = join(dir, name); writeFileSync(p, stringify(rows)); return p; };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "edgescore-terminal-"));
  w = await startWorker();
  await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
}, 120_000);
afterAll(async () => { await w?.dispose(); });

describe("printable and jsonText", () => {
  it("show C0/C1 controls, DEL and bidi overrides as escapes, and keep newlines and ordinary text", () => {
    expect(printable(`${RED}\x07 \r\t\x7f\x9b\u202e ok\nnext é €`)).toBe("a\\x1b[31mred\\x07 \\x0d\\x09\\x7f\\x9b\\u202e ok\nnext é €");
    const json = jsonText({ name: `${RED}\x9b\u202e` });
    expect(json).not.toMatch(RAW);
    expect(JSON.parse(json)).toEqual({ name: `${RED}\x9b\u202e` });
  });
});

describe("commands print control characters from the data escaped", () => {
  it("npm run train: column names and values in logs, the spec and error messages", async () => {
    const rows = Array.from({ length: 60 }, (_, i) => [String(i % 7), i % 2 ? "x\x07y" : "plain", i % 3 ? "good" : "bad"]);
    const data = file("train.csv", [[RED, "kind\r", "y"], ...rows]);
    const dry = await runScript("train/cli/train.ts", ["--data", data, "--target", "y", "--positive", "bad", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stderr).not.toMatch(RAW);
    expect(dry.stderr).toContain("a\\x1b[31mred");
    const missing = await runScript("train/cli/train.ts", ["--data", data, "--target", "nope", "--dry-run", "--json"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).not.toMatch(RAW);
    expect(missing.stderr).toContain("a\\x1b[31mred");
    expect(missing.stdout).not.toMatch(RAW);
    expect((missing.json?.error as { message: string }).message).toContain(RED);
  }, 60_000);

  it("npm run score and npm run monitor: column lists in errors and unseen categories in the summary", async () => {
    const lines = readFileSync("data/credit_data.csv", "utf8").trim().split("\n").slice(0, 41).map((l) => l.split(","));
    const home = lines[0]!.indexOf("Home");
    const data = file("recent.csv", [[...lines[0]!, RED], ...lines.slice(1).map((l, i) => {
      const row = [...l, "v\x07"];
      if (i % 2) row[home] = "mars\x1b]0;pwned\x07";
      return row;
    })]);
    // A misspelt --id-column is the flag's to fix (exit 2); its message lists the columns.
    const score = await runInProcess(scoreCommand, w.s3, ["--data", data, "--out", join(dir, "s.csv"), "--id-column", "nope"]);
    expect(score.code).toBe(2);
    expect(score.stderr).not.toMatch(RAW);
    expect(score.stderr).toContain("a\\x1b[31mred");
    const monitor = await runInProcess(monitorCommand, w.s3, ["--data", data, "--max-skipped", "1"]);
    expect(monitor.stderr).toContain("mars\\x1b]0;pwned\\x07");
    expect(monitor.stderr).not.toMatch(RAW);
  });
});
