import { seededRandom } from "../../shared/random.ts";

/** Random labelled rows; scores rounded to `decimals` so that ties (within and across classes) are common, labels drawn as Bernoulli(score). */
export function randomRows(seed: number, n: number, decimals: number): { labels: number[]; scores: number[] } {
  const random = seededRandom(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  const scale = 10 ** decimals;
  for (let i = 0; i < n; i++) {
    const s = Math.round(random() * scale) / scale;
    scores.push(s);
    labels.push(random() < s ? 1 : 0);
  }
  return { labels, scores };
}
