/**
 * Flags that more than one command takes, defined once: the data flags
 * (`train` and `tune` read data the same way), the model flags, and the
 * search flags (`tune`, `train --tune`). Each group has its parseArgs
 * definitions, its help text and the function that turns values into options.
 */
import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import type { Scaler } from "../../shared/preprocess.ts";
import type { TaskKind } from "../../shared/task.ts";
import type { DataOptions } from "../data/prepare.ts";
import type { TrainBackend } from "../fit/backend.ts";
import type { TargetTransformChoice } from "../fit/target.ts";
import { ENGINE_CHOICES, type EngineChoice } from "../fit/engine.ts";
import { ACTIVATIONS, CLASS_WEIGHTS, defaultTrainOptions, OPTIMIZERS, REGRESSION_LOSSES, type SearchableOption, type TrainOptions } from "../fit/options.ts";
import { ConstraintError, parseConstraint } from "../tune/constraint.ts";
import type { TuneOptions } from "../tune/search.ts";
import { defaultSpace, parseSpace, SpaceError, type SearchSpace } from "../tune/space.ts";
import { between, list, num, oneOf, rules, UsageError } from "./args.ts";
import { loadOverrides } from "../data/prepare.ts";

export type FlagValues = Partial<Record<string, string | boolean>>;

const s = (a: FlagValues, name: string): string | undefined => (typeof a[name] === "string" ? (a[name] as string) : undefined);

export const BUNDLED = { data: "data/credit_data.csv", spec: "data/credit_data.spec.json", testRows: "data/credit_data.test_rows.csv" };

export const DATA_FLAGS = {
  data: { type: "string" }, target: { type: "string" }, positive: { type: "string" }, spec: { type: "string" },
  task: { type: "string" }, "target-transform": { type: "string" }, "time-column": { type: "string" }, "test-from": { type: "string" },
  categorical: { type: "string" }, ignore: { type: "string" }, "keep-id-like": { type: "boolean" }, "keep-constant": { type: "boolean" }, test: { type: "string" }, "test-rows": { type: "string" },
  seed: { type: "string" }, validation: { type: "string" }, "test-share": { type: "string" }, "max-skipped": { type: "string" },
  scaler: { type: "string" }, backend: { type: "string" }, "in-memory-limit": { type: "string" },
} as const;

export const DATA_HELP = `Data
  --data <path|s3://bucket/key>  training CSV (default: ${BUNDLED.data})
  --target <column>             label column, or the number to estimate (default from the spec: Status)
  --positive <label>            adverse-outcome label, e.g. bad, yes, 1 (default from the spec: bad; classification)
  --task classification|regression
                                default: regression when the target is numeric with more than 20 distinct
                                values, else classification (the log says which and why)
  --target-transform none|log1p|auto
                                regression: fit the network on log1p(target) (auto: for a non-negative target
                                with skewness > 2; default auto); values come back on the original scale
  --spec <file.json>            schema overrides (default for the bundled data: ${BUNDLED.spec})
  --categorical a,b             treat these columns as categories
  --ignore c,d                  leave these columns out (ids, free text)
  --keep-id-like                keep whole-number columns that look like identifiers as features
                                (refused by default: a different number in every row fits only noise)
  --keep-constant               keep columns with one value in 99.5 % or more of rows as features
                                (left out by default, with a warning: they carry almost no information)
  --test <csv>                  evaluate on this file instead of a test split
  --test-rows <csv>             fixed test rows (column "row", 0-based); bundled data: ${BUNDLED.testRows}
  --time-column <column>        out-of-time split: train on the past, validate on the period just before the
                                test, test on the most recent rows (dates like 2020-01-31, or numbers); the
                                column is not a feature
  --test-from <date|number>     with --time-column: the test period starts here (default: where the most recent
                                --test-share of the rows starts)
  --seed <n>                    split, shuffle and initialisation seed (default 42)
  --validation <share>          validation share of rows (default 0.1; 0 = train on every non-test row,
                                fixed --epochs, needs --patience 0)
  --test-share <share>          test share of rows for a random split (default 0.2)
  --max-skipped <share>         fail if more rows than this are unusable (default 0.05)
  --scaler standard|robust|minmax (default standard)
  --backend wasm|cpu            (default wasm, falls back to cpu)
  --in-memory-limit <MiB>       encoded rows kept in memory, all splits together (default 256); beyond it a
                                split is read from a temporary file in shuffled chunks, freed when the run ends
`;

