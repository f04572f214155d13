/**
 * Epoch progress: a bar on a terminal (cli-progress), one plain line per epoch
 * otherwise (cron logs, CI). Everything goes to stderr so `--json` keeps stdout
 * for the machine-readable summary.
 */
import { SingleBar, Presets } from "cli-progress";
import type { EpochLog } from "../fit/loop.ts";
import type { TuneProgress } from "../tune/search.ts";

export interface Progress {
  start(totalEpochs: number): void;
  epoch(log: EpochLog): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  if (quiet) return { start() {}, epoch() {}, stop() {} };
  if (stream.isTTY) {
    const bar = new SingleBar(
      { stream, format: "training |{bar}| epoch {value}/{total} · loss {loss} · val AUC {auc} · ETA {eta_formatted}", hideCursor: true },
      Presets.shades_classic,
    );
    return {
      start: (total) => bar.start(total, 0, { loss: "-", auc: "-" }),
      epoch: (l) => bar.update(l.epoch, { loss: l.loss.toFixed(4), auc: l.valAuc?.toFixed(4) ?? "-" }),
      stop: () => bar.stop(),
    };
  }
  let total = 0;
  return {
    start: (t) => { total = t; },
    epoch: (l) =>
      // A regressor has no AUC: its line stops at val_loss.
      stream.write(`epoch ${l.epoch}/${total} loss ${l.loss.toFixed(4)}${l.valLoss === undefined ? "" : ` val_loss ${l.valLoss.toFixed(4)}`}${l.valAuc === undefined ? "" : ` val_auc ${l.valAuc.toFixed(4)}`} (${l.seconds.toFixed(2)} s)\n`),
    stop() {},
  };
}

/** Search progress: trials judged, the best score so far and the time left (a bar on a terminal, a line every 10 s otherwise). */
export function createTuneProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): TuneProgress {
  if (quiet) return { start() {}, update() {}, stop() {} };
  const left = (ms?: number) => (ms === undefined ? "-" : `${Math.max(0, ms / 1000).toFixed(0)} s`);
  const best = (s: { best?: number }) => (s.best === undefined ? "-" : s.best.toFixed(4));
  if (stream.isTTY) {
    let bar: SingleBar | undefined;
    let byTime = false;
    let total = 0;
    let endsAt = 0;
    return {
      start: (o) => {
        byTime = o.trials === undefined;
        endsAt = o.endsAt ?? 0;
        total = o.trials ?? Math.max(1, Math.round((endsAt - Date.now()) / 1000));
        bar = new SingleBar({ stream, format: `tuning |{bar}| ${byTime ? "{value}/{total} s" : "{value}/{total} trials"} · judged {done} · best {metric} {best} · left {left}`, hideCursor: true }, Presets.shades_classic);
        bar.start(total, 0, { done: 0, metric: "-", best: "-", left: left(o.endsAt ? endsAt - Date.now() : undefined) });
      },
      update: (st) => bar?.update(byTime ? Math.min(total, total - Math.round((st.leftMs ?? 0) / 1000)) : st.evaluated, { done: st.evaluated, metric: st.metric, best: best(st), left: left(st.leftMs) }),
      stop: () => bar?.stop(),
    };
  }
  let last = 0;
  return {
    start() { last = Date.now(); },
    update: (st) => {
      if (Date.now() - last < 10_000) return;
      last = Date.now();
      stream.write(`tuning: ${st.evaluated} trials judged · best ${st.metric} ${best(st)}${st.leftMs === undefined ? "" : ` · ${left(st.leftMs)} left`}\n`);
    },
    stop() {},
  };
}

export interface ScoreProgress {
  update(p: { records: number; bytesRead: number; bytesTotal?: number }): void;
  stop(): void;
}

/** Batch-scoring progress: a bar over the input's bytes on a terminal, a line every 10 s otherwise. */
export function createScoreProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): ScoreProgress {
  if (quiet) return { update() {}, stop() {} };
  const started = Date.now();
  const rate = (records: number) => Math.round(records / Math.max(0.001, (Date.now() - started) / 1000));
  if (stream.isTTY) {
    let bar: SingleBar | undefined;
    return {
      update: (p) => {
        const total = p.bytesTotal ?? Math.max(p.bytesRead, 1);
        bar ??= new SingleBar({ stream, format: "scoring |{bar}| {percentage}% · {records} rows · {rate} rows/s · ETA {eta_formatted}", hideCursor: true }, Presets.shades_classic);
        if (!bar.isActive) bar.start(total, 0, { records: 0, rate: 0 });
        bar.setTotal(total);
        bar.update(Math.min(p.bytesRead, total), { records: p.records, rate: rate(p.records) });
      },
      stop: () => bar?.stop(),
    };
  }
  let last = started;
  return {
    update: (p) => {
      if (Date.now() - last < 10_000) return;
      last = Date.now();
      const share = p.bytesTotal ? ` (${((100 * p.bytesRead) / p.bytesTotal).toFixed(0)} % of the file)` : "";
      stream.write(`scoring: ${p.records} rows read${share}, ${rate(p.records)} rows/s\n`);
    },
    stop() {},
  };
}
