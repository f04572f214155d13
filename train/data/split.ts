/**
 * Train/validation/test assignment. Random: stratified and seeded, each class
 * shuffled on its own and cut in the same proportions, so the splits share the
 * base rate and the same seed always gives the same split (a regression's rows
 * are one "class": a seeded shuffle). Out of time: by a time column, the past
 * for training and the most recent rows for the test.
 */
import { seededRandom, shuffleInPlace } from "../../shared/random.ts";
import { formatTime, type TimeKind } from "./time.ts";

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

/** One split's time span and size. */
export interface Period { from: string; to: string; rows: number }

/** An out-of-time split as the card records it. */
export interface Periods {
  column: string;
  kind: TimeKind;
  /** The first time in the test period (`--test-from`, or where the most recent test share starts). */
  testFrom: string;
  train: Period;
  validation: Period | null;
  test: Period;
}

export class SplitError extends Error {}

/**
 * Out-of-time assignment: rows are ordered by `times`; the test split is every
 * row at or after `testFrom` (default: where the most recent `fractions.test`
 * of the usable rows start), validation the most recent `fractions.validation`
 * of the rows before it (a share of all usable rows, as in the random split),
 * training the rest: the model learns on the past, stops early on the period
 * just before the test, and is judged on the newest rows. Rows with the same
 * time always land in the same split. `usable[i] < 0` excludes row i.
 */
export function timeSplit(times: Float64Array, usable: Int8Array, fractions: SplitFractions, testFrom?: number): { split: Uint8Array; testStart: number } {
  const out = new Uint8Array(usable.length).fill(EXCLUDED);
  const order: number[] = [];
  for (let i = 0; i < usable.length; i++) if ((usable[i] as number) >= 0) order.push(i);
  order.sort((a, b) => (times[a] as number) - (times[b] as number) || a - b);
  const n = order.length;
  if (n === 0) throw new SplitError("no usable rows to split");
  const at = (k: number) => times[order[k] as number] as number;
  const testStart = testFrom ?? at(Math.min(n - 1, Math.max(0, n - Math.round(n * fractions.test))));
  let past = 0;
  while (past < n && at(past) < testStart) past++;
  if (past === n) throw new SplitError("no row is at or after the start of the test period: nothing to test on");
  if (past === 0) throw new SplitError("every row is in the test period: nothing before it to train on");
  const nVal = Math.round(n * fractions.validation);
  let valStart = past;
  if (nVal > 0) {
    const t = at(Math.max(0, past - nVal));
    valStart = 0;
    while (at(valStart) < t) valStart++;
    if (valStart === 0) throw new SplitError("the validation period takes every row before the test period: nothing left to train on (lower --validation or move --test-from later)");
  }
  order.forEach((row, k) => { out[row] = k >= past ? TEST : k >= valStart ? VALIDATION : TRAIN; });
  return { split: out, testStart };
}

/** The time span and row count of each split, for the card. */
export function periodsOf(times: Float64Array, split: Uint8Array, column: string, kind: TimeKind, testStart: number): Periods {
  const span = [TRAIN, VALIDATION, TEST].map(() => ({ from: Infinity, to: -Infinity, rows: 0 }));
  for (let i = 0; i < split.length; i++) {
    const s = span[split[i] as number];
    if (!s) continue;
    const t = times[i] as number;
    s.rows++;
    if (t < s.from) s.from = t;
    if (t > s.to) s.to = t;
  }
  const period = (s: { from: number; to: number; rows: number }): Period => ({ from: formatTime(kind, s.from), to: formatTime(kind, s.to), rows: s.rows });
  const [train, validation, test] = span as [typeof span[0], typeof span[0], typeof span[0]];
  return { column, kind, testFrom: formatTime(kind, testStart), train: period(train), validation: validation.rows ? period(validation) : null, test: period(test) };
}

/** "train 1988-01-01 to 1988-06-30 (n rows), …", the card's one-line description. */
export function describePeriods(p: Periods): string {
  const one = (name: string, q: Period | null) => (q ? `${name} ${q.from} to ${q.to} (${q.rows} rows)` : `${name} none`);
  return `out of time on "${p.column}": ${one("train", p.train)}; ${one("validation", p.validation)}; ${one("test", p.test)}`;
}