export function dataOptions(a: FlagValues): DataOptions & { backend: TrainBackend } {
  const bundled = a.data === undefined;
  const specPath = s(a, "spec") ?? (bundled ? BUNDLED.spec : undefined);
  const specDefaults = specPath ? loadOverrides(specPath) : {};
  const task = s(a, "task") === undefined ? undefined : oneOf<TaskKind>("task", s(a, "task"), ["classification", "regression"], "classification");
  const timeColumn = s(a, "time-column");
  if (task === "regression" && s(a, "positive") !== undefined) throw new UsageError("--positive names a class label; a regression target has none: leave it out");
  if (task === "regression" && a["class-weight"] === "balanced") throw new UsageError("--class-weight balanced weighs classes; a regression target has none");
  if (task === "classification" && s(a, "target-transform") !== undefined) throw new UsageError("--target-transform applies to a regression target (--task regression)");
  if (s(a, "test-from") !== undefined && timeColumn === undefined) throw new UsageError("--test-from starts the test period of an out-of-time split: add --time-column <column>");
  if (timeColumn !== undefined && (a.test !== undefined || a["test-rows"] !== undefined)) throw new UsageError("--time-column chooses the test rows by time: leave out --test and --test-rows");
  // Together they would make one test split of both, and --test-rows' rows of --data could be training rows of --test's model run.
  if (a.test !== undefined && a["test-rows"] !== undefined) throw new UsageError("--test is a separate file of test rows and --test-rows picks test rows out of --data: give one of them");
  return {
    data: s(a, "data") ?? BUNDLED.data,
    target: s(a, "target") ?? specDefaults.target ?? "Status",
    positive: s(a, "positive") ?? specDefaults.positive ?? "bad",
    ...(s(a, "positive") !== undefined ? { positiveGiven: true } : {}),
    ...(task ? { task } : {}),
    ...(s(a, "target-transform") !== undefined ? { targetTransform: oneOf<TargetTransformChoice>("target-transform", s(a, "target-transform"), ["none", "log1p", "auto"], "auto") } : {}),
    ...(timeColumn !== undefined ? { timeColumn } : {}),
    ...(s(a, "test-from") !== undefined ? { testFrom: s(a, "test-from") as string } : {}),
    ...(specPath ? { spec: specPath } : {}),
    categorical: list(s(a, "categorical")),
    ignore: list(s(a, "ignore")),
    keepIdLike: a["keep-id-like"] === true,
    keepConstant: a["keep-constant"] === true,
    ...(s(a, "test") ? { test: s(a, "test") as string } : {}),
    ...(s(a, "test-rows") ?? (bundled && !a.test && timeColumn === undefined) ? { testRows: s(a, "test-rows") ?? BUNDLED.testRows } : {}),
    seed: num("seed", s(a, "seed"), 42, rules.integer),
    validationShare: num("validation", s(a, "validation"), 0.1, rules.share),
    testShare: num("test-share", s(a, "test-share"), 0.2, rules.share),
    scaler: oneOf<Scaler>("scaler", s(a, "scaler"), ["standard", "robust", "minmax"], "standard"),
    maxSkipped: num("max-skipped", s(a, "max-skipped"), 0.05, rules.probability),
    backend: oneOf<TrainBackend>("backend", s(a, "backend"), ["wasm", "cpu"], "wasm"),
    inMemoryLimitBytes: num("in-memory-limit", s(a, "in-memory-limit"), 256, rules.positive) * 2 ** 20,
  };
}

export const MODEL_FLAGS = {
  epochs: { type: "string" }, "batch-size": { type: "string" }, "learning-rate": { type: "string" }, hidden: { type: "string" },
  activation: { type: "string" }, optimizer: { type: "string" }, momentum: { type: "string" }, l2: { type: "string" },
  dropout: { type: "string" }, "class-weight": { type: "string" }, patience: { type: "string" }, engine: { type: "string" }, loss: { type: "string" },
} as const;

export const MODEL_HELP = `Model
  --hidden 64[,32]    hidden layer sizes (default 64); 0 = logistic regression (the scorecard baseline)
  --activation ${ACTIVATIONS.join("|")}   hidden-layer activation (default relu)
  --optimizer ${OPTIMIZERS.join("|")}   (default adam)   --momentum <m>  for sgd and rmsprop (default 0)
  --learning-rate <x> (0.001)  --batch-size <n> (32)  --epochs <n> (100)
  --l2 <x>            L2 penalty on the kernels (default 0)
  --dropout <share>   drop this share of hidden activations while training (default 0; never at inference)
  --class-weight none|balanced   balanced weighs each class n / (2 · n_class); probabilities then no longer
                      match the real default rate (default none)
  --patience <n>      early stopping on validation loss, best weights restored (default 20; 0 = off)
  --engine auto|simd|tfjs   what trains: simd, the WebAssembly SIMD kernel for Dense stacks (tens of times
                      faster, same results), or tfjs (tfjs-layers on --backend); auto (default) takes simd
                      wherever it covers the loss, else tfjs
  --loss mse|huber    a regression's training loss (default mse; huber: δ = 1 on the standardized target)
`;

