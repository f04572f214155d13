/**
 * Bootstrap 95 % intervals for the ranking metrics (AUC, KS, Gini): a point
 * estimate on a few hundred test rows says little on its own, and a validator
 * signs off on a range. Seeded, so the same data gives the same interval.
 */
import { seededRandom } from "../../shared/random.ts";
import { checkPair, type Vector } from "./checks.ts";
import { gini, ks, rocAuc } from "./ranking.ts";

export interface Interval { value: number; low: number; high: number }

export interface RankingIntervals {
  auc: Interval;
  ks: Interval;
  gini: Interval;
  /** Resamples drawn, and how many had both classes (the others are skipped: AUC is undefined there). */
  resamples: number;
  used: number;
  seed: number;
  level: 0.95;
  method: "percentile; rows drawn with replacement";
}

/** Linear-interpolation quantile of sorted values (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return a + (b - a) * (h - lo);
}

export function rankingIntervals(labels: Vector, scores: Vector, resamples = 500, seed = 42): RankingIntervals {
  checkPair("rankingIntervals", labels, scores);
  const n = labels.length;
  const random = seededRandom(seed);
  const aucs: number[] = [];
  const kss: number[] = [];
  const y = new Float64Array(n);
  const s = new Float64Array(n);
  for (let b = 0; b < resamples; b++) {
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const r = Math.floor(random() * n);
      y[i] = labels[r]!;
      s[i] = scores[r]!;
      pos += y[i]!;
    }
    if (pos === 0 || pos === n) continue;
    aucs.push(rocAuc(y, s));
    kss.push(ks(y, s).statistic);
  }
  if (aucs.length === 0) throw new Error("rankingIntervals: no resample had both classes");
  aucs.sort((a, b) => a - b);
  kss.sort((a, b) => a - b);
  const auc = rocAuc(labels, scores);
  const lowAuc = quantile(aucs, 0.025);
  const highAuc = quantile(aucs, 0.975);
  return {
    auc: { value: auc, low: lowAuc, high: highAuc },
    ks: { value: ks(labels, scores).statistic, low: quantile(kss, 0.025), high: quantile(kss, 0.975) },
    // Gini is a monotone function of AUC: its percentile interval is the image of AUC's.
    gini: { value: gini(auc), low: gini(lowAuc), high: gini(highAuc) },
    resamples, used: aucs.length, seed, level: 0.95, method: "percentile; rows drawn with replacement",
  };
}
