/**
 * What the tuner searches over: for each option, a list of choices or a
 * numeric range. A `--space` JSON file names exactly the options to search;
 * every option it leaves out keeps its value from the command line (or the
 * default). Values are checked against the same rules as the train flags.
 *
 * File format: { "hidden": [[], [16], [64, 32]], "activation": ["relu", "tanh"],
 *   "learningRate": { "logUniform": [0.0001, 0.03] }, "dropout": { "uniform": [0, 0.5] } }
 */
import type { Random } from "../../shared/random.ts";
import { OPTION_KINDS, OPTION_RULES, type SearchableOption, type TrainOptions } from "../fit/options.ts";

export type Domain =
  | { choice: unknown[] }
  | { uniform: [number, number] }
  | { logUniform: [number, number] };

export type SearchSpace = Partial<Record<SearchableOption, Domain>>;

/** An invalid space: the message names the option and what was expected. */
export class SpaceError extends Error {}

/**
 * The default: logistic regression next to small and medium networks, the
 * three optimizers, learning rates over two decades, light regularization.
 * `classWeight` stays "none": balanced weights move probabilities away from the
 * real default rate, and the decision thresholds are probabilities. A value
 * listed twice is drawn twice as often (adam, no penalty, no dropout).
 */
export const defaultSpace: SearchSpace = {
  hidden: { choice: [[], [8], [16], [32], [64], [32, 16]] },
  activation: { choice: ["relu", "tanh", "elu", "sigmoid"] },
  optimizer: { choice: ["adam", "adam", "rmsprop", "sgd"] },
  learningRate: { logUniform: [3e-4, 3e-2] },
  momentum: { choice: [0, 0.9] },
  l2: { choice: [0, 0, 1e-5, 1e-4, 1e-3] },
  dropout: { choice: [0, 0, 0.1, 0.25] },
  batchSize: { choice: [32, 64, 128] },
  // A regression's only (left out for a classifier): Huber for heavy tails, and the target as is or on log1p.
  loss: { choice: ["mse", "huber"] },
  targetTransform: { choice: ["none", "log1p"] },
};

const KEYS = Object.keys(OPTION_KINDS) as SearchableOption[];

function checkValue(key: SearchableOption, v: unknown, where: string): void {
  const rule = OPTION_RULES[key];
  if (!rule.ok(v)) throw new SpaceError(`${where}: "${key}" expected ${rule.text}, found ${JSON.stringify(v)}`);
}

/** Validates a parsed `--space` file (`where` names it in messages). */
export function parseSpace(json: unknown, where: string): SearchSpace {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new SpaceError(`${where}: expected a JSON object of options, e.g. {"hidden": [[], [32]], "learningRate": {"logUniform": [0.0001, 0.01]}}`);
  const entries = Object.entries(json);
  if (entries.length === 0) throw new SpaceError(`${where}: the search space is empty; name at least one of ${KEYS.join(", ")}`);
  const space: SearchSpace = {};
  for (const [key, raw] of entries) {
    if (!(KEYS as string[]).includes(key)) throw new SpaceError(`${where}: unknown option "${key}"; searchable options are ${KEYS.join(", ")}`);
    const k = key as SearchableOption;
    if (Array.isArray(raw)) {
      if (raw.length === 0) throw new SpaceError(`${where}: "${k}" has no values to choose from`);
      for (const v of raw) checkValue(k, v, where);
      space[k] = { choice: raw };
      continue;
    }
    const range = raw as Record<string, unknown> | null;
    const kind = range && typeof range === "object" ? Object.keys(range) : [];
    const bounds = kind.length === 1 ? range![kind[0] as string] : undefined;
    const numeric = OPTION_KINDS[k] === "number";
    if (!numeric || (kind[0] !== "uniform" && kind[0] !== "logUniform") || !Array.isArray(bounds) || bounds.length !== 2 || !bounds.every((b) => typeof b === "number")) {
      throw new SpaceError(`${where}: "${k}" expected a list of choices${numeric ? ` or {"uniform": [lo, hi]} / {"logUniform": [lo, hi]}` : ""}, found ${JSON.stringify(raw)}`);
    }
    const [lo, hi] = bounds as [number, number];
    if (!(lo < hi)) throw new SpaceError(`${where}: "${k}" range [${lo}, ${hi}] is empty; the lower bound must be below the upper`);
    if (kind[0] === "logUniform" && !(lo > 0)) throw new SpaceError(`${where}: "${k}" logUniform needs a lower bound above 0, found ${lo}`);
    checkValue(k, lo, where);
    checkValue(k, hi, where);
    space[k] = kind[0] === "uniform" ? { uniform: [lo, hi] } : { logUniform: [lo, hi] };
  }
  return space;
}

function draw(d: Domain, random: Random): unknown {
  if ("choice" in d) return d.choice[Math.floor(random() * d.choice.length)];
  if ("uniform" in d) return d.uniform[0] + random() * (d.uniform[1] - d.uniform[0]);
  const [lo, hi] = d.logUniform;
  return Number(Math.exp(Math.log(lo) + random() * (Math.log(hi) - Math.log(lo))).toPrecision(3));
}

/**
 * One configuration: `base` with every searched option drawn in a fixed order
 * (so the same seed gives the same trials), then tidied so options that do
 * nothing are at their neutral value (momentum for adam, dropout and
 * activation for logistic regression) and equal configurations look equal.
 */
export function sampleOptions(space: SearchSpace, base: TrainOptions, random: Random): TrainOptions {
  const o: TrainOptions = { ...base, hidden: [...base.hidden] };
  for (const key of KEYS) {
    const d = space[key];
    const v = d ? draw(d, random) : undefined;
    if (v !== undefined) (o as unknown as Record<string, unknown>)[key] = Array.isArray(v) ? [...v] : v;
  }
  if (o.optimizer === "adam") o.momentum = 0;
  if (o.hidden.length === 0) { o.dropout = 0; o.activation = base.activation; }
  return o;
}