/** Which searchable options were set by a flag (the tuner keeps them fixed). */
export function fixedByFlags(a: FlagValues): SearchableOption[] {
  const map: Record<string, SearchableOption> = {
    hidden: "hidden", activation: "activation", optimizer: "optimizer", momentum: "momentum", l2: "l2",
    dropout: "dropout", "batch-size": "batchSize", "learning-rate": "learningRate", "class-weight": "classWeight",
    loss: "loss", "target-transform": "targetTransform",
  };
  return Object.keys(map).filter((flag) => a[flag] !== undefined).map((flag) => map[flag] as SearchableOption);
}

export function parseHidden(v: string): number[] {
  if (v.trim() === "0") return [];
  return list(v).map((h) => num("hidden", h, 0, { ok: (x) => Number.isInteger(x) && x >= 1 && x <= 4096, text: "layer sizes 1..4096 separated by commas, or 0 for logistic regression" }));
}

/**
 * Model options: `base` (defaults, or tuned.json) with every flag given on top.
 * `searching`: options without a flag will be searched, so a flag is only
 * inconsistent with another flag, not with a default.
 */
export function trainOptions(a: FlagValues, base: TrainOptions = defaultTrainOptions, searching = false): TrainOptions {
  const o: TrainOptions = {
    hidden: s(a, "hidden") === undefined ? base.hidden : parseHidden(s(a, "hidden") as string),
    activation: oneOf("activation", s(a, "activation"), ACTIVATIONS, base.activation),
    optimizer: oneOf("optimizer", s(a, "optimizer"), OPTIMIZERS, base.optimizer),
    momentum: num("momentum", s(a, "momentum"), base.momentum, { ok: (x) => x >= 0 && x < 1, text: "a number from 0 up to (not including) 1" }),
    learningRate: num("learning-rate", s(a, "learning-rate"), base.learningRate, between(0, 10)),
    l2: num("l2", s(a, "l2"), base.l2, { ok: (x) => x >= 0 && x < 10, text: "a number from 0 up to 10" }),
    dropout: num("dropout", s(a, "dropout"), base.dropout, rules.share),
    batchSize: num("batch-size", s(a, "batch-size"), base.batchSize, rules.positiveInt),
    classWeight: oneOf("class-weight", s(a, "class-weight"), CLASS_WEIGHTS, base.classWeight),
    epochs: num("epochs", s(a, "epochs"), base.epochs, rules.positiveInt),
    patience: num("patience", s(a, "patience"), base.patience, rules.nonNegativeInt),
    seed: num("seed", s(a, "seed"), base.seed, rules.integer),
    ...(s(a, "engine") ?? base.engine ? { engine: oneOf<EngineChoice>("engine", s(a, "engine"), ENGINE_CHOICES, base.engine ?? "auto") } : {}),
    ...(s(a, "loss") !== undefined ? { loss: oneOf("loss", s(a, "loss"), REGRESSION_LOSSES, "mse") } : base.loss ? { loss: base.loss } : {}),
    ...(base.targetTransform && s(a, "target-transform") === undefined ? { targetTransform: base.targetTransform } : {}),
  };
  const fixed = (flag: string) => !searching || a[flag] !== undefined;
  if (a.momentum !== undefined && o.momentum > 0 && o.optimizer === "adam" && fixed("optimizer")) throw new UsageError("--momentum applies to --optimizer sgd or rmsprop, not adam");
  if (a.dropout !== undefined && o.dropout > 0 && o.hidden.length === 0 && fixed("hidden")) throw new UsageError("--dropout applies to hidden layers; --hidden 0 (logistic regression) has none");
  return o;
}

export const SEARCH_FLAGS = {
  trials: { type: "string" }, "time-budget": { type: "string" }, metric: { type: "string" }, space: { type: "string" },
  workers: { type: "string" }, folds: { type: "string" }, "no-halving": { type: "boolean" }, "no-confirm": { type: "boolean" }, fairness: { type: "string" },
} as const;

