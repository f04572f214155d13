/**
 * Real applicants for request bodies: held-out rows of data/credit_data.csv
 * (data/credit_data.test_rows.csv) as the JSON instances a client sends, the
 * same conversion as test/helpers/global-setup.ts (empty cell → null).
 */
import { readFileSync } from "node:fs";
import type { FeatureSpec } from "../shared/spec.ts";

export type Instance = Record<string, number | string | null>;

export const DATA_CSV = "data/credit_data.csv";
const TEST_ROWS = "data/credit_data.test_rows.csv";

/** The bundled CSV has no quoted fields (data/credit_data.md), so splitting on commas is exact. */
export function readPlainCsv(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, "utf8").trim().split("\n");
  return { header: (lines[0] ?? "").split(","), rows: lines.slice(1).map((l) => l.split(",")) };
}

export function testInstances(spec: FeatureSpec, count: number): Instance[] {
  const { header, rows } = readPlainCsv(DATA_CSV);
  const picked = readFileSync(TEST_ROWS, "utf8").trim().split("\n").slice(1).map(Number).slice(0, count);
  if (picked.length < count) throw new Error(`${TEST_ROWS} has only ${picked.length} rows; need ${count}`);
  return picked.map((r) => {
    const cells = rows[r];
    if (!cells) throw new Error(`${TEST_ROWS}: row ${r} is not in ${DATA_CSV}`);
    const instance: Instance = {};
    header.forEach((h, c) => {
      const f = spec.features.find((x) => x.name === h);
      if (!f) return; // the target
      const cell = cells[c] ?? "";
      instance[h] = cell === "" ? null : f.type === "numeric" ? Number(cell) : cell;
    });
    return instance;
  });
}

export function body(instances: Instance[]): string {
  return JSON.stringify({ instances });
}
