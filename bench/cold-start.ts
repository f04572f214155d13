/**
 * Section 3, cold start: a fresh Miniflare (workerd) from `new Miniflare` to
 * ready, against a trivial one-line worker; then the first POST /predict on a
 * fresh isolate (R2 reads, hash checks, wasm init, model build, warm-up) against
 * the first POST /__bench/noop on another fresh instance, same body. Every
 * instance reads the model from one persisted R2 directory, published once.
 * The same first /predict with signing on (MODEL_SIGNING_KEYS; the version and
 * its move published signed into a second directory) runs in the same rounds:
 * its ratio to the unsigned one is what verification costs a cold start.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { publishTo } from "../train/job.ts";
import type { Context } from "./context.ts";
import { body, testInstances } from "./instances.ts";
import { tail } from "./proc.ts";
import { SERVE_BINDINGS } from "./serve.ts";
import { median, ratio } from "./stats.ts";
import { fmt, table, times } from "./table.ts";
import { newCredentials, startWorker, timedPost, type RunningWorker, type WorkerOptions } from "./worker.ts";
import { generateKeyPair, signerFromPem } from "../train/registry/keys.ts";
import { parseTrustedKeys } from "../shared/signing.ts";

export interface ColdStartResult {
  repeats: number;
  /** Medians, ms. */
  readyMs: number;
  trivialReadyMs: number;
  firstPredictMs: number;
  firstNoopMs: number;
  /** The request's own duration as the worker logged it (in the isolate). */
  firstPredictServerMs: number;
  firstNoopServerMs: number;
  secondPredictMs: number;
  /** The first /predict with MODEL_SIGNING_KEYS set (client and server), and its load phases. */
  firstSignedMs: number;
  firstSignedServerMs: number;
  signedLoadPhases: Record<string, number>;
  /** Phases of the first model load as the worker's "model_loaded" log event reports them (medians, ms), if it does. */
  modelLoadPhases: Record<string, number>;
  runs: {
    readyMs: number[]; trivialReadyMs: number[]; firstPredictMs: number[]; firstNoopMs: number[]; firstPredictServerMs: number[]; firstNoopServerMs: number[]; secondPredictMs: number[];
    firstSignedMs: number[]; firstSignedServerMs: number[];
  };
}

/** The "model_loaded" event's ms: a number, or an object of phase → ms. */
function loadPhases(w: RunningWorker): Record<string, number> {
  const ms = w.events.find((x) => x.event === "model_loaded")?.ms;
  if (typeof ms === "number") return { total: ms };
  if (typeof ms !== "object" || ms === null) return {};
  return Object.fromEntries(Object.entries(ms).filter((e): e is [string, number] => typeof e[1] === "number"));
}

function serverMs(w: RunningWorker, path: string): number {
  const e = w.events.find((x) => x.path === path && typeof x.ms === "number");
  return e ? (e.ms as number) : NaN;
}

