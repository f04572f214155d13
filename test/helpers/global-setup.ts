/**
 * Runs once before all test files: builds the worker exactly as `wrangler
 * deploy` would bundle it, and trains two small models on the bundled data
 * with the real training code, saving them plus training-side predictions.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { runJob } from "../../train/job.ts";
import type { Fixtures, ParityCase } from "./fixtures.ts";
import { quickJob } from "./train-fixture.ts";

function csvRows(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, "utf8").trim().split("\n");
  // The bundled CSV has no quoted fields (see data/credit_data.md), so a split is exact here.
  return { header: (lines[0] as string).split(","), rows: lines.slice(1).map((l) => l.split(",")) };
}

export default async function setup(project: TestProject): Promise<() => void> {
  const root = mkdtempSync(join(tmpdir(), "edgescore-test-"));
  const workerDir = join(root, "worker");
  execFileSync(process.execPath, ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", "--outdir", workerDir], { stdio: "pipe" });

  const artifactDirs: string[] = [];
  let parity: ParityCase[] = [];
  for (const seed of [42, 7]) {
    const result = await runJob(quickJob({ seed, train: { ...quickJob().train, seed } }), { log: () => {} });
    const a = result.artifact!;
    const dir = join(root, `artifact-${seed}`);
    mkdirSync(dir);
    for (const [f, bytes] of a.files) writeFileSync(join(dir, f), bytes);
    artifactDirs.push(dir);
    if (seed === 42) {
      // Test rows in file order are exactly the rows of the test matrix (none are skipped in the bundled data).
      const { header, rows } = csvRows("data/credit_data.csv");
      const testRows = readFileSync("data/credit_data.test_rows.csv", "utf8").trim().split("\n").slice(1).map(Number);
      parity = testRows.map((r, i) => {
        const instance: Record<string, number | string | null> = {};
        header.forEach((h, c) => {
          if (h === "Status") return;
          const cell = (rows[r] as string[])[c] as string;
          const f = a.manifest.spec.features.find((x) => x.name === h);
          instance[h] = cell === "" ? null : f?.type === "numeric" ? Number(cell) : cell;
        });
        return { instance, expected: result.testScores![i] as number };
      });
    }
  }
  const fixtures: Fixtures = { workerDir, artifactDirs: artifactDirs as [string, string], parity };
  project.provide("fixtures", fixtures);
  return () => rmSync(root, { recursive: true, force: true });
}
