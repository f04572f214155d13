/**
 * A small credit-like data set with a protected attribute, built from the
 * bundled cps1988 wages: "low_wage" (below the 35th percentile) is the adverse
 * outcome, ethnicity is protected (never a feature), and region and smsa carry
 * some of its information. 600 afam and 2400 cauc rows, seeded: on it the
 * unconstrained tuner's winner falls under the four-fifths rule and a nearly
 * as accurate trial does not (test/lda.test.ts, README "Less discriminatory alternatives").
 */
import { readFileSync, writeFileSync } from "node:fs";
import { seededRandom, shuffleInPlace } from "../../shared/random.ts";

export function writeLdaData(path: string, seed = 4): void {
  const [, ...lines] = readFileSync("data/cps1988.csv", "utf8").trim().split("\n");
  const rows = lines.map((l) => l.split(","));
  const random = seededRandom(seed);
  const pick = (group: string, n: number) => shuffleInPlace(rows.filter((r) => r[3] === group), random).slice(0, n);
  const sample = shuffleInPlace([...pick("afam", 600), ...pick("cauc", 2400)], random);
  const wages = sample.map((r) => Number(r[0])).sort((a, b) => a - b);
  const cut = wages[Math.floor(wages.length * 0.35)] as number;
  const out = sample.map(([wage, education, experience, ethnicity, smsa, region, parttime]) => [Number(wage) < cut ? "yes" : "no", education, experience, ethnicity, smsa, region, parttime].join(","));
  writeFileSync(path, `low_wage,education,experience,ethnicity,smsa,region,parttime\n${out.join("\n")}\n`);
}
