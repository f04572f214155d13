/**
 * tuned.json: what `npm run tune` chose, in a form `npm run train -- --params
 * tuned.json` applies. It records the features it was tuned on, so params
 * from another data set are refused instead of silently misapplied.
 */
import { readFileSync } from "node:fs";
import type { FeatureSpec } from "../../shared/spec.ts";
import type { TaskKind } from "../../shared/task.ts";
import { JobError } from "../data/prepare.ts";
import type { DataProfile } from "../data/profile.ts";
import type { Evaluation } from "../evaluate/metrics.ts";
import type { RegressionEvaluation } from "../evaluate/regression.ts";
import { OPTION_RULES, OPTIONAL_OPTIONS, type SearchableOption, type TrainOptions } from "../fit/options.ts";
import type { SearchResult } from "./search.ts";

export const TUNED_FORMAT = "edgescore.tuned/v1";

/** The options `train --params` applies: every model and fit option, plus the validation share the search assumed. */
export type TunedParams = TrainOptions & { validation: number };

export interface TunedFile {
  format: typeof TUNED_FORMAT;
  createdAt: string;
  /** `positive` for a classifier; `task` says which (absent in files written before regression: classification). */
  data: { source: string; sha256: string; target: string; positive?: string; task?: TaskKind; features: string[] };
  metric: string;
  selection: string;
  params: TunedParams;
  search: Record<string, unknown>;
  /** Each row: a classifier's auc and logLoss, or a regression's rmse and loss (MSE on the standardized target). */
  leaderboard: ({ config: string; epochs: number; parameters: number; edgeMicrosPerRow?: number } & Record<string, unknown>)[];
  /** The winner on the test split: the only time the search's outcome met the test rows (a classifier's auc, logLoss, brier; a regression's r2, rmse, mae). */
  test?: Record<string, number>;
}

/** A tuned.json that cannot be used; the message names the file and the field. */
export class TunedError extends Error {}

export function tunedFile(r: SearchResult, spec: FeatureSpec, profile: DataProfile, validation: number, test: Evaluation | RegressionEvaluation | undefined): TunedFile {
  const regression = spec.positive === undefined;
  // The engine says how the options were trained, not what they are: `train --params` picks its own.
  const { engine: _engine, ...winner } = r.winner;
  return {
    format: TUNED_FORMAT,
    createdAt: new Date().toISOString(),
    data: { source: profile.source, sha256: profile.sha256, target: spec.target, ...(spec.positive === undefined ? { task: "regression" as const } : { positive: spec.positive, task: "classification" as const }), features: spec.features.map((f) => f.name) },
    metric: String(r.card.metric),
    selection: r.selection,
    params: { ...winner, validation },
    search: r.card,
    leaderboard: r.leaderboard.map((row) => ({
      config: row.config, ...(regression ? { rmse: row.rmse, loss: row.logLoss } : { auc: row.auc, logLoss: row.logLoss }), epochs: row.epochs, parameters: row.parameters,
      ...(row.edgeMicrosPerRow !== undefined ? { edgeMicrosPerRow: row.edgeMicrosPerRow } : {}),
    })),
    ...(test ? { test: "auc" in test ? { auc: test.auc, logLoss: test.logLoss, brier: test.brier } : { r2: test.r2, rmse: test.rmse, mae: test.mae } } : {}),
  };
}

const OTHER_RULES: Record<string, { ok: (v: unknown) => boolean; text: string }> = {
  epochs: { ok: (v) => Number.isInteger(v) && (v as number) >= 1, text: "a whole number >= 1" },
  patience: { ok: (v) => Number.isInteger(v) && (v as number) >= 0, text: "a whole number >= 0" },
  seed: { ok: Number.isInteger, text: "a whole number" },
  validation: { ok: (v) => typeof v === "number" && v >= 0 && v < 1, text: "a number from 0 up to (not including) 1" },
};

/** Reads and checks `--params`: known format, every option present and allowed. */
export function readTuned(path: string): { params: TunedParams; features: string[]; task?: TaskKind } {
  let json: Partial<TunedFile>;
  try {
    json = JSON.parse(readFileSync(path, "utf8")) as Partial<TunedFile>;
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new TunedError(`--params ${path}: ${code === "ENOENT" ? "no such file; npm run tune -- --out <file> writes one" : code === "EISDIR" ? "a folder, not a tuned.json" : (e as Error).message}`);
  }
  if (json?.format !== TUNED_FORMAT) throw new TunedError(`--params ${path}: expected a tuned.json written by npm run tune (format "${TUNED_FORMAT}"), found format ${JSON.stringify(json?.format)}`);
  const params = json.params as Record<string, unknown> | undefined;
  if (typeof params !== "object" || params === null) throw new TunedError(`--params ${path}: "params" is missing`);
  const rules: Record<string, { ok: (v: unknown) => boolean; text: string }> = { ...OPTION_RULES, ...OTHER_RULES };
  for (const [key, rule] of Object.entries(rules)) {
    if (!(key in params) && (OPTIONAL_OPTIONS as readonly string[]).includes(key)) continue;
    if (!(key in params)) throw new TunedError(`--params ${path}: params.${key} is missing`);
    if (!rule.ok(params[key])) throw new TunedError(`--params ${path}: params.${key} expected ${rule.text}, found ${JSON.stringify(params[key])}`);
  }
  const unknown = Object.keys(params).filter((key) => !(key in rules));
  if (unknown.length) throw new TunedError(`--params ${path}: unknown option${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => `params.${u}`).join(", ")}`);
  const features = json.data?.features;
  if (!Array.isArray(features) || !features.every((f) => typeof f === "string")) throw new TunedError(`--params ${path}: data.features (the feature names it was tuned on) is missing`);
  const task = json.data?.task;
  if (task !== undefined && task !== "classification" && task !== "regression") throw new TunedError(`--params ${path}: data.task expected "classification" or "regression", found ${JSON.stringify(task)}`);
  return { params: params as unknown as TunedParams, features: features as string[], ...(task ? { task } : {}) };
}

/** Options from a tuned.json must come from data with the same features (encoding widths and meanings differ otherwise). */
export function checkTunedFeatures(tuned: { path: string; features: string[]; task?: TaskKind }, spec: FeatureSpec): void {
  const task: TaskKind = spec.positive === undefined ? "regression" : "classification";
  if ((tuned.task ?? "classification") !== task) {
    throw new JobError(`--params ${tuned.path} was tuned for a ${tuned.task ?? "classification"} target, but "${spec.target}" is a ${task} target. Run npm run tune on this data, or train without --params`);
  }
  const have = spec.features.map((f) => f.name);
  const missing = tuned.features.filter((f) => !have.includes(f));
  const extra = have.filter((f) => !tuned.features.includes(f));
  if (missing.length || extra.length) {
    throw new JobError(`--params ${tuned.path} was tuned on other data: ${[
      missing.length ? `its features ${missing.join(", ")} are not in this data` : "",
      extra.length ? `this data's features ${extra.join(", ")} were not in it` : "",
    ].filter(Boolean).join("; ")}. Run npm run tune on this data, or train without --params`);
  }
}

/** Keys of TrainOptions that tuned.json may set (for "explicit flags override --params" messages). */
export const TUNED_KEYS = [...Object.keys(OPTION_RULES), ...Object.keys(OTHER_RULES)] as (SearchableOption | "epochs" | "patience" | "seed" | "validation")[];
