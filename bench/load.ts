/**
 * The load generator, run as its own process (so it does not share an event
 * loop with anything being measured): `tsx bench/load.ts <config.json>`.
 * For each case: a warm-up run that is thrown away, then a fixed-duration run
 * with autocannon. Latencies are collected per response at sub-millisecond
 * resolution (autocannon's own histogram keeps whole milliseconds). Prints one
 * JSON line per case on stdout.
 */
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import { percentile } from "./stats.ts";

export interface LoadCase {
  name: string;
  path: string;
  /** File with the request body. */
  bodyFile: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** Extra request headers (e.g. Authorization). */
  headers?: Record<string, string>;
  /** Another server than the config's `url` (cases against two workers, interleaved). */
  origin?: string;
}

export interface LoadConfig {
  url: string;
  cases: LoadCase[];
}

export interface LoadResult {
  name: string;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

function blast(url: string, c: LoadCase, body: string, seconds: number, onResponse?: (status: number, ms: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: `${c.origin ?? url}${c.path}`, method: "POST", headers: { "content-type": "application/json", ...c.headers }, body, connections: c.connections, duration: seconds },
      (err: unknown, result: autocannon.Result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result)),
    );
    if (onResponse) {
      // @types/autocannon omits the first argument (the client) that autocannon 9 emits with "response".
      (instance as NodeJS.EventEmitter).on("response", (_client: unknown, status: number, _bytes: number, ms: number) => onResponse(status, ms));
    }
  });
}

async function runCase(url: string, c: LoadCase): Promise<LoadResult> {
  const body = readFileSync(c.bodyFile, "utf8");
  if (c.warmupSeconds > 0) await blast(url, c, body, c.warmupSeconds);
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  let non2xx = 0;
  const started = performance.now();
  const result = await blast(url, c, body, c.seconds, (status, ms) => {
    if (status < 200 || status >= 300) { non2xx++; return; }
    if (n === latencies.length) { const grown = new Float64Array(n * 2); grown.set(latencies); latencies = grown; }
    latencies[n++] = ms;
  });
  const elapsed = (performance.now() - started) / 1000;
  const sorted = latencies.subarray(0, n).sort();
  return {
    name: c.name, connections: c.connections, seconds: elapsed, requests: n, rps: n / elapsed,
    p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[n - 1] ?? NaN,
    non2xx, errors: result.errors, timeouts: result.timeouts,
  };
}

const config = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as LoadConfig;
for (const c of config.cases) {
  process.stdout.write(`${JSON.stringify(await runCase(config.url, c))}\n`);
}
