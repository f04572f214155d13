/**
 * Synthetic large training files with the bundled schema: rows of
 * data/credit_data.csv drawn with replacement and numeric cells perturbed by
 * ±10 % (missing cells stay missing, labels stay with their row), from a fixed
 * seed, so every run benchmarks the same bytes.
 */
import { closeSync, openSync, statSync, writeSync } from "node:fs";
import { seededRandom } from "../shared/random.ts";
import { DATA_CSV, readPlainCsv } from "./instances.ts";

export function generateCsv(path: string, rows: number, seed = 20261129): { rows: number; bytes: number } {
  const { header, rows: source } = readPlainCsv(DATA_CSV);
  const numeric = header.map((_, c) => source.every((r) => r[c] === "" || Number.isFinite(Number(r[c]))));
  const random = seededRandom(seed);
  const fd = openSync(path, "w");
  try {
    writeSync(fd, `${header.join(",")}\n`);
    let chunk = "";
    for (let i = 0; i < rows; i++) {
      const src = source[Math.floor(random() * source.length)] as string[];
      const cells = src.map((cell, c) => (numeric[c] && cell !== "" ? String(Math.max(0, Math.round(Number(cell) * (0.9 + 0.2 * random())))) : cell));
      chunk += `${cells.join(",")}\n`;
      if (chunk.length > 1 << 20) { writeSync(fd, chunk); chunk = ""; }
    }
    writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return { rows, bytes: statSync(path).size };
}
