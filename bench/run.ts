/**
 * `npm run bench [-- --quick] [-- --only serve,auth] [-- --no-save] [-- --check] [-- --save-baseline] [-- --tune-budget 60] [-- --capture-rounds 64]`:
 * runs the sections in order, prints a table per section and the targets, and
 * writes bench/results/latest.json plus a dated copy (an ignored folder: a run
 * never dirties the checkout). `--save-baseline` also writes the committed
 * bench/baseline.json, the run the README quotes.
 * Exit: 0 ran · 1 a section failed to run · 2 usage · 3 with `--check`, a target was missed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { auth, authTable } from "./auth.ts";
import { capture, captureTable } from "./capture.ts";
import { coldStart, coldStartTable } from "./cold-start.ts";
import { createContext, type Context } from "./context.ts";
import { machine } from "./machine.ts";
import { modelTime, modelTimeTable } from "./model-time.ts";
import { stopAllChildren } from "./proc.ts";
import { scale, scaleTable } from "./scale.ts";
import { serve, serveTable } from "./serve.ts";
import { size, sizeTable } from "./size.ts";
import { targets, targetsTable, type Sections } from "./targets.ts";
import { train, trainTable } from "./train.ts";
import { options, optionsTable } from "./options.ts";
import { tune, tuneTable } from "./tune.ts";
import { score, scoreTable } from "./score.ts";

interface Section<K extends keyof Sections> {
  key: K;
  title: string;
  run: (ctx: Context) => Promise<NonNullable<Sections[K]>>;
  print: (r: NonNullable<Sections[K]>) => string;
}

const section = <K extends keyof Sections>(s: Section<K>) => s;
const SECTIONS = [
  section({ key: "serve", title: "serving latency/throughput", run: serve, print: serveTable }),
  section({ key: "modelTime", title: "model time inside the isolate", run: modelTime, print: modelTimeTable }),
  section({ key: "coldStart", title: "cold start", run: coldStart, print: coldStartTable }),
  section({ key: "size", title: "upload size", run: size, print: sizeTable }),
  section({ key: "train", title: "training", run: train, print: trainTable }),
  section({ key: "scale", title: "scale", run: scale, print: scaleTable }),
  section({ key: "auth", title: "authentication cost and hostile bodies", run: auth, print: authTable }),
  section({ key: "options", title: "smaller models (pruning, quantization, logistic)", run: options, print: optionsTable }),
  section({ key: "tune", title: "tuning under a time budget", run: tune, print: tuneTable }),
  section({ key: "score", title: "batch scoring (npm run score)", run: score, print: scoreTable }),
  section({ key: "capture", title: "decision capture (cost and completeness)", run: capture, print: captureTable }),
];

const RESULTS = "bench/results";
const BASELINE = "bench/baseline.json";

async function main(): Promise<number> {
  const { values: a } = parseArgs({
    args: process.argv.slice(2), strict: true,
    options: { quick: { type: "boolean" }, only: { type: "string" }, "no-save": { type: "boolean" }, check: { type: "boolean" }, "save-baseline": { type: "boolean" }, "tune-budget": { type: "string" }, "capture-rounds": { type: "string" } },
  });
  const quick = a.quick ?? false;
  const only = a.only?.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((k) => !SECTIONS.some((s) => s.key === k));
  if (unknown?.length) {
    process.stderr.write(`unknown section(s) ${unknown.join(", ")}; sections: ${SECTIONS.map((s) => s.key).join(", ")}\n`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const tuneBudgetS = a["tune-budget"] === undefined ? undefined : Number(a["tune-budget"]);
  if (tuneBudgetS !== undefined && !(tuneBudgetS >= 10)) {
    process.stderr.write(`--tune-budget: expected seconds ≥ 10, found "${a["tune-budget"]}"\n`);
    return 2;
  }
  const captureRounds = a["capture-rounds"] === undefined ? undefined : Number(a["capture-rounds"]);
  if (captureRounds !== undefined && !(Number.isInteger(captureRounds) && captureRounds >= 1)) {
    process.stderr.write(`--capture-rounds: expected a whole number ≥ 1, found "${a["capture-rounds"]}"\n`);
    return 2;
  }
  const ctx = createContext(quick, log, tuneBudgetS, captureRounds);
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${signal}: stopping children and Miniflare instances…`);
    // Synchronous on purpose: Miniflare's own signal hook exits the process right after this listener.
    stopAllChildren();
    ctx.removeTmp();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const started = new Date();
  const m = machine();
  process.stdout.write(`edgescore bench (${quick ? "quick" : "full"}) ${started.toISOString()}\n${m.cpus} × ${m.cpuModel}, ${m.totalMemMiB} MiB, Node ${m.node}, ${m.os}\n`);
  const results: Sections = {};
  const failures: { section: string; error: string }[] = [];
  try {
    for (const s of SECTIONS) {
      if (only && !only.includes(s.key)) continue;
      log(`\n== ${s.title} ==`);
      const t0 = performance.now();
      try {
        // Each entry pairs run and print of the same key; TypeScript cannot correlate them through the union.
        const r = await (s.run as (ctx: Context) => Promise<never>)(ctx);
        (results as Record<string, unknown>)[s.key] = r;
        process.stdout.write(`${(s.print as (r: unknown) => string)(r)}\n`);
        log(`(${s.title}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (e) {
        const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
        failures.push({ section: s.key, error: e instanceof Error ? e.message : String(e) });
        process.stdout.write(`\n${s.key}: FAILED\n${error}\n`);
        stopAllChildren();
      }
    }
  } finally {
    stopAllChildren();
    await ctx.cleanup();
  }
  const ts = targets(results);
  process.stdout.write(`${targetsTable(ts)}\n`);
  const seconds = (Date.now() - started.getTime()) / 1000;
  process.stdout.write(`\n${failures.length ? `${failures.length} section(s) failed: ${failures.map((f) => f.section).join(", ")}` : "all sections ran"} in ${seconds.toFixed(0)} s\n`);

  if (!a["no-save"]) {
    const doc = { date: started.toISOString(), mode: quick ? "quick" : "full", seconds, machine: m, sections: results, targets: ts, failures };
    mkdirSync(RESULTS, { recursive: true });
    const text = `${JSON.stringify(doc, (_k, v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v), 2)}\n`;
    const stamp = started.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
    const dated = `${RESULTS}/${stamp}${quick ? "-quick" : ""}.json`;
    writeFileSync(`${RESULTS}/latest.json`, text);
    writeFileSync(dated, text);
    process.stdout.write(`wrote ${RESULTS}/latest.json and ${dated}\n`);
    if (a["save-baseline"]) {
      writeFileSync(BASELINE, text);
      process.stdout.write(`wrote ${BASELINE} (commit it with the README figures it backs)\n`);
    }
  }
  if (failures.length) return 1;
  const missed = ts.filter((t) => t.reached === false);
  if (a.check && missed.length) {
    process.stdout.write(`--check: ${missed.length} target(s) missed: ${missed.map((t) => t.goal).join("; ")}\n`);
    return 3;
  }
  return 0;
}

process.exit(await main());
