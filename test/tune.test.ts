/**
 * The tuner: its search space, successive halving, cross-validation folds,
 * the choice of the winner, tuned.json, and whole runs on worker threads
 * (seeded, reproducible, and reproduced by `train --params`).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../shared/random.ts";
import { defaultTrainOptions, type TrainOptions } from "../train/fit/options.ts";
import { runJob } from "../train/job.ts";
import { assignFolds } from "../train/tune/folds.ts";
import { bracketEpochs, foldScore, rungEpochs, Scheduler, type FoldResult, type Trial, type Unit } from "../train/tune/schedule.ts";
import { chooseWinner } from "../train/tune/select.ts";
import { defaultSpace, parseSpace, sampleOptions } from "../train/tune/space.ts";
import { checkTunedFeatures, readTuned, TUNED_FORMAT } from "../train/tune/tuned.ts";
import { quickJob } from "./helpers/train-fixture.ts";

const dir = mkdtempSync(join(tmpdir(), "edgescore-tune-"));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
};

describe("search space", () => {
  it.each([
    ["an empty object", {}, /the search space is empty; name at least one of hidden, activation/],
    ["an unknown option", { depth: [1] }, /unknown option "depth"; searchable options are/],
    ["an empty list", { hidden: [] }, /"hidden" has no values to choose from/],
    ["an unknown activation", { activation: ["relu", "swish"] }, /"activation" expected one of relu, tanh, sigmoid, elu, found "swish"/],
    ["a negative learning rate", { learningRate: [-0.1] }, /"learningRate" expected a number above 0 and below 10, found -0.1/],
    ["an empty range", { dropout: { uniform: [0.5, 0.1] } }, /"dropout" range \[0.5, 0.1\] is empty/],
    ["a log range from 0", { l2: { logUniform: [0, 0.1] } }, /"l2" logUniform needs a lower bound above 0/],
    ["a range for a choice option", { optimizer: { uniform: [0, 1] } }, /"optimizer" expected a list of choices, found/],
    ["not an object", [1, 2], /expected a JSON object of options/],
  ])("refuses %s, naming the option", (_name, json, message) => {
    expect(() => parseSpace(json, "--space s.json")).toThrow(message);
  });

  it("samples the same trials from the same seed, and tidies options that do nothing", () => {
    const space = parseSpace({ hidden: [[], [8]], optimizer: ["adam", "sgd"], momentum: [0.9], dropout: [0.3], learningRate: { logUniform: [1e-4, 1e-2] } }, "s");
    const draw = (seed: number) => Array.from({ length: 30 }, (_, i) => sampleOptions(space, defaultTrainOptions, seededRandom(seed * 1000 + i)));
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    for (const o of draw(1)) {
      expect(o.learningRate).toBeGreaterThanOrEqual(1e-4);
      expect(o.learningRate).toBeLessThanOrEqual(1e-2);
      if (o.optimizer === "adam") expect(o.momentum).toBe(0);
      if (o.hidden.length === 0) expect(o.dropout).toBe(0);
    }
    expect(draw(1).some((o) => o.hidden.length === 0)).toBe(true);
  });

  it("has logistic regression in the default space", () => {
    expect("choice" in defaultSpace.hidden! && defaultSpace.hidden.choice).toContainEqual([]);
  });
});

/** A deterministic stand-in for training: AUC rises with epochs toward a quality set by the options. */
function fakeTrain(u: Unit, previous?: FoldResult): FoldResult {
  const quality = 0.85 - Math.abs(Math.log10(u.options.learningRate) + 2.5) * 0.03 - (u.options.hidden.length === 0 ? 0.01 : 0);
  const valAuc = Array.from({ length: u.toEpoch }, (_, e) => 0.5 + (quality - 0.5) * (1 - Math.exp(-(e + 1) / 6)) + u.fold * 1e-4);
  return { epochs: u.toEpoch, bestEpoch: u.toEpoch, valAuc, valLoss: valAuc.map((a) => 1 - a), stopped: false, seconds: 0.01 * (u.toEpoch - (previous?.epochs ?? 0)) };
}