export async function coldStart(ctx: Context): Promise<ColdStartResult> {
  const [build, artifact] = [await ctx.workerBuild(), await ctx.artifact()];
  const repeats = ctx.quick ? 2 : 3;
  const r2Persist = ctx.tmp("cold-start/r2");
  const trivialDir = ctx.tmp("cold-start/trivial");
  writeFileSync(join(trivialDir, "index.js"), 'export default { fetch() { return new Response("ok"); } };\n');
  const credentials = newCredentials();
  const opts: WorkerOptions = { dir: build.dir, entry: build.entry, bindings: SERVE_BINDINGS, r2Persist, credentials, keepEvents: true };
  const oneRow = body(testInstances(artifact.manifest.spec, 1));

  const fresh = async <T>(o: WorkerOptions, use: (w: RunningWorker) => Promise<T>): Promise<T> => {
    const w = await startWorker(o);
    ctx.onCleanup(() => w.dispose());
    try { return await use(w); } finally { await w.dispose(); }
  };
  await fresh(opts, async (w) => { await publishTo(w.s3, artifact); });
  // Signing on: a key pair made for this run, the version and its move signed with it.
  const pair = await generateKeyPair();
  const trusted = await parseTrustedKeys(pair.entry);
  if (!trusted.ok) throw new Error(trusted.error);
  const signing = { signer: await signerFromPem(pair.privatePem, "bench key"), trusted: trusted.keys };
  const signedOpts: WorkerOptions = { ...opts, r2Persist: ctx.tmp("cold-start/r2-signed"), bindings: { ...SERVE_BINDINGS, MODEL_SIGNING_KEYS: pair.entry } };
  await fresh(signedOpts, async (w) => { await publishTo(w.s3, artifact, { signing }); });

  const runs: ColdStartResult["runs"] = {
    readyMs: [], trivialReadyMs: [], firstPredictMs: [], firstNoopMs: [], firstPredictServerMs: [], firstNoopServerMs: [], secondPredictMs: [], firstSignedMs: [], firstSignedServerMs: [],
  };
  const phases: Record<string, number>[] = [];
  const signedPhases: Record<string, number>[] = [];
  for (let i = 0; i < repeats; i++) {
    await fresh({ dir: trivialDir }, async (w) => { runs.trivialReadyMs.push(w.startMs); });
    await fresh(opts, async (w) => {
      runs.readyMs.push(w.startMs);
      const first = await timedPost(w.url, "/predict", oneRow);
      if (first.status !== 200) throw new Error(`first /predict on a fresh instance answered ${first.status}: ${first.text.slice(0, 300)}\n${tail(w.lines.join("\n"))}`);
      const second = await timedPost(w.url, "/predict", oneRow);
      runs.firstPredictMs.push(first.ms);
      runs.secondPredictMs.push(second.ms);
      runs.firstPredictServerMs.push(serverMs(w, "/predict"));
      phases.push(loadPhases(w));
    });
    await fresh(opts, async (w) => {
      runs.readyMs.push(w.startMs);
      const first = await timedPost(w.url, "/__bench/noop", oneRow);
      if (first.status !== 200) throw new Error(`first /__bench/noop answered ${first.status}: ${first.text.slice(0, 300)}`);
      runs.firstNoopMs.push(first.ms);
      runs.firstNoopServerMs.push(serverMs(w, "/__bench/noop"));
    });
    await fresh(signedOpts, async (w) => {
      const first = await timedPost(w.url, "/predict", oneRow);
      if (first.status !== 200) throw new Error(`first signed /predict answered ${first.status}: ${first.text.slice(0, 300)}\n${tail(w.lines.join("\n"))}`);
      runs.firstSignedMs.push(first.ms);
      runs.firstSignedServerMs.push(serverMs(w, "/predict"));
      signedPhases.push(loadPhases(w));
    });
    ctx.log(`  run ${i + 1}: signed first /predict ${fmt(runs.firstSignedMs.at(-1), 1)} ms`);
    ctx.log(`  run ${i + 1}: ready ${fmt(runs.readyMs.at(-1), 0)} ms, first /predict ${fmt(runs.firstPredictMs.at(-1), 1)} ms, first noop ${fmt(runs.firstNoopMs.at(-1), 1)} ms`);
  }
  return {
    repeats,
    readyMs: median(runs.readyMs), trivialReadyMs: median(runs.trivialReadyMs),
    firstPredictMs: median(runs.firstPredictMs), firstNoopMs: median(runs.firstNoopMs),
    firstPredictServerMs: median(runs.firstPredictServerMs), firstNoopServerMs: median(runs.firstNoopServerMs),
    secondPredictMs: median(runs.secondPredictMs), runs,
    firstSignedMs: median(runs.firstSignedMs), firstSignedServerMs: median(runs.firstSignedServerMs),
    modelLoadPhases: medianPhases(phases), signedLoadPhases: medianPhases(signedPhases),
  };
}

function medianPhases(phases: Record<string, number>[]): Record<string, number> {
  return Object.fromEntries([...new Set(phases.flatMap((p) => Object.keys(p)))].map((k) => [k, median(phases.map((p) => p[k] ?? NaN).filter(Number.isFinite))]));
}

export function coldStartTable(r: ColdStartResult): string {
  return table(
    `3. Cold start: medians of ${r.repeats} fresh Miniflare instances each (client: fresh TCP connection to last byte; server: the worker's own request log)`,
    ["measure", "ms", "floor", "floor ms", "÷ floor"],
    [
      ["start → ready (edgescore worker)", fmt(r.readyMs, 0), "trivial worker", fmt(r.trivialReadyMs, 0), times(ratio(r.readyMs, r.trivialReadyMs))],
      ["first /predict, 1 applicant (client)", fmt(r.firstPredictMs, 1), "first /__bench/noop", fmt(r.firstNoopMs, 1), times(ratio(r.firstPredictMs, r.firstNoopMs))],
      ["first /predict (server)", fmt(r.firstPredictServerMs, 1), "first /__bench/noop", fmt(r.firstNoopServerMs, 1), times(ratio(r.firstPredictServerMs, r.firstNoopServerMs))],
      ["second /predict (client)", fmt(r.secondPredictMs, 1), "first /__bench/noop", fmt(r.firstNoopMs, 1), times(ratio(r.secondPredictMs, r.firstNoopMs))],
      ...Object.entries(r.modelLoadPhases).map(([k, v]) => [`  model load: ${k} (server log)`, fmt(v, 1), "", "", ""]),
      ["first /predict, signing on (client)", fmt(r.firstSignedMs, 1), "signing off", fmt(r.firstPredictMs, 1), times(ratio(r.firstSignedMs, r.firstPredictMs))],
      ["first /predict, signing on (server)", fmt(r.firstSignedServerMs, 1), "signing off", fmt(r.firstPredictServerMs, 1), times(ratio(r.firstSignedServerMs, r.firstPredictServerMs))],
      ...Object.entries(r.signedLoadPhases).map(([k, v]) => [`  signed load: ${k} (server log)`, fmt(v, 1), "", fmt(r.modelLoadPhases[k], 1), ""]),
    ],
  );
}
