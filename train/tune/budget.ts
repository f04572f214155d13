/**
 * The search's time budget: when trials must stop so that the confirmation,
 * the final fit and packaging still fit before `--time-budget` ends, and how
 * large a bracket of new trials fits beside the work already planned. Every
 * estimate comes from the seconds per epoch measured so far in this run (the
 * machine's load included), or from one calibration epoch before the first
 * trial reports. Without a budget every deadline is Infinity.
 */
import type { Dataset } from "../data/dataset.ts";
import { headFor, type HeadSpec } from "../fit/architecture.ts";
import { advance, dispose, startSession } from "../fit/loop.ts";
import type { TrainOptions } from "../fit/options.ts";
import { confirmationEpochs, type ConfirmPlan } from "./confirm.ts";
import { foldSplit } from "./folds.ts";
import { bracketEpochs, refitEpoch, type Scheduler, type Trial } from "./schedule.ts";

/** Bracket sizes tried in turn under a time budget (the largest whose whole bracket fits). */
const BRACKET_SIZES = [27, 9, 3];
/** Under a time budget, the confirmation (and the default's fit) may take at most this share of it. */
const CONFIRM_SHARE = 0.4;
/** Time kept for the end: evaluating the winner, edge timings, packaging (ms). */
export const FIXED_RESERVE_MS = 2500;

/** What the budget's estimates are made of, fixed when the search starts. */
export interface BudgetPlan {
  /** When the command started (the budget counts from there) and when it must end (Infinity: no budget), ms since the epoch. */
  startedAt: number;
  end: number;
  workers: number;
  /** Successive halving (else every trial runs to its full epochs). */
  halving: boolean;
  eta: number;
  /** Folds judging each trial (1: the validation split). */
  folds: number;
  /** The base options' epochs: the default's fit and the confirmation's longest run. */
  epochs: number;
  /** Training rows, and rows one fold's trial trains on. */
  trainRows: number;
  foldRows: number;
  /** The confirmation's splits; undefined when nothing is confirmed. */
  confirm?: ConfirmPlan;
}

/** Epochs of the final fit: the refit epoch on every training row (holdout: the trial's own run, early stopping included). */
export function finalEpochs(t: Trial, k: number): number {
  return k === 1 ? t.epochs : refitEpoch(t);
}

/** Seconds per epoch of the base options on one fold, measured here and now (machine load included). */
export function calibrate(data: Dataset, base: TrainOptions, fold: Uint8Array | undefined, head: HeadSpec): number {
  const { train, validation } = fold ? foldSplit(data.train, fold, 0) : { train: data.train, validation: data.validation };
  const s = startSession(train, validation, { ...base, epochs: 1 }, undefined, headFor(head));
  const t0 = performance.now();
  try {
    advance(s, 1);
  } finally {
    dispose(s);
  }
  return (performance.now() - t0) / 1000;
}

export class SearchBudget {
  private readonly perEpoch: number[] = [];

  constructor(private readonly p: BudgetPlan, private readonly scheduler: Scheduler, private readonly calibrated: number | undefined) {}

  get limited(): boolean {
    return Number.isFinite(this.p.end);
  }

  /** A trial's unit reported `seconds` for `epochs` epochs (cancelled units too). */
  record(seconds: number, epochs: number): void {
    if (epochs > 0) this.perEpoch.push(seconds / epochs);
  }

  /** Seconds per epoch on one fold: the mean measured so far, else the calibration. */
  meanPerEpoch(): number | undefined {
    const n = this.perEpoch.length;
    return n ? this.perEpoch.reduce((s, x) => s + x, 0) / n : this.calibrated;
  }

  /** The final fit of the current leader, estimated from its own epochs (ms). */
  private finalFitMs(): number {
    const leader = this.scheduler.ranking()[0];
    if (!leader) return 0;
    const epochs = leader.folds.reduce((s, f) => s + (f?.epochs ?? 0), 0);
    return ((leader.seconds * 1000) / Math.max(1, epochs)) * (this.p.trainRows / this.p.foldRows) * finalEpochs(leader, this.p.folds);
  }

  /** The confirmation trains 3 candidates on every split, at most to the full epochs (ms, on all workers). */
  private confirmMs(): number {
    const plan = this.p.confirm;
    const spe = this.meanPerEpoch();
    if (!plan || spe === undefined) return 0;
    const confirmRows = (this.p.trainRows * (plan.k - 1)) / plan.k;
    return (confirmationEpochs(plan, 3, this.p.epochs) * spe * 1000 * (confirmRows / this.p.foldRows)) / this.p.workers;
  }

  /** The default configuration's fit on every training row, at its full epochs (ms), when the confirmation may keep it. */
  private defaultFitMs(): number {
    const spe = this.meanPerEpoch();
    return this.p.confirm && spe !== undefined ? spe * 1000 * (this.p.trainRows / this.p.foldRows) * this.p.epochs : 0;
  }

  /** When the confirmation must stop: time kept for the final fit (the leader's refit, or the default's full epochs) and packaging. */
  confirmDeadline(): number {
    return this.p.end - FIXED_RESERVE_MS - 1.25 * Math.max(this.finalFitMs(), this.defaultFitMs());
  }

  /**
   * When trials must stop. The confirmation and the default's fit take at most CONFIRM_SHARE of the budget:
   * on a loaded machine their estimate can exceed it, and a search with no trials confirms nothing. A
   * confirmation the deadline cuts is judged on the splits every candidate finished (fewer splits, more noise:
   * the default is kept more often), and with fewer than two, the default is kept.
   */
  searchDeadline(): number {
    return Math.max(
      this.confirmDeadline() - this.confirmMs(),
      this.p.end - FIXED_RESERVE_MS - 1.25 * this.finalFitMs() - CONFIRM_SHARE * (this.p.end - this.p.startedAt),
    );
  }

  /** How many trials a new bracket gets: without a budget the largest; with one, the largest that fits beside the work still planned. */
  bracketSize(remaining: number): number {
    const { halving, workers, eta, folds: k } = this.p;
    const sizes = (halving ? BRACKET_SIZES : [workers]).map((n) => Math.min(n, remaining));
    const spe = this.meanPerEpoch();
    if (!this.limited || spe === undefined) return sizes[0] as number;
    const rungs = this.scheduler.rungs;
    const capacity = ((this.searchDeadline() - Date.now()) / 1000) * workers - this.scheduler.outstandingEpochs() * spe;
    const fits = sizes.find((n) => bracketEpochs(n, rungs, eta, k) * spe <= capacity);
    if (fits) return fits;
    const smallest = sizes[sizes.length - 1] as number;
    return smallest * (rungs[0] as number) * k * spe <= capacity ? smallest : 0;
  }
}
