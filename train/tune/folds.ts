/**
 * Stratified k-fold cross-validation on the training rows: each class is
 * shuffled (seeded) and dealt round-robin into k folds, so every fold has the
 * base rate of the whole. On a thousand rows one validation split is too
 * noisy to choose between models; k folds average that noise out.
 */
import { seededRandom, shuffleInPlace } from "../../shared/random.ts";
import { memoryMatrix, rowsInMemory, type Matrix } from "../data/matrix.ts";

/** Fold index (0..k-1) of each row; `stratified` false (a regression target): one seeded shuffle of all rows. */
export function assignFolds(y: Float32Array, k: number, seed: number, stratified = true): Uint8Array {
  const fold = new Uint8Array(y.length);
  const random = seededRandom(seed);
  let next = 0;
  for (const cls of stratified ? [0, 1] : [undefined]) {
    const idx: number[] = [];
    y.forEach((v, i) => { if (cls === undefined || v === cls) idx.push(i); });
    shuffleInPlace(idx, random);
    for (const i of idx) { fold[i] = next; next = (next + 1) % k; }
  }
  return fold;
}

function rows(m: Matrix, pick: (i: number) => boolean): Matrix {
  const mx = rowsInMemory(m, "cross-validation (npm run tune)");
  let n = 0;
  for (let i = 0; i < m.n; i++) if (pick(i)) n++;
  const x = new Float32Array(n * m.width);
  const y = new Float32Array(n);
  let r = 0;
  for (let i = 0; i < m.n; i++) {
    if (!pick(i)) continue;
    x.set(mx.subarray(i * m.width, (i + 1) * m.width), r * m.width);
    y[r++] = m.y[i] as number;
  }
  return memoryMatrix(x, y, m.width);
}

/** Fold `f` as a split: train on the other folds, validate on this one (rows keep their order). */
export function foldSplit(m: Matrix, fold: Uint8Array, f: number): { train: Matrix; validation: Matrix } {
  return { train: rows(m, (i) => fold[i] !== f), validation: rows(m, (i) => fold[i] === f) };
}
