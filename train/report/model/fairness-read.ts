/**
 * Tolerant readers for the fairness parts other work adds to the card:
 * `fairness.<attribute>.proxies` (how well each feature predicts the
 * attribute) and `tuning.fairness` (the accuracy–fairness search). Their exact
 * shape may still move, so the report reads what it recognises, by a few
 * likely names, and shows nothing when it recognises nothing.
 */

export interface ProxyRow { feature: string; value: number; metric: string; flagged: boolean }

export interface FairTrial { id: string; auc: number; minAir: number; met: boolean | null }

/** `metric`: what `minAir` holds, "air" or "eod" (the search's `metric`); `unconstrained`: the trial chosen without the constraint. */
export interface FairSearch {
  trials: FairTrial[]; pareto: Set<string>; chosen: string | null; met: boolean | null; constraint: string | null;
  metric: "air" | "eod"; bound: number | null; unconstrained: string | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (o: Obj, keys: string[]): [string, number] | undefined => {
  for (const k of keys) if (typeof o[k] === "number" && Number.isFinite(o[k])) return [k, o[k]];
  return undefined;
};
const id = (v: unknown): string | null => (typeof v === "string" || typeof v === "number" ? String(v) : null);

const PROXY_VALUE = ["auc", "score", "value", "mutualInformation", "mi", "strength"];

/** Proxies as a list of rows, or [] when absent or unrecognised; strongest first. */
export function readProxies(raw: unknown): ProxyRow[] {
  const entries: [string | null, unknown][] = Array.isArray(raw) ? raw.map((r) => [null, r]) : isObj(raw) ? Object.entries(raw) : [];
  const rows = entries.flatMap(([key, r]): ProxyRow[] => {
    if (typeof r === "number") return key ? [{ feature: key, value: r, metric: "value", flagged: false }] : [];
    if (!isObj(r)) return [];
    const feature = typeof r.feature === "string" ? r.feature : key;
    const v = num(r, PROXY_VALUE);
    if (!feature || !v) return [];
    return [{ feature, value: v[1], metric: typeof r.metric === "string" ? r.metric : v[0], flagged: r.flagged === true || r.flag === true }];
  });
  return rows.sort((a, b) => b.value - a.value);
}

/** The accuracy–fairness search of `tuning.fairness`, or null when absent or unrecognised. */
export function readFairSearch(raw: unknown): FairSearch | null {
  if (!isObj(raw) || !Array.isArray(raw.trials)) return null;
  const trials = raw.trials.flatMap((t, i): FairTrial[] => {
    if (!isObj(t)) return [];
    const auc = num(t, ["auc", "validationAuc", "valAuc"]);
    // The tuner's record (train/tune/lda.ts) keeps the metric's value as `value`, named by the search's `metric`.
    const air = num(t, ["minAir", "air", "minAIR", "value"]);
    if (!auc || !air) return [];
    const met = t.met ?? t.meets;
    return [{ id: id(t.id) ?? id(t.trial) ?? String(i + 1), auc: auc[1], minAir: air[1], met: typeof met === "boolean" ? met : null }];
  });
  if (trials.length === 0) return null;
  const front = raw.pareto ?? raw.paretoFront ?? raw.front;
  const chosen = id(raw.chosen) ?? id(raw.chosenId) ?? id(raw.winner);
  return {
    trials,
    pareto: new Set(Array.isArray(front) ? front.map(id).filter((x): x is string => x !== null) : []),
    chosen,
    met: typeof raw.met === "boolean" ? raw.met : null,
    constraint: typeof raw.constraint === "string" ? raw.constraint : null,
    metric: raw.metric === "eod" ? "eod" : "air",
    bound: typeof raw.bound === "number" ? raw.bound : null,
    unconstrained: isObj(raw.unconstrained) ? id(raw.unconstrained.trial) ?? id(raw.unconstrained.id) : id(raw.unconstrained),
  };
}

/** `tuning.fairness` wherever a card keeps it: at the top or under `training.tuning`. */
export function fairSearchOf(card: Obj): FairSearch | null {
  const top = isObj(card.tuning) ? card.tuning.fairness : undefined;
  const training = isObj(card.training) && isObj(card.training.tuning) ? card.training.tuning.fairness : undefined;
  return readFairSearch(top) ?? readFairSearch(training);
}
