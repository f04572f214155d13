/**
 * Section 1, serving: the built worker in workerd, the model published through
 * the S3 endpoint, loaded by autocannon from a separate process on loopback.
 * Each /predict case is compared with POST /__bench/noop (same auth, body
 * limit and JSON parse, no model) carrying the same body over the same number
 * of connections. Floors and cases run in interleaved rounds and each ratio is
 * the median of its per-round ratios: this machine drifts by tens of percent
 * within minutes, and a floor measured once, a minute before its case, carried
 * that drift into the ratio. Five rounds of 2.5 s (after a 0.5 s warm-up), not
 * three of 4 s (after 1 s): the same 15 s per case, but the median of five
 * per-round ratios is moved by one drifting round less than the median of
 * three (a run on 2026-12-06 gave 1.74, 1.69 and 1.17× for one case). 2.5 s is
 * still over a thousand requests per case and round at 1 connection, plenty
 * for a p50; the route's code is warm after the first round's checks.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { publishTo } from "../train/job.ts";
import type { Context } from "./context.ts";
import { body, testInstances } from "./instances.ts";
import type { LoadCase, LoadResult } from "./load.ts";
import { runLoad } from "./load-runner.ts";
import { tail } from "./proc.ts";
import { median, ratio } from "./stats.ts";
import { fmt, kib, table, times } from "./table.ts";
import { startWorker, timedPost } from "./worker.ts";

export const SERVE_BINDINGS = { MODEL_NAME: "credit-risk", AUTH_MODE: "off", BENCH_ROUTES: "on", MODEL_REFRESH_SECONDS: "3600" };

export interface ServeCase extends LoadResult {
  path: string;
  rows: number;
  bodyBytes: number;
  /** Name of the floor case (same body, same connections); absent for floors. */
  floor?: string;
  p50VsFloor?: number;
  p99VsFloor?: number;
  rpsVsFloor?: number;
}

export interface ServeResult {
  /** Measured seconds per case in each round. */
  secondsPerCase: number;
  warmupSeconds: number;
  rounds: number;
  cases: ServeCase[];
}

/** One case over rounds: medians of the per-round figures, sums of the counts. */
function acrossRounds(runs: LoadResult[]): LoadResult {
  const m = (k: "p50" | "p90" | "p99" | "rps") => median(runs.map((r) => r[k]));
  const sum = (k: "seconds" | "requests" | "non2xx" | "errors" | "timeouts") => runs.reduce((a, r) => a + r[k], 0);
  const first = runs[0] as LoadResult;
  return {
    ...first, p50: m("p50"), p90: m("p90"), p99: m("p99"), rps: m("rps"), max: Math.max(...runs.map((r) => r.max)),
    seconds: sum("seconds"), requests: sum("requests"), non2xx: sum("non2xx"), errors: sum("errors"), timeouts: sum("timeouts"),
  };
}

interface Plan { name: string; path: string; rows: number; floor?: string }

/**
 * With `answerBytes` (the 256-applicant answer with reasons, measured by the checks), one connection also runs
 * the floor answering that many bytes it did not build: how much of the case's ratio is sending its answer.
 */
function plan(connections: number, answerBytes?: number): Plan[] {
  const c = `${connections}c`;
  return [
    { name: `noop 1 row ${c}`, path: "/__bench/noop", rows: 1 },
    { name: `predict 1 reasons ${c}`, path: "/predict", rows: 1, floor: `noop 1 row ${c}` },
    { name: `predict 1 explain=false ${c}`, path: "/predict?explain=false", rows: 1, floor: `noop 1 row ${c}` },
    { name: `noop 32 rows ${c}`, path: "/__bench/noop", rows: 32 },
    { name: `predict 32 reasons ${c}`, path: "/predict", rows: 32, floor: `noop 32 rows ${c}` },
    { name: `noop 256 rows ${c}`, path: "/__bench/noop", rows: 256 },
    ...(answerBytes ? [{ name: `noop 256 rows, answer-sized ${c}`, path: `/__bench/noop?bytes=${answerBytes}`, rows: 256, floor: `noop 256 rows ${c}` }] : []),
    { name: `predict 256 reasons ${c}`, path: "/predict", rows: 256, floor: `noop 256 rows ${c}` },
    { name: `predict 256 explain=false ${c}`, path: "/predict?explain=false", rows: 256, floor: `noop 256 rows ${c}` },
  ];
}

