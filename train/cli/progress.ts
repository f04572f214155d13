/**
 * Epoch progress: a bar on a terminal (cli-progress), one plain line per epoch
 * otherwise (cron logs, CI). Everything goes to stderr so `--json` keeps stdout
 * for the machine-readable summary.
 */
import { SingleBar, Presets } from "cli-progress";
import type { EpochLog } from "../fit/model.ts";

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
      epoch: (l) => bar.update(l.epoch, { loss: l.loss.toFixed(4), auc: l.valAuc.toFixed(4) }),
      stop: () => bar.stop(),
    };
  }
  let total = 0;
  return {
    start: (t) => { total = t; },
    epoch: (l) =>
      stream.write(`epoch ${l.epoch}/${total} loss ${l.loss.toFixed(4)} val_loss ${l.valLoss.toFixed(4)} val_auc ${l.valAuc.toFixed(4)} (${l.seconds.toFixed(2)} s)\n`),
    stop() {},
  };
}