/** Runs a scheduler to the end with two workers, completing units in the order `pick` chooses. */
function simulate(pick: (inflight: { w: number; u: Unit }[]) => number, maxTrials = 20): Scheduler {
  const s = new Scheduler({ maxEpochs: 27, eta: 3, folds: 2, metric: "auc", maxTrials }, (id) => sampleOptions(defaultSpace, defaultTrainOptions, seededRandom(id + 1)));
  const inflight: { w: number; u: Unit }[] = [];
  for (;;) {
    for (const w of [0, 1]) {
      if (inflight.some((x) => x.w === w)) continue;
      const u = s.next(w, () => 9);
      if (u) inflight.push({ w, u });
    }
    if (!inflight.length) return s;
    const [{ u }] = inflight.splice(pick(inflight), 1) as [{ w: number; u: Unit }];
    s.report(u, fakeTrain(u, s.trials[u.trial]!.folds[u.fold]));
  }
}

describe("successive halving", () => {
  it("rungs grow by eta up to the full epochs; a bracket of 27 costs a fraction of 27 full trainings", () => {
    expect(rungEpochs(100, 3)).toEqual([4, 12, 36, 100]);
    expect(rungEpochs(3, 3)).toEqual([1, 3]);
    expect(rungEpochs(30, 3)).toEqual([1, 3, 9, 30]);
    expect(rungEpochs(100, 3, 1)).toEqual([100]);
    expect(bracketEpochs(27, [4, 12, 36, 100], 3, 1)).toBe(27 * 4 + 9 * 8 + 3 * 24 + 64);
    expect(bracketEpochs(27, [4, 12, 36, 100], 3, 1) * 3).toBeLessThan(27 * 100);
  });

  it("reaches the same result whatever order the workers finish in", () => {
    const first = simulate(() => 0);
    const last = simulate((xs) => xs.length - 1);
    const ids = (s: Scheduler) => s.ranking().map((t) => [t.id, t.rung, foldScore(t, "auc").mean]);
    expect(ids(last)).toEqual(ids(first));
    expect(first.trials).toHaveLength(20);
  });

  it("keeps the best third of each rung and trains only the survivors longer, logistic regressions ranked apart", () => {
    const s = simulate(() => 0, 9);
    const byRung = [0, 1, 2, 3].map((r) => s.trials.filter((t) => t.rung >= r).length);
    expect(byRung[0]).toBe(9);
    expect(byRung[3]).toBeLessThanOrEqual(2);
    const top = s.trials.filter((t) => t.rung === 3);
    expect(top.every((t) => t.epochs === 27)).toBe(true);
    expect(s.trials.filter((t) => t.rung < 1).every((t) => t.epochs === 1)).toBe(true);
    if (s.trials.some((t) => t.options.hidden.length === 0)) expect(top.some((t) => t.options.hidden.length === 0)).toBe(true);
  });
});

describe("choosing the winner", () => {
  const trial = (id: number, hidden: number[], aucs: number[], rung = 3): Trial => ({
    id, options: { ...defaultTrainOptions, hidden }, bracket: 0, rung, done: true, seconds: 1, epochs: 10, worker: [],
    folds: aucs.map((a) => ({ epochs: 10, bestEpoch: 10, valAuc: new Array(10).fill(a), valLoss: new Array(10).fill(1 - a), stopped: false, seconds: 1 })),
  });

  it("takes a logistic regression within one standard error of the best network", () => {
    const net = trial(0, [64], [0.86, 0.82, 0.84, 0.80, 0.88]);
    const logit = trial(1, [], [0.85, 0.80, 0.83, 0.81, 0.86]);
    const c = chooseWinner([net, logit], "auc", 30)!;
    expect(c.winner).toBe(logit);
    expect(c.reason).toMatch(/within one standard error \(0\.0141\) of the best, trial 0 .*logistic regression is chosen/);
  });

  it("takes the best network when the logistic regression is clearly worse, and ignores trials cut early", () => {
    const net = trial(0, [64], [0.86, 0.85, 0.86, 0.85, 0.86]);
    const logit = trial(1, [], [0.80, 0.79, 0.80, 0.79, 0.80]);
    const early = trial(2, [8], [0.99, 0.99, 0.99, 0.99, 0.99], 0);
    expect(chooseWinner([net, logit, early], "auc", 30)!.winner).toBe(net);
  });

  it("deals every row into stratified folds", () => {
    const y = new Float32Array(1000).map((_, i) => (i % 4 === 0 ? 1 : 0));
    const folds = assignFolds(y, 5, 1);
    for (let f = 0; f < 5; f++) {
      const rows = [...folds.keys()].filter((i) => folds[i] === f);
      expect(rows.length).toBe(200);
      expect(rows.filter((i) => y[i] === 1).length).toBe(50);
    }
  });
});

const tunedBase = { format: TUNED_FORMAT, data: { features: ["a", "b"] }, params: { ...defaultTrainOptions, patience: 0, validation: 0 } };

