/**
 * A "german-like" credit sample built from data/credit_data.csv: 1,000
 * applicants, 300 bad and 700 good (the German credit data's 30 %), drawn
 * with a seed, and mostly categorical like that data set: home, marital
 * status, records, job and the loan term as they are, seniority, income,
 * assets and debt cut into bands; only age and the amount stay numeric.
 * Small and imbalanced, where two training engines part ways first if they do.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seededRandom, shuffleInPlace } from "../../shared/random.ts";

const band = (v: string, edges: number[], prefix: string): string => {
  const x = Number(v);
  if (!Number.isFinite(x)) return "";
  const i = edges.findIndex((e) => x < e);
  return `${prefix}${i === -1 ? edges.length : i}`;
};

/** Writes the sample to a temporary CSV and returns its path (target Status, positive "bad", Time categorical). */
export function germanLikeCsv(seed = 23): string {
  const [header, ...lines] = readFileSync("data/credit_data.csv", "utf8").trim().split("\n");
  const col = Object.fromEntries(header!.split(",").map((c, i) => [c, i]));
  const rows = lines.map((l) => l.split(","));
  const random = seededRandom(seed);
  const bad = shuffleInPlace(rows.filter((r) => r[col.Status!] === "bad"), random).slice(0, 300);
  const good = shuffleInPlace(rows.filter((r) => r[col.Status!] === "good"), random).slice(0, 700);
  const out = shuffleInPlace([...bad, ...good], random).map((r) => {
    const v = (c: string) => r[col[c]!] ?? "";
    return [
      v("Status"), v("Home"), v("Marital"), v("Records"), v("Job"), v("Time"),
      band(v("Seniority"), [1, 4, 7], "s"), band(v("Income"), [80, 120, 170], "i"), band(v("Assets"), [1, 3000, 8000], "a"), band(v("Debt"), [1], "d"),
      v("Age"), v("Amount"),
    ].join(",");
  });
  const path = join(mkdtempSync(join(tmpdir(), "german-like-")), "german-like.csv");
  writeFileSync(path, ["Status,Home,Marital,Records,Job,Time,SeniorityBand,IncomeBand,AssetsBand,DebtBand,Age,Amount", ...out].join("\n") + "\n");
  return path;
}
