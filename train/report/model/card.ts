/**
 * The model card as the training job writes it into the manifest (`card`),
 * typed, so the job and the report cannot drift apart; and the few headline
 * numbers read back from another version's card, which may be older and
 * shaped differently, so they are picked defensively.
 */
import type { Evaluation } from "../../evaluate/metrics.ts";
import type { CoverageBin } from "../../evaluate/conformal.ts";
import type { RegressionEvaluation } from "../../evaluate/regression.ts";
import type { MonitoringCard } from "../../monitor/reference.ts";
import type { Periods } from "../../data/split.ts";
import type { FairnessCard, RegressionFairnessCard } from "../../tasks/fairness.ts";
import type { CardNarrative } from "../../data/card-file.ts";
import type { RankingIntervals } from "../../evaluate/bootstrap.ts";
import type { SegmentRow } from "../../evaluate/segments.ts";

export interface SkipSummary { count: number; reasons: { reason: string; count: number; examples: string[] }[] }

/** Where the data came from and how it was split, for either task. */
export interface DataCard {
  source: string; sha256: string; bytes: number; rows: number;
  used: { train: number; validation: number; test: number };
  skipped: SkipSummary;
  ignoredColumns: string[];
  /** Warnings raised while reading the data (id-like columns, near-constant columns, sensitive-looking names). */
  warnings: string[];
  /** Near-constant columns left out of the features (absent in cards written before the check). */
  constantColumns?: string[];
  /** Columns measured by group (`fairness`), never features (absent in cards written before --protected). */
  protectedColumns?: string[];
  split: string;
  /** An out-of-time split: the time column and each split's period. */
  periods?: Periods;
  profile: Record<string, unknown>;
}

/** What every card has, whatever the model predicts. */
export interface CardBase {
  description: string;
  data: DataCard;
  /** The network as served (after pruning): kind, layers, parameter count. */
  model: { kind: string; layers: string[]; parameters: number };
  training: {
    backend: string; seconds: number; epochsRun: number; bestEpoch: number; stoppedEarly: boolean;
    hyperparameters: Record<string, unknown>;
    inputColumns: string[];
    /**
     * Per epoch; the validation curves are absent without a validation split.
     * A classifier's ranking metric is the AUC, a regression's R² (on the target's scale).
     */
    curves: { loss: number[]; valLoss?: number[]; valAuc?: number[]; trainAuc?: number[]; valR2?: number[]; trainR2?: number[] };
    /** Trained with --strict-ranges: numeric values outside the data's range are refused (422), not clipped. */
    /** What ran the training arithmetic (train/fit/engine.ts); absent in cards from before the simd engine. */
    engine?: string;
    strictRanges?: boolean;
    /** What pruning and quantization did, measured (absent when off). */
    compression?: Record<string, unknown>;
    /** The search that chose the options (absent without --tune / --params). */
    tuning?: Record<string, unknown>;
  };
  /** The code that trained the model: a git commit (with "-dirty" for uncommitted changes), null when unknown. */
  code: { revision: string | null };
  libraries: Record<string, string>;
  /** The narrative from `train --card` (absent without it). */
  narrative?: CardNarrative;
  /** Per-feature bins, IV, PSI and importance (see report/model/analysis.ts `analysisCard`). */
  analysis?: Record<string, unknown>;
}

/** A classifier's card (cards written before regression existed have no `task`). */
export interface ModelCard extends CardBase {
  task?: "classification";
  data: DataCard & { baseRate: number };
  /** `validation` is null when there was no validation split (--validation 0). */
  metrics: { test: Evaluation; baseRate: Evaluation; validation: { auc: number; logLoss: number } | null };
  scoreDeciles: { test: number[]; validation?: number[] };
  /** Reference distributions for `npm run monitor` (see monitor/reference.ts `monitoringCard`). */
  monitoring?: MonitoringCard;
  /** Per protected attribute, the model's metrics by group on the test split (train --protected). */
  fairness?: FairnessCard;
  /** Per --segments column, the model's performance by group on the test split. */
  segments?: Record<string, { groupedBy: { bands: number[] } | "values"; groups: SegmentRow[] }>;
  /** Bootstrap intervals of the test AUC, KS and Gini (absent in cards written before them). */
  intervals?: RankingIntervals;
}

/** A regression model's card. */
export interface RegressionCard extends CardBase {
  task: "regression";
  data: DataCard & { targetMean: number };
  /** The target as the network was fitted on it (see shared/task.ts). */
  target: { column: string; transform: string; transformReason: string; mean: number; std: number; smearing: number };
  /** `baseline` predicts the training mean for every row; `validation` is null without a validation split. */
  metrics: { test: RegressionEvaluation; baseline: RegressionEvaluation; validation: { r2: number; rmse: number; loss: number } | null };
  /** Split-conformal prediction intervals: calibrated on the validation split, judged on the test split. */
  interval: {
    method: string; level: number; halfWidth: number; scale: string; calibrationRows: number;
    test: { coverage: number; meanWidth: number; medianWidth: number; byDecile: CoverageBin[] };
  };
  /** Deciles of the predicted values (score drift for the monitor). */
  scoreDeciles: { test: number[]; validation?: number[] };
  monitoring?: Omit<MonitoringCard, "decisions" | "estimate">;
  /** Per protected attribute, bias, errors and interval coverage by group on the test split (train --protected). */
  fairness?: RegressionFairnessCard;
}

export type AnyCard = ModelCard | RegressionCard;

export const HEADLINE = ["auc", "gini", "ks", "brier", "logLoss"] as const;
export type HeadlineMetric = (typeof HEADLINE)[number];
/** A regression's headline test metrics, on the target's own scale. */
export const REGRESSION_HEADLINE = ["r2", "rmse", "mae", "medianAe"] as const;
export type RegressionMetric = (typeof REGRESSION_HEADLINE)[number];

/** The version a new model is compared with: the one serving when it was trained. */
export interface PreviousVersion {
  version: string;
  createdAt: string;
  /** Whichever headline metrics its card has (a classifier's or a regression's). */
  metrics: Partial<Record<HeadlineMetric | RegressionMetric, number>>;
  /** sha256 of the data it was trained on (same data → directly comparable numbers). */
  dataSha256?: string;
  split?: string;
}

function at(o: unknown, ...path: string[]): unknown {
  let v = o;
  for (const k of path) v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** The headline numbers of another version's manifest, whatever of them it has. */
export function previousFromManifest(m: { version: string; createdAt: string; card: Record<string, unknown> }): PreviousVersion {
  const metrics: PreviousVersion["metrics"] = {};
  for (const k of [...HEADLINE, ...REGRESSION_HEADLINE]) {
    const v = at(m.card, "metrics", "test", k);
    if (typeof v === "number" && Number.isFinite(v)) metrics[k] = v;
  }
  const sha = at(m.card, "data", "sha256");
  const split = at(m.card, "data", "split");
  return {
    version: m.version, createdAt: m.createdAt, metrics,
    ...(typeof sha === "string" ? { dataSha256: sha } : {}),
    ...(typeof split === "string" ? { split } : {}),
  };
}
