/**
 * Small seeded samples of the bundled data, like the held-out sets of issue 23:
 * 800 credit applicants with 12 % bad (704 good, 96 bad) and 546 wage rows of
 * cps1988. The tune-vs-default tests and the bench's tune section use them.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seededRandom, shuffleInPlace } from "../../shared/random.ts";
import { CPS_CSV } from "./train-fixture.ts";

/** A seeded sample of a CSV's rows written to `dir` (header kept); returns its path. */
function sample(path: string, out: string, seed: number, pick: (rows: string[], random: () => number) => string[]): string {
  const [header, ...rows] = readFileSync(path, "utf8").trim().split("\n");
  writeFileSync(out, `${[header, ...pick(rows, seededRandom(seed))].join("\n")}\n`);
  return out;
}

export function creditSample(dir: string, seed: number): string {
  return sample("data/credit_data.csv", join(dir, `credit-${seed}.csv`), seed, (rows, random) => {
    const bad = rows.filter((r) => r.startsWith("bad,"));
    const good = rows.filter((r) => !r.startsWith("bad,"));
    shuffleInPlace(bad, random);
    shuffleInPlace(good, random);
    return [...good.slice(0, 704), ...bad.slice(0, 96)];
  });
}

export function wageSample(dir: string, seed: number): string {
  return sample(CPS_CSV, join(dir, `cps-${seed}.csv`), seed, (rows, random) => {
    shuffleInPlace(rows, random);
    return rows.slice(0, 546);
  });
}
