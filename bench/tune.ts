/**
 * Section 8, tuning under a time budget: `npm run tune -- --time-budget 2m`
 * (quick: 45 s and --epochs 30) on the bundled data in a child process, beside the same
 * budget spent on plain random search that trains every trial to its full
 * epochs (`--no-halving`, the floor). Measured: wall time against the budget,
 * trials judged, the winner's test AUC, and the machine's load average while
 * it ran (the budget is wall-clock time; other work on the machine eats it).
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import type { Context } from "./context.ts";
import { NODE, runChild, tail } from "./proc.ts";
import { ratio } from "./stats.ts";
import { fmt, table, times } from "./table.ts";

export interface TuneRun {
  halving: boolean;
  wallS: number;
  evaluated: number;
  fullLengthTrials: number;
  testAuc: number;
  winner: string;
  loadBefore: number;
  loadAfter: number;
}

export interface TuneResult {
  budgetS: number;
  epochs: number;
  runs: TuneRun[];
  wallVsBudget: number;
  /** Trials judged ÷ full-length trials judged (÷ 1 when none finished: a lower bound). */
  trialsVsPlain: number;
}

interface TuneSummary { evaluated: number; fullLengthTrials: number; test?: { auc: number }; leaderboard: { config: string }[] }

async function tuneRun(budgetS: number, epochs: number, halving: boolean, out: string): Promise<TuneRun> {
  const loadBefore = loadavg()[0] as number;
  const args = ["--import", "tsx", "train/cli/tune.ts", "--time-budget", `${budgetS}s`, "--epochs", String(epochs), "--json", "--quiet", "--out", out, ...(halving ? [] : ["--no-halving"])];
  const r = await runChild(NODE, args, { timeoutMs: budgetS * 3000 });
  const s = JSON.parse(r.stdout.trim().split("\n").at(-1) || "{}") as TuneSummary & { error?: { message: string } };
  // Full-length trials may not fit the budget at all: that is a result (0 trials), not a failure.
  if (r.code === 1 && !halving && /too small for one trial/.test(s.error?.message ?? "")) {
    return { halving, wallS: r.wallMs / 1000, evaluated: 0, fullLengthTrials: 0, testAuc: NaN, winner: "(none finished)", loadBefore, loadAfter: loadavg()[0] as number };
  }
  if (r.code !== 0) throw new Error(`npm run tune -- ${args.slice(3).join(" ")} exited ${r.code ?? r.signal}\n${tail(r.stderr)}`);
  return {
    halving, wallS: r.wallMs / 1000, evaluated: s.evaluated, fullLengthTrials: s.fullLengthTrials, testAuc: s.test?.auc ?? NaN,
    winner: s.leaderboard[0]?.config ?? "", loadBefore, loadAfter: loadavg()[0] as number,
  };
}

export async function tune(ctx: Context): Promise<TuneResult> {
  const [budgetS, epochs] = ctx.quick ? [45, 30] : [120, 100];
  const dir = ctx.tmp("tune");
  const halving = await tuneRun(budgetS, epochs, true, join(dir, "tuned.json"));
  ctx.log(`  successive halving: ${halving.evaluated} trials in ${fmt(halving.wallS, 1)} s, test AUC ${fmt(halving.testAuc, 4)}`);
  const plain = await tuneRun(budgetS, epochs, false, join(dir, "plain.json"));
  ctx.log(`  full-length trials: ${plain.evaluated} trials in ${fmt(plain.wallS, 1)} s, test AUC ${fmt(plain.testAuc, 4)}`);
  return { budgetS, epochs, runs: [plain, halving], wallVsBudget: halving.wallS / budgetS, trialsVsPlain: ratio(halving.evaluated, Math.max(1, plain.evaluated)) };
}

export function tuneTable(r: TuneResult): string {
  return table(
    `8. Tuning: npm run tune -- --time-budget ${r.budgetS}s --epochs ${r.epochs} on the bundled data, one trial thread per core (floor: the same budget with --no-halving, every trial to its full epochs)`,
    ["search", "wall s", "÷ budget", "trials judged", "full-length equivalent", "trials ÷ floor", "test AUC", "winner", "load avg (1 min) before/after"],
    r.runs.map((x) => [
      x.halving ? "successive halving" : "full-length trials (floor)", fmt(x.wallS, 1), times(x.wallS / r.budgetS), x.evaluated, fmt(x.fullLengthTrials, 1),
      x.halving ? times(r.trialsVsPlain, 1) : "floor", fmt(x.testAuc, 4), x.winner, `${fmt(x.loadBefore, 1)} / ${fmt(x.loadAfter, 1)}`,
    ]),
  );
}