describe("tuned.json", () => {
  it.each([
    ["another format", { ...tunedBase, format: "x" }, /expected a tuned.json written by npm run tune/],
    ["an unknown option value", { ...tunedBase, params: { ...tunedBase.params, activation: "swish" } }, /params\.activation expected one of relu, tanh, sigmoid, elu, found "swish"/],
    ["a missing option", { ...tunedBase, params: { ...tunedBase.params, l2: undefined } }, /params\.l2 is missing/],
    ["an unknown option", { ...tunedBase, params: { ...tunedBase.params, depth: 3 } }, /unknown option params\.depth/],
    ["no feature list", { ...tunedBase, data: {} }, /data\.features .* is missing/],
  ])("refuses %s", (_name, json, message) => {
    expect(() => readTuned(file("t.json", json))).toThrow(message);
  });

  it("refuses options tuned on other features, naming the difference", () => {
    const spec = { target: "y", positive: "1", negative: "0", features: [{ name: "a" }, { name: "c" }] } as never;
    expect(() => checkTunedFeatures({ path: "tuned.json", features: ["a", "b"] }, spec))
      .toThrow(/--params tuned.json was tuned on other data: its features b are not in this data; this data's features c were not in it/);
  });
});

describe("a whole search on worker threads", () => {
  it("is reproducible from its seed, touches the test rows only for the winner, and train --params reproduces it", async () => {
    const csv = readFileSync("data/credit_data.csv", "utf8").trim().split("\n");
    const data = file("small.csv", `${csv.slice(0, 601).join("\n")}\n`);
    const job = quickJob({
      data, testRows: undefined, validationShare: 0.1, testShare: 0.3, backend: "wasm",
      train: { ...quickJob().train, epochs: 3, patience: 0 },
      tune: { trials: 4, startedAt: Date.now(), metric: "auc", space: defaultSpace, workers: 2 },
    });
    const [a, b] = [await runJob(job, { log: () => {} }), await runJob({ ...job, tune: { ...job.tune!, startedAt: Date.now() } }, { log: () => {} })];
    expect(a.tuning!.selection).toMatch(/^5-fold stratified CV on 4\d\d training rows$/);
    expect(a.tuning!.evaluated).toBe(4);
    expect(b.tuning!.leaderboard.map((r) => [r.config, r.auc])).toEqual(a.tuning!.leaderboard.map((r) => [r.config, r.auc]));
    expect(b.test!.auc).toBe(a.test!.auc);
    // CV used every training row; the final fit is the winner's refit on all of them.
    expect(a.validationShare).toBe(0);
    const winner: TrainOptions = a.tuning!.winner;
    expect(winner.patience).toBe(0);
    const again = await runJob({ ...job, tune: undefined, train: winner, validationShare: 0 }, { log: () => {} });
    expect(again.test!.auc).toBe(a.test!.auc);
  }, 120_000);
});

/** Runs a CLI script with the Node that runs vitest. */
function cli(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["node_modules/tsx/dist/cli.mjs", script, ...args], { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe("tune and train --params exit codes", () => {
  it("an unknown option value, an empty space, a budget too small for one trial, a tuned.json from other data: a clear error with exit 2 or 1", async () => {
    const other = file("other-tuned.json", { ...tunedBase, data: { features: ["customer_age", "balance"] } });
    const [value, empty, budget, foreign] = await Promise.all([
      cli("train/cli/tune.ts", ["--activation", "swish", "--json"]),
      cli("train/cli/tune.ts", ["--space", file("empty.json", "{}"), "--json"]),
      cli("train/cli/tune.ts", ["--time-budget", "1s", "--json"]),
      cli("train/cli/train.ts", ["--params", other, "--dry-run", "--json"]),
    ]);
    expect([value.code, empty.code, budget.code, foreign.code]).toEqual([2, 2, 1, 1]);
    expect(JSON.parse(value.stdout).error.message).toBe('--activation: expected one of relu, tanh, sigmoid, elu, found "swish"');
    expect(JSON.parse(empty.stdout).error.message).toMatch(/the search space is empty/);
    expect(JSON.parse(budget.stdout).error.message).toMatch(/the time budget 1\.0 s is too small for one trial: .*allow/);
    expect(JSON.parse(foreign.stdout).error.message).toMatch(/was tuned on other data: its features customer_age, balance are not in this data; this data's features Seniority, Home, .* were not in it/);
    for (const r of [value, empty, budget, foreign]) expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);
});
