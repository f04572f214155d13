/**
 * What changed between two versions, as data: test metrics side by side (and
 * the base rate's), features added, removed and changed (type, nulls, range,
 * categories), thresholds, hyperparameters, training data, and the breaking
 * signature changes (the guard's verdict for moving from `a` to `b`).
 */
import type { Manifest } from "../../shared/artifact.ts";
import type { Feature } from "../../shared/spec.ts";
import { cardFacts, hyperparameters, testMetrics } from "./card.ts";
import { signatureChanges } from "./signature.ts";

export interface Side<T> { name: string; a: T | undefined; b: T | undefined }

export interface VersionDiff {
  a: string;
  b: string;
  metrics: (Side<number> & { delta?: number })[];
  baseRate: Side<number>[];
  features: { added: Feature[]; removed: Feature[]; changed: { name: string; changes: string[] }[] };
  thresholds: Side<number>[];
  /** Only the hyperparameters that differ. */
  hyperparameters: Side<string>[];
  data: Side<string>[];
  /** Breaking changes for requests, a → b; empty when b accepts every request a accepts. */
  signature: string[];
}

const METRICS = ["auc", "gini", "ks", "brier", "logLoss", "accuracy", "r2", "rmse", "mae", "medianAe"];

function sides<T>(names: string[], a: Record<string, T>, b: Record<string, T>): Side<T>[] {
  return names.map((name) => ({ name, a: a[name], b: b[name] }));
}

function range(f: Feature): string {
  if (f.type !== "numeric") return "";
  return f.min === undefined && f.max === undefined ? "any" : `${f.min ?? "-∞"}..${f.max ?? "∞"}`;
}

function featureChanges(f: Feature, g: Feature): string[] {
  if (f.type !== g.type) return [`type ${f.type} → ${g.type}`];
  const out: string[] = [];
  if (f.nullable !== g.nullable) out.push(g.nullable ? "now accepts null" : "null no longer accepted");
  if (f.type === "numeric" && g.type === "numeric" && range(f) !== range(g)) out.push(`range ${range(f)} → ${range(g)}`);
  if (f.type === "categorical" && g.type === "categorical") {
    const added = g.values.filter((v) => !f.values.includes(v));
    const removed = f.values.filter((v) => !g.values.includes(v));
    if (added.length) out.push(`categories added: ${added.join(", ")}`);
    if (removed.length) out.push(`categories removed: ${removed.join(", ")}`);
  }
  if ((f.description ?? "") !== (g.description ?? "")) out.push("description changed");
  return out;
}

export function diffManifests(a: Manifest, b: Manifest): VersionDiff {
  const ma = testMetrics(a);
  const mb = testMetrics(b);
  const metricNames = [...new Set([...METRICS.filter((k) => k in ma.model || k in mb.model), ...Object.keys(ma.model), ...Object.keys(mb.model)])];
  const baseNames = METRICS.filter((k) => k in ma.baseRate || k in mb.baseRate);
  const fa = new Map(a.spec.features.map((f) => [f.name, f]));
  const fb = new Map(b.spec.features.map((f) => [f.name, f]));
  const ha = hyperparameters(a);
  const hb = hyperparameters(b);
  const ca = cardFacts(a);
  const cb = cardFacts(b);
  const dataOf = (c: typeof ca, m: Manifest) => ({
    sha256: c.dataSha256 ?? undefined, rows: c.rows?.toString(), source: c.dataSource, created: m.createdAt, revision: c.revision ?? undefined,
    target: m.task?.kind === "regression" ? `${m.spec.target} (regression, ${m.task.target.transform})` : `${m.spec.target} = ${m.spec.positive}`,
  });
  const da = dataOf(ca, a);
  const db = dataOf(cb, b);
  return {
    a: a.version,
    b: b.version,
    metrics: sides(metricNames, ma.model, mb.model).map((s) => ({ ...s, ...(s.a !== undefined && s.b !== undefined ? { delta: s.b - s.a } : {}) })),
    baseRate: sides(baseNames, ma.baseRate, mb.baseRate),
    features: {
      added: b.spec.features.filter((f) => !fa.has(f.name)),
      removed: a.spec.features.filter((f) => !fb.has(f.name)),
      changed: a.spec.features.flatMap((f) => {
        const g = fb.get(f.name);
        const changes = g ? featureChanges(f, g) : [];
        return changes.length ? [{ name: f.name, changes }] : [];
      }),
    },
    thresholds: a.thresholds || b.thresholds ? sides(["refer", "decline"], (a.thresholds ?? {}) as Record<string, number>, (b.thresholds ?? {}) as Record<string, number>) : [],
    hyperparameters: sides([...new Set([...Object.keys(ha), ...Object.keys(hb)])], ha, hb).filter((s) => s.a !== s.b),
    data: sides(Object.keys(da), da as Record<string, string>, db as Record<string, string>),
    signature: signatureChanges(a.spec, b.spec, { serving: a.task, candidate: b.task }),
  };
}
