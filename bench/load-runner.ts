/** Runs bench/load.ts (autocannon) in its own process for a list of cases and collects one result per case. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Context } from "./context.ts";
import type { LoadCase, LoadConfig, LoadResult } from "./load.ts";
import { NODE, runChild, tail, TSX_CLI } from "./proc.ts";
import { fmt } from "./table.ts";

export async function runLoad(ctx: Context, dir: string, origin: string, cases: LoadCase[]): Promise<LoadResult[]> {
  const configFile = join(dir, "load.json");
  writeFileSync(configFile, JSON.stringify({ url: origin, cases } satisfies LoadConfig));
  const width = Math.max(...cases.map((c) => c.name.length));
  const results: LoadResult[] = [];
  const r = await runChild(NODE, [TSX_CLI, "bench/load.ts", configFile], {
    onLine: (line) => {
      if (!line.startsWith("{")) return;
      const res = JSON.parse(line) as LoadResult;
      results.push(res);
      ctx.log(`  ${res.name.padEnd(width)} p50 ${fmt(res.p50, 3)} ms  ${fmt(res.rps, 0)} req/s`);
    },
    timeoutMs: (cases.reduce((s, c) => s + c.seconds + c.warmupSeconds, 0) + 60) * 1000,
  });
  if (r.code !== 0 || results.length !== cases.length) {
    throw new Error(`bench/load.ts exited ${r.code} after ${results.length} of ${cases.length} cases\n${tail(r.stderr)}`);
  }
  return results;
}