export async function serve(ctx: Context): Promise<ServeResult> {
  const [build, artifact] = [await ctx.workerBuild(), await ctx.artifact()];
  const rounds = ctx.quick ? 1 : 5;
  const seconds = ctx.quick ? 2 : 2.5;
  const warmupSeconds = 0.5;
  const dir = ctx.tmp("serve");
  const instances = testInstances(artifact.manifest.spec, 256);
  const bodies = new Map<number, string>([1, 32, 256].map((n) => [n, body(instances.slice(0, n))]));
  const bodyFile = (rows: number) => join(dir, `body-${rows}.json`);
  for (const [rows, text] of bodies) writeFileSync(bodyFile(rows), text);

  const w = await startWorker({ dir: build.dir, entry: build.entry, bindings: SERVE_BINDINGS });
  ctx.onCleanup(() => w.dispose());
  try {
    await publishTo(w.s3, artifact);
    // Load the model and check every request once before measuring.
    let answerBytes: number | undefined;
    const check = async (p: Plan) => {
      const r = await timedPost(w.url, p.path, bodies.get(p.rows) as string);
      if (r.status !== 200) throw new Error(`POST ${p.path} with ${p.rows} rows answered ${r.status}: ${r.text.slice(0, 300)}\n${tail(w.lines.join("\n"))}`);
      if (p.path.startsWith("/predict") && r.text.includes('"reasons"') !== (p.path === "/predict")) throw new Error(`POST ${p.path} answered ${p.path === "/predict" ? "without" : "with"} reasons: ${r.text.slice(0, 300)}`);
      return Buffer.byteLength(r.text);
    };
    for (const p of plan(1)) {
      const bytes = await check(p);
      if (p.path === "/predict" && p.rows === 256) answerBytes = bytes;
    }
    const plans = [...plan(1, answerBytes), ...plan(8)];
    for (const p of plans.filter((x) => x.path.includes("?bytes="))) {
      if (await check(p) !== answerBytes) throw new Error(`POST ${p.path} did not answer ${answerBytes} bytes`);
    }
    const cases: LoadCase[] = plans.map((p) => ({ name: p.name, path: p.path, bodyFile: bodyFile(p.rows), connections: p.name.endsWith(" 8c") ? 8 : 1, seconds, warmupSeconds }));
    ctx.log(`serving: ${rounds} round(s) × ${cases.length} cases × (${warmupSeconds} s warm-up + ${seconds} s), autocannon in a child process`);
    const perRound: Map<string, LoadResult>[] = [];
    for (let r = 0; r < rounds; r++) perRound.push(new Map((await runLoad(ctx, dir, w.url.origin, cases)).map((x) => [x.name, x])));
    const runsOf = (name: string) => perRound.map((m) => m.get(name) as LoadResult);
    const roundRatio = (p: Plan, k: "p50" | "p99" | "rps") => median(perRound.map((m) => ratio((m.get(p.name) as LoadResult)[k], (m.get(p.floor as string) as LoadResult)[k])));
    const out: ServeCase[] = plans.map((p) => ({
      ...acrossRounds(runsOf(p.name)), path: p.path, rows: p.rows, bodyBytes: Buffer.byteLength(bodies.get(p.rows) as string),
      ...(p.floor ? { floor: p.floor, p50VsFloor: roundRatio(p, "p50"), p99VsFloor: roundRatio(p, "p99"), rpsVsFloor: roundRatio(p, "rps") } : {}),
    }));
    const bad = out.filter((c) => c.non2xx || c.errors || c.timeouts);
    if (bad.length) throw new Error(`non-2xx responses or errors under load: ${bad.map((c) => `${c.name}: ${c.non2xx} non-2xx, ${c.errors} errors, ${c.timeouts} timeouts`).join("; ")}`);
    return { secondsPerCase: seconds, warmupSeconds, rounds, cases: out };
  } finally {
    await w.dispose();
  }
}

export function serveTable(r: ServeResult): string {
  return table(
    `1. Serving: built worker in workerd, autocannon from a separate process, ${r.rounds ?? 1} interleaved round(s) of ${r.secondsPerCase} s per case after ${r.warmupSeconds} s warm-up; medians over rounds, each ratio the median of its per-round ratios (floor: POST /__bench/noop, same body and connections)`,
    ["case", "conns", "body KiB", "p50 ms", "p90 ms", "p99 ms", "req/s", "non-2xx", "p50 ÷ floor", "p99 ÷ floor", "req/s ÷ floor"],
    r.cases.map((c) => [
      c.name.replace(/ \dc$/, ""), c.connections, kib(c.bodyBytes), fmt(c.p50, 3), fmt(c.p90, 3), fmt(c.p99, 3), fmt(c.rps, 0), c.non2xx + c.errors + c.timeouts,
      c.floor ? times(c.p50VsFloor) : "floor", c.floor ? times(c.p99VsFloor) : "", c.floor ? times(c.rpsVsFloor) : "",
    ]),
  );
}
