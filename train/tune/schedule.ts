/**
 * Successive halving in brackets (Hyperband's inner loop). A bracket samples n
 * configurations and trains each for a few epochs (rung 0); the best 1/eta
 * continue to the next rung's epoch count, and so on up to the full epochs.
 * Bad configurations cost a few epochs instead of a full training.
 *
 * Decisions are made per bracket, only once every trial of a rung reported, on
 * scores that depend only on the data, the configuration and the seed. So
 * the result does not depend on which worker ran what or how fast: the same
 * seed gives the same winner (with --time-budget, as far as the time allowed).
 * Work units are (trial, fold, up to epoch); a trial's fold keeps its state in
 * the worker that started it, so a promoted unit goes back to that worker.
 */
import type { TrainOptions } from "../fit/options.ts";
import type { GroupCount } from "./constraint.ts";

/** What trials are judged by: a classifier's AUC (higher is better) or log loss; a regression's RMSE on the target's scale. */
export type Metric = "auc" | "logloss" | "rmse";

/** Higher is better for this metric. */
export const higherIsBetter = (m: Metric) => m === "auc";

export interface FoldResult {
  /** Epochs trained so far. */
  epochs: number;
  /** The epoch with the lowest validation loss (what early stopping would keep). */
  bestEpoch: number;
  /** Validation loss and AUC (a regression's: NaN) after each epoch so far. */
  valLoss: number[];
  valAuc: number[];
  /** A regression's validation RMSE on the target's scale after each epoch (absent or NaN for a classifier). */
  valRmse?: number[];
  /** Early stopping ended this fold: more epochs would change nothing. */
  stopped: boolean;
  /** With protected attributes: per epoch, per attribute, the validation rows counted by group (train/tune/constraint.ts). */
  groupCounts?: GroupCount[][][];
  /** Seconds of training for this unit (and per epoch, for estimates). */
  seconds: number;
}

export interface Trial {
  id: number;
  options: TrainOptions;
  bracket: number;
  /** Highest rung every fold finished (-1: none yet). */
  rung: number;
  folds: (FoldResult | undefined)[];
  /** Worker holding each fold's state. */
  worker: (number | undefined)[];
  /** Cut short by the deadline or eliminated: gets no more work. */
  done: boolean;
  seconds: number;
  epochs: number;
}

export interface Unit {
  trial: number;
  fold: number;
  toEpoch: number;
  options: TrainOptions;
}

/** Epoch counts of the rungs: r0, r0·eta, … and maxEpochs last (at most `count` rungs). */
export function rungEpochs(maxEpochs: number, eta: number, count = 4): number[] {
  const r0 = Math.max(1, Math.round(maxEpochs / eta ** (count - 1)));
  const out: number[] = [];
  for (let i = 0, r = r0; i < count - 1 && r < maxEpochs; i++, r *= eta) out.push(r);
  out.push(maxEpochs);
  return out;
}

export interface ScheduleOptions {
  maxEpochs: number;
  eta: number;
  folds: number;
  metric: Metric;
  /** Stop sampling after this many trials. */
  maxTrials?: number;
  /** Rungs per bracket (default 4); 1 trains every trial to maxEpochs (plain random search). */
  rungCount?: number;
}

/**
 * Epochs × folds a bracket of `size` trials trains when nothing stops early:
 * every rung's survivors (at least one) train from the previous rung's epochs.
 */
export function bracketEpochs(size: number, rungs: number[], eta: number, folds: number): number {
  let total = 0;
  let previous = 0;
  rungs.forEach((r, i) => {
    total += Math.max(1, Math.floor(size / eta ** i)) * (r - previous) * folds;
    previous = r;
  });
  return total;
}

/**
 * The epoch a refit on every training row would train for: the mean over folds
 * of the best epoch (with one fold, that fold's best epoch).
 */
export function refitEpoch(t: Trial): number {
  const best = t.folds.map((f) => f?.bestEpoch ?? 0);
  return Math.max(1, Math.round(best.reduce((s, x) => s + x, 0) / best.length));
}

/**
 * Mean and sample standard deviation over folds of the metric at the epoch the
 * refit will use. Not each fold's own best epoch: the best of many epochs,
 * picked on the very rows that score it, flatters noisy training most, and
 * the refit cannot pick per fold anyway.
 */
