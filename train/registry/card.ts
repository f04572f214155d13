/**
 * The facts the registry shows about a version, read from its manifest's
 * free-form card with every field optional: a version published by an older
 * (or newer) trainer still lists, with "–" where a fact is unknown.
 */
import type { Manifest } from "../../shared/artifact.ts";
import { taskOf } from "../../shared/task.ts";

export interface Metric { name: string; value: number }

export interface CardFacts {
  createdAt: string;
  /** The manifest's task ("classification" unless it says otherwise). */
  task: string;
  /** The headline test metric: AUC for a classifier, R² for a regression. */
  headline?: Metric;
  rows?: number;
  dataSha256: string | null;
  dataSource?: string;
  revision: string | null;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/**
 * Test metrics of the version and of its constant baseline (a classifier's
 * base-rate model, a regression's training mean), as flat name → number maps.
 */
export function testMetrics(m: Manifest): { model: Record<string, number>; baseRate: Record<string, number> } {
  const metrics = obj(m.card.metrics);
  // Headline metrics first, then whatever else the trainer recorded (counts, thresholds).
  const order = ["auc", "gini", "ks", "brier", "logLoss", "accuracy", "r2", "rmse", "mae", "medianAe"];
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  const flat = (v: unknown) => Object.fromEntries(Object.entries(obj(v)).filter(([, x]) => num(x) !== undefined).sort(([a], [b]) => rank(a) - rank(b))) as Record<string, number>;
  return { model: flat(metrics.test), baseRate: flat(metrics.baseRate ?? metrics.baseline) };
}

export function cardFacts(m: Manifest): CardFacts {
  const data = obj(m.card.data);
  const task = taskOf(m).kind;
  const { model } = testMetrics(m);
  const headlineName = ["auc", "r2", "rmse"].find((k) => model[k] !== undefined);
  const sha = str(data.sha256);
  return {
    createdAt: m.createdAt,
    task,
    ...(headlineName ? { headline: { name: `test ${headlineName === "auc" ? "AUC" : headlineName === "r2" ? "R²" : headlineName.toUpperCase()}`, value: model[headlineName] as number } } : {}),
    ...(num(data.rows) !== undefined ? { rows: num(data.rows) } : {}),
    dataSha256: sha && /^[0-9a-f]{64}$/.test(sha) ? sha : null,
    ...(str(data.source) ? { dataSource: str(data.source) } : {}),
    revision: str(obj(m.card.code).revision) ?? null,
  };
}

/** Hyperparameters as strings, for side-by-side display. */
export function hyperparameters(m: Manifest): Record<string, string> {
  const h = obj(obj(m.card.training).hyperparameters);
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v)]));
}
