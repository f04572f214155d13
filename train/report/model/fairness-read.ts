/**
 * Readers for the fairness parts of the card beside the group tables:
 * `fairness.<attribute>.proxies` (how well each feature predicts the
 * attribute; train/tasks/fairness.ts `ProxyList`) and `tuning.fairness` (the
 * accuracy–fairness search). A card is read as stored, whatever wrote it:
 * the report reads what it recognises, by a few likely names, and shows
 * nothing when it recognises nothing.
 */

/** A feature's proxy strength: `value` null when no group had enough rows to be scored. */
export interface ProxyRow { feature: string; value: number | null; metric: string; group: string | null; flagged: boolean }

/** The proxies of one attribute: every feature, strongest first, and how they were judged (when the card says). */
export interface ProxyTable { rows: ProxyRow[]; threshold: number | null; minGroupRows: number | null }

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

const finite = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * An attribute's proxies, strongest first (features no group could be scored on last), or no rows when absent
 * or unrecognised. Training writes `{method, threshold, minGroupRows, features: [{feature, auc, group,
 * weightedAuc, flagged}]}`; a bare list of such rows, or a record of feature → value, is read too.
 */
export function readProxies(raw: unknown): ProxyTable {
  const list = isObj(raw) && Array.isArray(raw.features) ? raw.features : raw;
  const entries: [string | null, unknown][] = Array.isArray(list) ? list.map((r) => [null, r]) : isObj(list) ? Object.entries(list) : [];
  const rows = entries.flatMap(([key, r]): ProxyRow[] => {
    if (typeof r === "number") return key ? [{ feature: key, value: r, metric: "value", group: null, flagged: false }] : [];
    if (!isObj(r)) return [];
    const feature = typeof r.feature === "string" ? r.feature : key;
    if (!feature) return [];
    const v = num(r, PROXY_VALUE);
    // Training's own rows say `auc: null` when no group had enough rows: listed, with no value.
    if (!v && !(r.auc === null && "group" in r)) return [];
    return [{
      feature, value: v ? v[1] : null, metric: typeof r.metric === "string" ? r.metric : v ? v[0] : "auc",
      group: typeof r.group === "string" ? r.group : null, flagged: r.flagged === true || r.flag === true,
    }];
  });
  rows.sort((a, b) => (b.value ?? -1) - (a.value ?? -1));
  const head = isObj(raw) && Array.isArray(raw.features) ? raw : {};
  return { rows, threshold: finite(head.threshold), minGroupRows: finite(head.minGroupRows) };
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
