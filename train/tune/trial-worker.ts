/**
 * A trial worker (one per core): holds the training rows, trains (trial, fold)
 * units up to the epoch asked for, and keeps each unit's network and
 * optimizer state so a promoted trial continues where it stopped.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Matrix } from "../data/dataset.ts";
import { headFor, type Head } from "../fit/architecture.ts";
import { useBackend } from "../fit/backend.ts";
import { advance, dispose, startSession, type Session } from "../fit/loop.ts";
import { countGroups, type GroupCount } from "./constraint.ts";
import { foldSplit } from "./folds.ts";
import type { FromWorker, ToWorker, WorkerInit } from "./protocol.ts";
import type { Unit } from "./schedule.ts";

const init = workerData as WorkerInit;
const port = parentPort!;
/** One head per target transform a trial may ask for (a regression's search tries log1p and none). */
const heads = new Map<string, Head>();
const headOf = (t: Unit["options"]["targetTransform"]): Head => {
  const key = t ?? "";
  let h = heads.get(key);
  if (!h) { h = headFor(init.head, t); heads.set(key, h); }
  return h;
};
const sessions = new Map<string, Session>();
const splits = new Map<number, { train: Matrix; validation: Matrix; codes?: Uint16Array[] }>();
/** Per session, the validation rows counted by group after each epoch (protected attributes only). */
const counts = new Map<string, GroupCount[][][]>();

function splitFor(fold: number): { train: Matrix; validation: Matrix; codes?: Uint16Array[] } {
  const c = init.confirm;
  if (c && fold >= c.offset) {
    let s = splits.get(fold);
    if (!s) {
      const i = fold - c.offset;
      const r = Math.floor(i / c.k);
      s = foldSplit(init.rows, c.assignment.subarray(r * init.rows.n, (r + 1) * init.rows.n), i % c.k);
      splits.set(fold, s);
    }
    return s;
  }
  const g = init.groups;
  if (!init.fold) return { train: init.rows, validation: init.validation as Matrix, ...(g ? { codes: g.codes } : {}) };
  let s = splits.get(fold);
  if (!s) {
    const f = init.fold;
    // The fold's validation rows keep their order (foldSplit), so their groups are the same filter of the codes.
    s = { ...foldSplit(init.rows, f, fold), ...(g ? { codes: g.codes.map((c) => c.filter((_, i) => f[i] === fold)) } : {}) };
    splits.set(fold, s);
  }
  return s;
}

function run(id: number, unit: Unit): FromWorker {
  const key = `${unit.trial}:${unit.fold}`;
  const started = performance.now();
  let s = sessions.get(key);
  const before = s?.epoch ?? 0;
  try {
    if (!s) {
      const { train, validation, codes } = splitFor(unit.fold);
      s = startSession(train, validation, unit.options, undefined, headOf(unit.options.targetTransform));
      sessions.set(key, s);
      const g = init.groups;
      if (g && codes) {
        const perEpoch: GroupCount[][][] = [];
        counts.set(key, perEpoch);
        s.onValidation = (p) => perEpoch.push(codes.map((c, a) => countGroups(validation.y, p, c, g.sizes[a] as number, g.thresholds)));
      }
    }
    const finished = advance(s, unit.toEpoch, undefined, () => Date.now() > (init.deadline[0] as number));
    const seconds = (performance.now() - started) / 1000;
    if (!finished) {
      sessions.delete(key);
      counts.delete(key);
      const epochs = s.epoch - before;
      dispose(s);
      return { type: "cancelled", id, epochs, seconds };
    }
    const best = s.best;
    return {
      type: "result", id,
      result: {
        epochs: s.epoch, bestEpoch: best?.epoch ?? s.epoch, stopped: s.stoppedEarly, seconds,
        valLoss: s.history.map((h) => h.valLoss ?? NaN), valAuc: s.history.map((h) => h.valAuc ?? NaN), valRmse: s.history.map((h) => h.valRmse ?? NaN),
        ...(counts.has(key) ? { groupCounts: [...(counts.get(key) as GroupCount[][][])] } : {}),
      },
    };
  } catch (e) {
    if (s) { sessions.delete(key); counts.delete(key); dispose(s); }
    return { type: "failed", id, error: (e as Error).message };
  }
}

port.on("message", (m: ToWorker) => {
  if (m.type === "run") port.postMessage(run(m.id, m.unit));
  else {
    for (const t of m.trials) {
      for (const [key, s] of sessions) if (key.startsWith(`${t}:`)) { dispose(s); sessions.delete(key); counts.delete(key); }
    }
  }
});

const { backend } = await useBackend(init.backend);
port.postMessage({ type: "ready", backend } satisfies FromWorker);
