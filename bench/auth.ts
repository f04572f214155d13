/**
 * Section "auth": what authentication costs and what a hostile body costs.
 *
 * 1. The same 1-applicant POST /predict with an API key, an RS256 JWT and an
 *    ES256 JWT (AUTH_MODE=keys+jwt, JWKS from a loopback server, fetched once
 *    and cached), 1 connection, autocannon in a child process. The cases run
 *    in interleaved rounds so machine noise hits them alike; the added p50 is
 *    the median over rounds of (JWT p50 − key p50 in the same round).
 *    Cached tokens skip the signature check (edge/auth/jwt.ts), so a second
 *    measure sends a token never seen before on every request (sequential,
 *    keep-alive, the three credentials interleaved): the first-use cost.
 * 2. Server time (the worker's own request log) for one instance carrying
 *    111,817 unknown keys (about 1 MB): refused before JSON.parse, beside
 *    POST /__bench/noop with a 1 MB body of one long string (same read,
 *    decode and key scan; nothing to refuse).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TestIdp } from "../test/helpers/idp.ts";
import { publishTo } from "../train/job.ts";
import type { Context } from "./context.ts";
import { body, testInstances } from "./instances.ts";
import type { LoadCase } from "./load.ts";
import { runLoad } from "./load-runner.ts";
import { tail } from "./proc.ts";
import { median } from "./stats.ts";
import { fmt, table } from "./table.ts";
import { startWorker, timedPost } from "./worker.ts";

const API_KEY = "bench-api-key-0123456789abcdef";

export interface AuthCase { name: string; p50: number; p90: number; p99: number; rps: number; addedP50Ms?: number; rounds: number }
export interface HostileCase { name: string; status: number; serverMs: number; clientMs: number; runs: number; vsFloor?: number }
export interface FreshTokenCase { name: string; requests: number; p50: number; addedP50Ms?: number }
export interface AuthResult { secondsPerRound: number; cases: AuthCase[]; fresh: FreshTokenCase[]; hostile: HostileCase[]; jwtAddedP50Ms: number; jwtFirstUseAddedP50Ms: number; hostileServerMs: number }

export async function auth(ctx: Context): Promise<AuthResult> {
  const [build, artifact] = [await ctx.workerBuild(), await ctx.artifact()];
  const rounds = ctx.quick ? 1 : 3;
  const seconds = ctx.quick ? 2 : 5;
  const dir = ctx.tmp("auth");
  const idp = new TestIdp();
  await idp.addKey("rsa-1", "RS256");
  await idp.addKey("ec-1", "ES256");
  await idp.start();
  ctx.onCleanup(() => idp.close());
  const w = await startWorker({
    dir: build.dir, entry: build.entry, keepEvents: true,
    bindings: { MODEL_NAME: "credit-risk", BENCH_ROUTES: "on", MODEL_REFRESH_SECONDS: "3600", API_KEYS: API_KEY, ...idp.bindings("keys+jwt") },
  });
  ctx.onCleanup(() => w.dispose());
  try {
    await publishTo(w.s3, artifact);
    const one = join(dir, "one.json");
    writeFileSync(one, body(testInstances(artifact.manifest.spec, 1)));
    const hour = { exp: Math.floor(Date.now() / 1000) + 3600 };
    const credentials: [string, string][] = [
      ["API key", API_KEY],
      ["JWT RS256", await idp.sign(idp.claims("bench-user", hour), "rsa-1")],
      ["JWT ES256", await idp.sign(idp.claims("bench-user", hour), "ec-1")],
    ];
    for (const [name, cred] of credentials) {
      const r = await timedPost(w.url, "/predict", body(testInstances(artifact.manifest.spec, 1)), { "content-type": "application/json", authorization: `Bearer ${cred}` });
      if (r.status !== 200) throw new Error(`${name}: POST /predict answered ${r.status}: ${r.text.slice(0, 300)}\n${tail(w.lines.join("\n"))}`);
    }
    const cases: LoadCase[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const [name, cred] of credentials) {
        cases.push({ name: `${name} #${r}`, path: "/predict", bodyFile: one, connections: 1, seconds, warmupSeconds: 1, headers: { authorization: `Bearer ${cred}` } });
      }
    }
    ctx.log(`auth: ${rounds} round(s) × ${credentials.length} cases × (1 s warm-up + ${seconds} s), autocannon in a child process`);
    const results = await runLoad(ctx, dir, w.url.origin, cases);
    const bad = results.filter((x) => x.non2xx || x.errors || x.timeouts);
    if (bad.length) throw new Error(`non-2xx responses or errors: ${bad.map((x) => `${x.name}: ${x.non2xx} non-2xx, ${x.errors} errors`).join("; ")}`);
    const of = (name: string) => results.filter((x) => x.name.startsWith(`${name} #`));
    const keyRuns = of("API key");
    const out: AuthCase[] = credentials.map(([name]) => {
      const runs = of(name);
      const added = name === "API key" ? undefined : median(runs.map((x, i) => x.p50 - (keyRuns[i]?.p50 ?? NaN)));
      return {
        name, rounds: runs.length, p50: median(runs.map((x) => x.p50)), p90: median(runs.map((x) => x.p90)), p99: median(runs.map((x) => x.p99)), rps: median(runs.map((x) => x.rps)),
        ...(added === undefined ? {} : { addedP50Ms: added }),
      };
    });

    // First use of each token: a new token per request, interleaved with the API key, one keep-alive connection.
    const perCase = ctx.quick ? 100 : 400;
    const oneBody = body(testInstances(artifact.manifest.spec, 1));
    const fresh = new Map<string, number[]>([["API key", []], ["JWT RS256, new token each request", []], ["JWT ES256, new token each request", []]]);
    const minted = await Promise.all(Array.from({ length: perCase }, async (_, i) => [
      await idp.sign(idp.claims(`fresh-${i}`, hour), "rsa-1"), await idp.sign(idp.claims(`fresh-${i}`, hour), "ec-1"),
    ] as const));
    for (let i = 0; i < perCase; i++) {
      for (const [name, cred] of [["API key", API_KEY], ["JWT RS256, new token each request", minted[i]![0]], ["JWT ES256, new token each request", minted[i]![1]]] as const) {
        const t0 = performance.now();
        const res = await fetch(new URL("/predict", w.url), { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${cred}` }, body: oneBody });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${name}: ${res.status}`);
        fresh.get(name)!.push(performance.now() - t0);
      }
    }
    const freshKeyP50 = median(fresh.get("API key")!);
    const freshOut: FreshTokenCase[] = [...fresh].map(([name, ms]) => ({ name, requests: ms.length, p50: median(ms), ...(name === "API key" ? {} : { addedP50Ms: median(ms) - freshKeyP50 }) }));

    // A hostile body: server time as the worker logs it, beside the no-op floor with a benign body of the same size.
    const fields = Object.fromEntries(Array.from({ length: 111_817 }, (_, i) => [i.toString(36), 0]));
    const hostileBody = JSON.stringify({ instances: [{ ...testInstances(artifact.manifest.spec, 1)[0], ...fields }] });
    const floorBody = JSON.stringify({ instances: [{ note: "x".repeat(hostileBody.length - 30) }] });
    const runs = ctx.quick ? 5 : 15;
    const hostile: HostileCase[] = [];
    for (const [name, path, payload, expected] of [["noop, 1 MB string body (floor)", "/__bench/noop", floorBody, 200], ["predict, 111,817 unknown keys", "/predict", hostileBody, 400]] as const) {
      const client: number[] = [];
      const before = w.events.length;
      let status = 0;
      for (let i = 0; i < runs; i++) {
        const r = await timedPost(w.url, path, payload, { "content-type": "application/json", authorization: `Bearer ${API_KEY}` });
        status = r.status;
        if (r.status !== expected) throw new Error(`${path} with the hostile body answered ${r.status}: ${r.text.slice(0, 200)}`);
        client.push(r.ms);
      }
      const server = w.events.slice(before).filter((e) => e.path === path && typeof e.ms === "number").map((e) => e.ms as number);
      hostile.push({ name, status, serverMs: median(server), clientMs: median(client), runs });
    }
    const floor = hostile[0]!;
    const attack = hostile[1]!;
    attack.vsFloor = attack.serverMs / floor.serverMs;
    const worst = (xs: { addedP50Ms?: number }[]) => Math.max(...xs.filter((c) => c.addedP50Ms !== undefined).map((c) => c.addedP50Ms as number));
    return { secondsPerRound: seconds, cases: out, fresh: freshOut, hostile, jwtAddedP50Ms: worst(out), jwtFirstUseAddedP50Ms: worst(freshOut), hostileServerMs: attack.serverMs };
  } finally {
    await w.dispose();
    await idp.close();
  }
}

export function authTable(r: AuthResult): string {
  return [
    table(
      `7. Authentication cost: 1-applicant POST /predict with reasons, 1 connection, ${r.cases[0]?.rounds ?? 0} interleaved round(s) of ${r.secondsPerRound} s per case (medians over rounds; floor: the same call with an API key)`,
      ["credential", "p50 ms", "p90 ms", "p99 ms", "req/s", "added p50 ms vs API key"],
      r.cases.map((c) => [c.name, fmt(c.p50, 3), fmt(c.p90, 3), fmt(c.p99, 3), fmt(c.rps, 0), c.addedP50Ms === undefined ? "floor" : fmt(c.addedP50Ms, 3)]),
    ),
    table(
      "   First use of a token (no cache): sequential requests on one keep-alive connection, the three credentials interleaved, a new token every time (client time)",
      ["credential", "requests", "p50 ms", "added p50 ms vs API key"],
      r.fresh.map((c) => [c.name, c.requests, fmt(c.p50, 3), c.addedP50Ms === undefined ? "floor" : fmt(c.addedP50Ms, 3)]),
    ),
    table(
      "8. Hostile body: one instance with 111,817 unknown keys (about 1 MB), server time from the worker's request log (floor: POST /__bench/noop with a 1 MB string of the same length)",
      ["case", "status", "runs", "server ms (median)", "client ms (median)", "server ÷ floor"],
      r.hostile.map((h) => [h.name, h.status, h.runs, fmt(h.serverMs, 2), fmt(h.clientMs, 2), h.vsFloor === undefined ? "floor" : `${fmt(h.vsFloor, 2)}×`]),
    ),
  ].join("\n");
}
