/**
 * Stratified, seeded train/validation/test assignment: each class is shuffled
 * on its own and cut in the same proportions, so the splits share the base
 * rate and the same seed always gives the same split.
 */
import { seededRandom, shuffleInPlace } from "../../shared/random.ts";

export const TRAIN = 0;
export const VALIDATION = 1;
export const TEST = 2;
export const EXCLUDED = 255;

export interface SplitFractions { validation: number; test: number }

/**
 * `classOf[i]` is row i's class (0/1) or negative to exclude it. `fixedTest`
 * marks rows that must be test rows (a fixed split); then `fractions.test` is
 * ignored and only validation is drawn from the rest.
 */
export function stratifiedSplit(classOf: Int8Array, fractions: SplitFractions, seed: number, fixedTest?: Set<number>): Uint8Array {
  const out = new Uint8Array(classOf.length).fill(EXCLUDED);
  const random = seededRandom(seed);
  for (const cls of [0, 1]) {
    const idx: number[] = [];
    let total = 0;
    for (let i = 0; i < classOf.length; i++) {
      if (classOf[i] !== cls) continue;
      total++;
      if (fixedTest?.has(i)) out[i] = TEST;
      else idx.push(i);
    }
    shuffleInPlace(idx, random);
    const nTest = fixedTest ? 0 : Math.round(idx.length * fractions.test);
    const rest = idx.length - nTest;
    // Both fractions are shares of all of the class's rows, fixed test rows included.
    const nVal = Math.round(total * fractions.validation);
    idx.forEach((row, k) => {
      out[row] = k < nTest ? TEST : k < nTest + Math.min(nVal, rest) ? VALIDATION : TRAIN;
    });
  }
  return out;
}
