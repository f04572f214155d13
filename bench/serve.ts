/**
 * Section 1, serving: the built worker in workerd, the model published through
 * the S3 endpoint, loaded by autocannon from a separate process on loopback.
 * Each /predict case is compared with POST /__bench/noop (same auth, body
 * limit and JSON parse, no model) carrying the same body over the same number
 * of connections, measured right before it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { publishTo } from "../train/job.ts";
import type { Context } from "./context.ts";
import { body, testInstances } from "./instances.ts";
import type { LoadCase, LoadResult } from "./load.ts";
import { runLoad } from "./load-runner.ts";
import { tail } from "./proc.ts";
import { ratio } from "./stats.ts";
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
  secondsPerCase: number;
  warmupSeconds: number;
  cases: ServeCase[];
}

interface Plan { name: string; path: string; rows: number; floor?: string }

function plan(connections: number): Plan[] {
  const c = `${connections}c`;
  return [
    { name: `noop 1 row ${c}`, path: "/__bench/noop", rows: 1 },
    { name: `predict 1 reasons ${c}`, path: "/predict", rows: 1, floor: `noop 1 row ${c}` },
    { name: `predict 1 explain=false ${c}`, path: "/predict?explain=false", rows: 1, floor: `noop 1 row ${c}` },
    { name: `noop 32 rows ${c}`, path: "/__bench/noop", rows: 32 },
    { name: `predict 32 reasons ${c}`, path: "/predict", rows: 32, floor: `noop 32 rows ${c}` },
    { name: `noop 256 rows ${c}`, path: "/__bench/noop", rows: 256 },
    { name: `predict 256 reasons ${c}`, path: "/predict", rows: 256, floor: `noop 256 rows ${c}` },
    { name: `predict 256 explain=false ${c}`, path: "/predict?explain=false", rows: 256, floor: `noop 256 rows ${c}` },
  ];
}

export async function serve(ctx: Context): Promise<ServeResult> {
  const [build, artifact] = [await ctx.workerBuild(), await ctx.artifact()];
  const seconds = ctx.quick ? 2 : 10;
  const warmupSeconds = ctx.quick ? 0.5 : 2;
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
    const plans = [...plan(1), ...plan(8)];
    for (const p of plan(1)) {
      const r = await timedPost(w.url, p.path, bodies.get(p.rows) as string);
      if (r.status !== 200) throw new Error(`POST ${p.path} with ${p.rows} rows answered ${r.status}: ${r.text.slice(0, 300)}\n${tail(w.lines.join("\n"))}`);
      if (p.path.startsWith("/predict") && r.text.includes('"reasons"') !== (p.path === "/predict")) throw new Error(`POST ${p.path} answered ${p.path === "/predict" ? "without" : "with"} reasons: ${r.text.slice(0, 300)}`);
    }
    const cases: LoadCase[] = plans.map((p) => ({ name: p.name, path: p.path, bodyFile: bodyFile(p.rows), connections: p.name.endsWith(" 8c") ? 8 : 1, seconds, warmupSeconds }));
    ctx.log(`serving: ${cases.length} cases × (${warmupSeconds} s warm-up + ${seconds} s), autocannon in a child process`);
    const results = await runLoad(ctx, dir, w.url.origin, cases);
    const byName = new Map(results.map((x) => [x.name, x]));
    const out: ServeCase[] = plans.map((p) => {
      const res = byName.get(p.name) as LoadResult;
      const floor = p.floor ? byName.get(p.floor) : undefined;
      return {
        ...res, path: p.path, rows: p.rows, bodyBytes: Buffer.byteLength(bodies.get(p.rows) as string),
        ...(floor ? { floor: floor.name, p50VsFloor: ratio(res.p50, floor.p50), p99VsFloor: ratio(res.p99, floor.p99), rpsVsFloor: ratio(res.rps, floor.rps) } : {}),
      };
    });
    const bad = out.filter((c) => c.non2xx || c.errors || c.timeouts);
    if (bad.length) throw new Error(`non-2xx responses or errors under load: ${bad.map((c) => `${c.name}: ${c.non2xx} non-2xx, ${c.errors} errors, ${c.timeouts} timeouts`).join("; ")}`);
    return { secondsPerCase: seconds, warmupSeconds, cases: out };
  } finally {
    await w.dispose();
  }
}

export function serveTable(r: ServeResult): string {
  return table(
    `1. Serving: built worker in workerd, autocannon from a separate process, ${r.secondsPerCase} s per case after ${r.warmupSeconds} s warm-up (floor: POST /__bench/noop, same body and connections)`,
    ["case", "conns", "body KiB", "p50 ms", "p90 ms", "p99 ms", "req/s", "non-2xx", "p50 ÷ floor", "p99 ÷ floor", "req/s ÷ floor"],
    r.cases.map((c) => [
      c.name.replace(/ \dc$/, ""), c.connections, kib(c.bodyBytes), fmt(c.p50, 3), fmt(c.p90, 3), fmt(c.p99, 3), fmt(c.rps, 0), c.non2xx + c.errors + c.timeouts,
      c.floor ? times(c.p50VsFloor) : "floor", c.floor ? times(c.p99VsFloor) : "", c.floor ? times(c.rpsVsFloor) : "",
    ]),
  );
}
