/**
 * The peer for the training section: scikit-learn's MLPClassifier fitting the
 * seed's recipe (64 relu, adam, lr 0.001, batch 32, 100 epochs, no early
 * stopping) on the very rows the reference run trains on, exported encoded
 * from the real data preparation. Run side by side when `python3` with
 * scikit-learn is here; otherwise the committed figure measured on this
 * machine stands in, and the table says which.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { prepareData } from "../train/data/prepare.ts";
import { quickJob } from "../test/helpers/train-fixture.ts";
import { runChild } from "./proc.ts";

/** scikit-learn 1.9 MLPClassifier, 100 epochs on the 3,563 bundled training rows, fit only: measured on this machine (issue 23). */
export const COMMITTED_SKLEARN_FIT_S = 1.59;

export interface SklearnFit {
  fitS: number;
  source: "measured" | "committed";
  note: string;
}

const SCRIPT = `
import json, sys, time, warnings
import numpy as np
from sklearn.neural_network import MLPClassifier
import sklearn
d = np.loadtxt(sys.argv[1], delimiter=",", dtype=np.float32)
x, y = d[:, 1:], d[:, 0]
m = MLPClassifier(hidden_layer_sizes=(64,), activation="relu", solver="adam", learning_rate_init=0.001, batch_size=32,
                  max_iter=int(sys.argv[2]), shuffle=True, random_state=42, tol=0.0, n_iter_no_change=10**9, early_stopping=False)
warnings.simplefilter("ignore")
t = time.perf_counter()
m.fit(x, y)
print(json.dumps({"fitS": time.perf_counter() - t, "rows": int(x.shape[0]), "version": sklearn.__version__}))
`;

/** The encoded training rows of `train --validation 0` on the bundled data (label first), as CSV in `dir`. */
async function exportRows(dir: string): Promise<{ path: string; rows: number }> {
  const p = await prepareData(quickJob({ validationShare: 0 }), { log: () => {} });
  const m = p.data!.train;
  const x = m.x!;
  const lines: string[] = [];
  for (let r = 0; r < m.n; r++) lines.push([m.y[r], ...x.subarray(r * m.width, (r + 1) * m.width)].join(","));
  p.data!.dispose();
  const path = join(dir, "train-rows.csv");
  writeFileSync(path, lines.join("\n") + "\n");
  return { path, rows: m.n };
}

export async function sklearnFit(dir: string, epochs: number): Promise<SklearnFit> {
  const committed = (why: string): SklearnFit => ({
    fitS: (COMMITTED_SKLEARN_FIT_S * epochs) / 100, source: "committed",
    note: `${why}: the committed ${COMMITTED_SKLEARN_FIT_S} s (scikit-learn 1.9, 3,563 rows, 100 epochs, this machine)${epochs !== 100 ? `, scaled to ${epochs} epochs` : ""}`,
  });
  const probe = await runChild("python3", ["-c", "import sklearn"], { timeoutMs: 60_000 }).catch(() => undefined);
  if (!probe) return committed("no python3");
  if (probe.code !== 0) return committed("python3 without scikit-learn");
  const { path, rows } = await exportRows(dir);
  const r = await runChild("python3", ["-c", SCRIPT, path, String(epochs)], { timeoutMs: 600_000 });
  if (r.code !== 0) return committed(`scikit-learn failed (${r.stderr.trim().split("\n").at(-1) ?? r.code})`);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as { fitS: number; rows: number; version: string };
  return { fitS: out.fitS, source: "measured", note: `scikit-learn ${out.version} MLPClassifier, same ${rows} encoded rows, run beside this one` };
}
