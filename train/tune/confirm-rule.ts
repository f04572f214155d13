/**
 * The confirmation's rule: which of the search's best, the default
 * configuration and a linear model becomes the model, judged on splits the
 * search did not rank trials on (train/tune/confirm.ts). The default is the
 * reference a team would train without a search, so it is kept unless a
 * challenger beats it on the same splits by more than the measured noise: the
 * mean paired difference over the splits must exceed its standard error
 * (sd / √n). Within the noise, the one-standard-error rule picks the simpler
 * model: the default over a challenger, the linear model over the search's
 * best when both beat the default. A search that can only lose by noise then
 * keeps the default, by construction.
 */

export type CandidateName = "search" | "default" | "linear";

export interface CandidateScores {
  name: CandidateName;
  /** The metric on each confirmation split, in the same split order for every candidate (NaN: not finished). */
  scores: number[];
}

export interface Difference {
  /** Mean over splits of (this − other), signed so that positive is better; and its standard error. */
  mean: number;
  se: number;
  /** Better by more than the noise (mean > se, and mean > 0). */
  beats: boolean;
}

export interface ConfirmRow {
  name: CandidateName;
  mean: number;
  sd: number;
  /** Against the default on the same splits (absent for the default itself). */
  vsDefault?: Difference;
}

export interface Verdict {
  winner: CandidateName;
  rows: ConfirmRow[];
  /** One sentence: which won and why. */
  reason: string;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sd = (xs: number[]) => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};
const complete = (xs: number[]) => xs.length > 0 && xs.every(Number.isFinite);

/** Paired difference a − b per split (`sign` +1 when higher is better, −1 otherwise). */
export function pairedDifference(a: number[], b: number[], sign: 1 | -1): Difference {
  if (a.length !== b.length || !complete(a) || !complete(b)) return { mean: NaN, se: NaN, beats: false };
  const d = a.map((x, i) => sign * (x - (b[i] as number)));
  const m = mean(d);
  const se = sd(d) / Math.sqrt(d.length);
  return { mean: m, se, beats: d.length >= 2 && m > 0 && m > se };
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : "n/a");

/** `higherIsBetter`: AUC; lower is better for log loss and RMSE. `metricName` goes into the reason. */
export function confirmWinner(candidates: CandidateScores[], higherIsBetter: boolean, metricName: string): Verdict {
  const sign: 1 | -1 = higherIsBetter ? 1 : -1;
  const def = candidates.find((c) => c.name === "default");
  if (!def) throw new Error("the confirmation needs the default configuration among its candidates");
  const rows: ConfirmRow[] = candidates.map((c) => ({
    name: c.name, mean: complete(c.scores) ? mean(c.scores) : NaN, sd: complete(c.scores) ? sd(c.scores) : NaN,
    ...(c.name === "default" ? {} : { vsDefault: pairedDifference(c.scores, def.scores, sign) }),
  }));
  const row = (n: CandidateName) => rows.find((r) => r.name === n);
  const search = row("search");
  const describe = (r: ConfirmRow | undefined) => (r?.vsDefault ? `Δ ${metricName} ${fmt(sign * r.vsDefault.mean)} ± ${fmt(r.vsDefault.se)}` : "");
  if (!complete(def.scores)) {
    return { winner: "default", rows, reason: "default kept: the confirmation did not finish (time budget), so nothing was shown to beat the default" };
  }
  const beating = rows.filter((r) => r.vsDefault?.beats);
  if (!beating.length) {
    return { winner: "default", rows, reason: `default kept: the search's best was not better on confirmation data by more than its noise (${describe(search) || "no search result"})` };
  }
  if (beating.length === 1) {
    const w = beating[0] as ConfirmRow;
    return { winner: w.name, rows, reason: `${w.name === "search" ? "the search's best" : "the linear model"} won: better than the default on confirmation data by more than its noise (${describe(w)})` };
  }
  const s = candidates.find((c) => c.name === "search") as CandidateScores;
  const l = candidates.find((c) => c.name === "linear") as CandidateScores;
  const over = pairedDifference(s.scores, l.scores, sign);
  return over.beats
    ? { winner: "search", rows, reason: `the search's best won: better than the default (${describe(search)}) and than the linear model (Δ ${metricName} ${fmt(sign * over.mean)} ± ${fmt(over.se)}) by more than the noise` }
    : { winner: "linear", rows, reason: `the linear model won: both it and the search's best beat the default, and the search's best was within the noise of it (Δ ${metricName} ${fmt(sign * over.mean)} ± ${fmt(over.se)}; one-standard-error rule)` };
}