export const SEARCH_HELP = `Search
  --trials <n>            stop after n configurations
  --time-budget <t>       finish everything (data, search, final fit) within t: 90s, 10m, 1h, 1h30m
                          (default without either: --trials 81, three brackets of 27)
  --metric auc|logloss|rmse  what the search maximises / minimises (default: auc for a classifier, rmse, on the
                          target's own scale, for a regression)
  --space <file.json>     options to search, e.g. {"hidden": [[], [32]], "learningRate": {"logUniform": [0.0001, 0.03]}};
                          default: hidden 0/8/16/32/64/32,16, 4 activations, 3 optimizers, learning rate,
                          momentum, l2, dropout, batch size. Model flags given on the command line stay fixed.
  --folds <k>             cross-validation folds (default 5 up to 2000 training rows, 3 up to 5000, else 1 = the
                          validation split)
  --workers <n>           trial threads (default: one per core, here ${availableParallelism()})
  --no-halving            train every trial to --epochs (plain random search, for comparison)
  --no-confirm            the search's choice is the model, without confirming it against the default
                          configuration and a linear model on fresh folds (for comparison)
  --fairness "air>=0.8"   search for a less discriminatory alternative (needs --protected): the winner is the most
                          accurate trial whose adverse impact ratio is at least 0.8 for every group (or "eod>=-0.1":
                          equal-opportunity difference), else the closest, flagged. --protected alone measures it
`;

/** "90s", "10m", "1h30m" or plain seconds → milliseconds. */
export function parseDuration(name: string, v: string): number {
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(t);
  if (!t || !m || (!m[1] && !m[2] && !m[3])) throw new UsageError(`--${name}: expected a duration like 90s, 10m or 1h30m, found "${v}"`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** Search options from flags; `startedAt` starts the budget's clock. */
export function searchOptions(a: FlagValues, startedAt: number): TuneOptions {
  let space: SearchSpace = defaultSpace;
  const spacePath = s(a, "space");
  if (spacePath) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(spacePath, "utf8"));
    } catch (e) {
      throw new UsageError(`--space ${spacePath}: ${(e as Error).message}`);
    }
    try {
      space = parseSpace(json, `--space ${spacePath}`);
    } catch (e) {
      throw e instanceof SpaceError ? new UsageError(e.message) : e;
    }
  }
  const fixed = fixedByFlags(a);
  space = Object.fromEntries(Object.entries(space).filter(([k]) => !fixed.includes(k as SearchableOption)));
  if (Object.keys(space).length === 0) {
    throw new UsageError(`the search space is empty: ${fixed.length ? `the flags --${fixed.join(", --")} fix every option it names` : "it names no option"}; search at least one option`);
  }
  const budget = s(a, "time-budget") === undefined ? undefined : parseDuration("time-budget", s(a, "time-budget") as string);
  if (budget !== undefined && !(budget > 0)) throw new UsageError(`--time-budget: expected a duration above 0, found "${s(a, "time-budget")}"`);
  const trials = s(a, "trials") === undefined ? (budget === undefined ? 81 : undefined) : num("trials", s(a, "trials"), 0, rules.positiveInt);
  let fairness;
  try {
    fairness = s(a, "fairness") === undefined ? undefined : parseConstraint(s(a, "fairness") as string);
  } catch (e) {
    throw e instanceof ConstraintError ? new UsageError(e.message) : e;
  }
  if (fairness && s(a, "protected") === undefined) throw new UsageError(`--fairness ${fairness.text} constrains how the model treats the groups of a protected attribute: add --protected <column> (e.g. --protected ethnicity)`);
  const folds = s(a, "folds") === undefined ? undefined : num("folds", s(a, "folds"), 0, { ok: (x) => Number.isInteger(x) && x >= 1 && x <= 20, text: "a whole number from 1 to 20" });
  return {
    ...(trials !== undefined ? { trials } : {}),
    ...(budget !== undefined ? { timeBudgetMs: budget } : {}),
    startedAt,
    ...(s(a, "metric") !== undefined ? { metric: oneOf("metric", s(a, "metric"), ["auc", "logloss", "rmse"] as const, "auc") } : {}),
    space,
    ...(folds !== undefined ? { folds } : {}),
    workers: num("workers", s(a, "workers"), availableParallelism(), { ok: (x) => Number.isInteger(x) && x >= 1 && x <= 64, text: "a whole number from 1 to 64" }),
    halving: a["no-halving"] !== true,
    ...(a["no-confirm"] === true ? { confirm: false } : {}),
    ...(fairness ? { fairness } : {}),
  };
}