export function foldScore(t: Trial, metric: Metric): { mean: number; sd: number } {
  const xs = foldScores(t, metric);
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

/** Each fold's metric at the refit epoch (with one fold: at its best epoch), in fold order; NaN for a fold without a result. */
export function foldScores(t: Trial, metric: Metric): number[] {
  const e = refitEpoch(t);
  return t.folds.map((f) => {
    if (!f) return NaN;
    const series = metric === "auc" ? f.valAuc : metric === "rmse" ? (f.valRmse ?? []) : f.valLoss;
    return (t.folds.length === 1 ? series[f.bestEpoch - 1] : series[Math.min(e, series.length) - 1]) ?? NaN;
  });
}

export class Scheduler {
  readonly trials: Trial[] = [];
  readonly rungs: number[];
  private readonly brackets: { ids: number[]; planned: number; trained: number }[] = [];
  private readonly queue: Unit[] = [];
  private readonly pinned = new Map<number, Unit[]>();

  /** `first`: an order that comes before the score (the fairness constraint: trials meeting it first, train/tune/lda.ts); 0 leaves it to the score. */
  constructor(private readonly o: ScheduleOptions, private readonly sample: (id: number) => TrainOptions, private readonly first: (a: Trial, b: Trial) => number = () => 0) {
    this.rungs = rungEpochs(o.maxEpochs, o.eta, o.rungCount);
  }

  /** Higher is better, whatever the metric. */
  private better(t: Trial): number {
    const { mean } = foldScore(t, this.o.metric);
    return higherIsBetter(this.o.metric) ? mean : -mean;
  }

  /** Best first: the constraint's order, then the score, then the id. */
  private compare(a: Trial, b: Trial): number {
    return this.first(a, b) || this.better(b) - this.better(a) || a.id - b.id;
  }

  /** Sampling may go on (the trial cap is not reached). */
  canOpenBracket(): boolean {
    return this.o.maxTrials === undefined || this.trials.length < this.o.maxTrials;
  }

  /**
   * Next unit for `worker`: its own pinned work first, then fresh rung-0 work.
   * With nothing queued, `open(remainingTrials)` sizes a new bracket (0: none).
   */
  next(worker: number, open: (remaining: number) => number): Unit | undefined {
    const mine = this.pinned.get(worker);
    if (mine?.length) return mine.shift();
    if (!this.queue.length && this.canOpenBracket()) {
      const size = Math.min(open((this.o.maxTrials ?? Infinity) - this.trials.length), (this.o.maxTrials ?? Infinity) - this.trials.length);
      if (size > 0) this.openBracket(size);
    }
    const unit = this.queue.shift();
    if (unit) (this.trials[unit.trial] as Trial).worker[unit.fold] = worker;
    return unit;
  }

  private openBracket(size: number): void {
    const ids: number[] = [];
    for (let k = 0; k < size; k++) {
      const id = this.trials.length;
      const options = this.sample(id);
      this.trials.push({ id, options, bracket: this.brackets.length, rung: -1, folds: new Array(this.o.folds).fill(undefined), worker: new Array(this.o.folds).fill(undefined), done: false, seconds: 0, epochs: 0 });
      ids.push(id);
      for (let f = 0; f < this.o.folds; f++) this.queue.push({ trial: id, fold: f, toEpoch: this.rungs[0] as number, options });
    }
    this.brackets.push({ ids, planned: bracketEpochs(size, this.rungs, this.o.eta, this.o.folds), trained: 0 });
  }

  /** Epochs × folds the open brackets still plan to train (an estimate: early stopping only makes it less). */
  outstandingEpochs(): number {
    return this.brackets.reduce((sum, b) => sum + (b.ids.every((id) => (this.trials[id] as Trial).done) ? 0 : Math.max(0, b.planned - b.trained)), 0);
  }

  /** A unit finished; returns the trials eliminated by this result (their worker state can go). */
  report(unit: Unit, r: FoldResult): Trial[] {
    const t = this.trials[unit.trial] as Trial;
    (this.brackets[t.bracket] as { trained: number }).trained += r.epochs - (t.folds[unit.fold]?.epochs ?? 0);
    t.folds[unit.fold] = r;
    t.seconds += r.seconds;
    t.epochs = Math.max(t.epochs, r.epochs);
    const target = this.rungs.indexOf(unit.toEpoch);
    if (t.folds.every((f) => f && (f.epochs >= unit.toEpoch || f.stopped))) t.rung = target;
    return this.promote(t.bracket, target);
  }

  /** A unit cut by the deadline: its trial gets no more work. */
  cancel(unit: Unit): void {
    (this.trials[unit.trial] as Trial).done = true;
  }

  /**
   * When every live trial of the bracket finished rung `k`: the best 1/eta go
   * on, the rest are done. Logistic regressions and networks are ranked
   * apart, so the best logistic regression always reaches the last rung: it
   * learns slower in its first epochs and would otherwise be cut before the
   * comparison that matters (see select.ts).
   */
  private promote(bracket: number, k: number): Trial[] {
    const live = (this.brackets[bracket] as { ids: number[] }).ids.map((id) => this.trials[id] as Trial).filter((t) => !t.done);
    if (live.some((t) => t.rung < k)) return [];
    const atRung = live.filter((t) => t.rung === k);
    if (!atRung.length) return [];
    if (k === this.rungs.length - 1) { atRung.forEach((t) => { t.done = true; }); return atRung; }
    const kept: Trial[] = [];
    const dropped: Trial[] = [];
    for (const logistic of [true, false]) {
      const ranked = atRung.filter((t) => (t.options.hidden.length === 0) === logistic).sort((a, b) => this.compare(a, b));
      const keep = Math.max(1, Math.floor(ranked.length / this.o.eta));
      kept.push(...ranked.slice(0, keep));
      dropped.push(...ranked.slice(keep));
    }
    dropped.forEach((t) => { t.done = true; });
    const toEpoch = this.rungs[k + 1] as number;
    for (const t of kept) {
      const units = t.folds.map((f, fold) => ({ f, fold })).filter(({ f }) => !f?.stopped);
      if (!units.length) { t.rung = k + 1; continue; }
      for (const { fold } of units) {
        const w = t.worker[fold] as number;
        const list = this.pinned.get(w) ?? [];
        list.push({ trial: t.id, fold, toEpoch, options: t.options });
        this.pinned.set(w, list);
      }
    }
    // A promoted trial whose folds had all stopped early moved up at once: the next rung may be complete already.
    return [...dropped, ...(kept.some((t) => t.rung === k + 1) ? this.promote(bracket, k + 1) : [])];
  }

  /** Work is queued or running somewhere. */
  pending(): boolean {
    return this.queue.length > 0 || [...this.pinned.values()].some((l) => l.length > 0);
  }

  /** All trials best first: the highest rung reached, then (with a fairness constraint) meeting it, then the score there, then the id. */
  ranking(): Trial[] {
    return this.trials.filter((t) => t.rung >= 0).sort((a, b) => b.rung - a.rung || this.compare(a, b));
  }
}
