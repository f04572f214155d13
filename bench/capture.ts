/**
 * Section: decision capture's cost and completeness. Built workers in
 * workerd with the same queue, consumer and bucket, one with CAPTURE=full and
 * one with CAPTURE=off, 1 connection, 1 and 256 applicants. Locally the queue
 * broker and the consumer (parsing, building records, gzip) run in the same
 * workerd as the requests, which production does not do; a third worker with
 * CAPTURE=full whose DECISIONS_QUEUE is an RPC entrypoint in another workerd
 * process that drops what it is sent shows the request side alone (chunks,
 * outbox, the RPC out of the process), which is what a deployed Worker's
 * requests pay. A second CAPTURE=off worker, the control, measures the
 * method's own resolution in the same run: its ratio to the first is 1 but
 * for noise.
 *
 * Off, control and request side are three copies of the edge in one workerd
 * process (bench/worker.ts `variants`, told apart by the Host header): a
 * process can run faster than another for its whole life, which no order of
 * turns cancels (scratch runs at 256 applicants, five rounds each: the
 * control's ratio ranged 0.88–1.08 in separate processes, 0.99–1.01 in one). They take turns in
 * slices of 1.5 s, in a fresh random order every cycle, and each ratio is
 * taken against the off slice of its own cycle: a fixed order does not
 * cancel what a phase's place in the round does to it (in a 64-round run of
 * an earlier fixed order, the control measured 0.95× when off ran first and
 * 1.05× when it ran last). The full-capture worker has a process of its own
 * and runs last in every round, in its own phases (its consumer's backlog
 * after 256 applicants would land on the next slice), so its column keeps
 * both biases. Every round starts fresh processes; `--capture-rounds` buys a
 * finer median with more rounds. p99 and requests per second show where the
 * work went. Then a fresh full-capture worker under 8 connections for 60 s
 * (10 s with --quick): every record is read back from R2 and de-duplicated
 * by id, and compared with the answers the worker gave (its own 200 log
 * lines for /predict).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { publishTo } from "../train/job.ts";
import type { Context } from "./context.ts";
import { body, testInstances } from "./instances.ts";
import type { LoadCase, LoadResult } from "./load.ts";
import { runLoad } from "./load-runner.ts";
import { seededRandom, shuffleInPlace } from "../shared/random.ts";
import { median, quartiles, ratio } from "./stats.ts";
import { fmt, table, times } from "./table.ts";
import { startWorker, timedPost, variantHost, type RunningWorker } from "./worker.ts";
import { SERVE_BINDINGS } from "./serve.ts";

export interface CaptureResult {
  rounds: number;
  /** Per round and applicant count: cycles of off, control and request side slices, each this long (after its warm-up). */
  cycles: number;
  sliceSeconds: number;
  /** The full-capture worker's phase per applicant count, last in the round. */
  secondsPerCase: number;
  /** p50 (ms, median over rounds) per case, and full ÷ off per applicant count. */
  cases: {
    rows: number; offP50: number; fullP50: number; p50Ratio: number; producerP50: number; producerRatio: number;
    /**
     * A second CAPTURE=off worker ÷ the first: the same code, so any distance from 1 is the
     * measurement's own (process placement, drift) — the resolution the other ratios have.
     */
    controlRatio: number;
    /** The per-round ratios each median was taken from, in round order. */
    rounds: { full: number[]; producer: number[]; control: number[] };
    /** p99 and requests per second (medians over rounds): where the outbox's sends and the consumer's batches show. */
    offP99: number; fullP99: number; offRps: number; fullRps: number;
  }[];
  sustained: {
    connections: number;
    seconds: number;
    /** /predict answered 200, by the worker's own request log. */
    answers: number;
    /** 2xx the load generator counted (at most `connections` fewer: answers in flight at the end). */
    clientAnswers: number;
    recordsRaw: number;
    recordsDistinct: number;
    /** Answers with no record (0 wanted), and records that answer nothing. */
    lost: number;
    extra: number;
    sendFailures: number;
    objects: number;
    drainSeconds: number;
  };
}

/** Every record id in the worker's bucket, with the raw count (duplicates included) and the object count. */
async function recordIds(w: RunningWorker): Promise<{ ids: Set<string>; raw: number; objects: number }> {
  const bucket = await w.mf.getR2Bucket("MODELS");
  const ids = new Set<string>();
  let raw = 0;
  let objects = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: "decisions/", ...(cursor ? { cursor } : {}) });
    for (const o of page.objects) {
      const obj = await bucket.get(o.key);
      if (!obj) continue;
      objects++;
      for (const line of gunzipSync(Buffer.from(await obj.arrayBuffer())).toString("utf8").split("\n")) {
        if (!line) continue;
        raw++;
        ids.add((JSON.parse(line) as { id: string }).id);
      }
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return { ids, raw, objects };
}

/** The worker's request lines for POST /predict: answers (200) and the records its sends failed. */
function answered(w: RunningWorker): { answers: number; failed: number } {
  let answers = 0;
  let failed = 0;
  for (const e of w.events) {
    if (e.path !== "/predict" || e.status !== 200) continue;
    answers++;
    failed += (e.capture as { failed?: number } | undefined)?.failed ?? 0;
  }
  return { answers, failed };
}

export async function capture(ctx: Context): Promise<CaptureResult> {
  const [build, artifact] = [await ctx.workerBuild(), await ctx.artifact()];
  const rounds = ctx.captureRounds ?? (ctx.quick ? 2 : 8);
  const seconds = ctx.quick ? 2 : 3;
  const warmupSeconds = ctx.quick ? 0.5 : 1;
  const sustainedSeconds = ctx.quick ? 10 : 60;
  const dir = ctx.tmp("capture");
  const instances = testInstances(artifact.manifest.spec, 256);
  const bodyFile = (rows: number) => join(dir, `body-${rows}.json`);
  for (const rows of [1, 256]) writeFileSync(bodyFile(rows), body(instances.slice(0, rows)));

  const start = (mode: "full" | "off", keepEvents = false) =>
    startWorker({ dir: build.dir, entry: build.entry, bindings: { ...SERVE_BINDINGS, CAPTURE: mode }, capture: { batchTimeout: 1 }, keepEvents });
  // Slices in a fresh random order each cycle (why: the header above).
  const interleaved = ["off", "control", "producer"] as const;
  type Mode = (typeof interleaved)[number] | "full";
  /** One workerd process with the interleaved modes as host-routed variants, declared in `order`. */
  const startShared = (order: readonly (typeof interleaved)[number][]) => startWorker({
    dir: build.dir, entry: build.entry, bindings: { ...SERVE_BINDINGS, CAPTURE: "off" }, capture: { batchTimeout: 1 },
    variants: Object.fromEntries(order.map((m) => [m, { bindings: { CAPTURE: m === "producer" ? "full" : "off" }, sink: m === "producer" }])),
  });
  const sliceName = (mode: Mode, rows: number, k: number) => `${mode} ${rows} #${k + 1}`;
  const cycles = ctx.quick ? 1 : 4;
  const slice = { seconds: ctx.quick ? 1 : 1.5, warmupSeconds: 0.5 };
  const random = seededRandom(20);
  const perRound: Map<string, LoadResult>[] = [];
  ctx.log(`capture cost: ${rounds} round(s), each ${cycles} cycle(s) per applicant count of off, a second off (control) and request side in random order (${slice.warmupSeconds} s warm-up + ${slice.seconds} s each; the three in one workerd process), then full (${warmupSeconds} s + ${seconds} s, its own process); fresh processes every round`);
  for (let r = 0; r < rounds; r++) {
    // Fresh processes every round, started in a random order. Off, control and request side share one workerd
    // process (why: the header above), declared in a random order.
    const cleaned = async (w: Promise<RunningWorker>) => { const x = await w; ctx.onCleanup(() => x.dispose()); return x; };
    const startThree = () => cleaned(startShared(shuffleInPlace([...interleaved], random)));
    const sharedFirst = random() < 0.5;
    const first = await (sharedFirst ? startThree() : cleaned(start("full")));
    const second = await (sharedFirst ? cleaned(start("full")) : startThree());
    const [shared, full] = sharedFirst ? [first, second] : [second, first];
    try {
      for (const w of [shared, full]) await publishTo(w.s3, artifact);
      /** Where a mode answers: full's own process, or the shared one under the mode's Host header. */
      const target = (mode: Mode): { url: URL; headers: Record<string, string> } => (mode === "full" ? { url: full.url, headers: {} } : { url: shared.url, headers: { host: variantHost(mode) } });
      for (const mode of [...interleaved, "full"] as const) {
        const t = target(mode);
        const res = await timedPost(t.url, "/predict", body(instances.slice(0, 1)), { "content-type": "application/json", ...t.headers });
        if (res.status !== 200) throw new Error(`POST /predict (${mode}) answered ${res.status}: ${res.text.slice(0, 300)}`);
      }
      const one = (mode: Mode, rows: number, name: string, t: { seconds: number; warmupSeconds: number }): LoadCase =>
        ({ name, path: "/predict", bodyFile: bodyFile(rows), connections: 1, ...t, origin: target(mode).url.origin, headers: target(mode).headers });
      const plan = [1, 256].flatMap((rows) => Array.from({ length: cycles }, (_, k) =>
        shuffleInPlace([...interleaved], random).map((mode) => one(mode, rows, sliceName(mode, rows, k), slice))).flat());
      // "full" goes last: after a 256-applicant phase its consumer is seconds behind (Miniflare runs it in the same
      // process), and that backlog would land on whichever case came next.
      const fullCases = [1, 256].map((rows) => one("full", rows, `full ${rows}`, { seconds, warmupSeconds }));
      perRound.push(new Map((await runLoad(ctx, dir, shared.url.origin, [...plan, ...fullCases])).map((x) => [x.name, x])));
    } finally {
      for (const w of [shared, full]) await w.dispose();
    }
  }
  /** A round's slices of an interleaved mode, in cycle order. */
  const slices = (m: Map<string, LoadResult>, mode: Mode, rows: number) => Array.from({ length: cycles }, (_, k) => m.get(sliceName(mode, rows, k)) as LoadResult);
  /** One round's figure for a mode: the median over its cycles (full has one phase). */
  const roundStat = (m: Map<string, LoadResult>, mode: Mode, rows: number, k: "p50" | "p99" | "rps") =>
    mode === "full" ? (m.get(`full ${rows}`) as LoadResult)[k] : median(slices(m, mode, rows).map((x) => x[k]));
  /** One round's p50 ratio to off: per cycle for the interleaved modes (each against the off of its own cycle), then their median. */
  const roundRatio = (m: Map<string, LoadResult>, mode: Mode, rows: number) => {
    if (mode === "full") return ratio(roundStat(m, "full", rows, "p50"), roundStat(m, "off", rows, "p50"));
    const offs = slices(m, "off", rows);
    return median(slices(m, mode, rows).map((x, k) => ratio(x.p50, (offs[k] as LoadResult).p50)));
  };
  const stat = (mode: Mode, rows: number, k: "p50" | "p99" | "rps") => median(perRound.map((m) => roundStat(m, mode, rows, k)));
  const ratios = (mode: Mode, rows: number) => perRound.map((m) => roundRatio(m, mode, rows));
  const cases: CaptureResult["cases"] = [1, 256].map((rows) => ({
    rows, offP50: stat("off", rows, "p50"), fullP50: stat("full", rows, "p50"), p50Ratio: median(ratios("full", rows)),
    producerP50: stat("producer", rows, "p50"), producerRatio: median(ratios("producer", rows)),
    controlRatio: median(ratios("control", rows)),
    rounds: { full: ratios("full", rows), producer: ratios("producer", rows), control: ratios("control", rows) },
    offP99: stat("off", rows, "p99"), fullP99: stat("full", rows, "p99"), offRps: stat("off", rows, "rps"), fullRps: stat("full", rows, "rps"),
  }));

  // Completeness under load, on a fresh worker so only this phase's answers count.
  const w = await start("full", true);
  ctx.onCleanup(() => w.dispose());
  try {
    await publishTo(w.s3, artifact);
    ctx.log(`capture completeness: 8 connections × ${sustainedSeconds} s, 1 applicant, CAPTURE=full`);
    const [load] = await runLoad(ctx, dir, w.url.origin, [{ name: "sustained 8c", path: "/predict", bodyFile: bodyFile(1), connections: 8, seconds: sustainedSeconds, warmupSeconds: 0 }]);
    const t0 = performance.now();
    // Until every answer has its record, or nothing new arrives for 15 s (at most 180 s).
    let got = await recordIds(w);
    let last = { size: got.ids.size, at: performance.now() };
    for (;;) {
      const { answers } = answered(w);
      if (got.ids.size >= answers && answers > 0) break;
      if (performance.now() - last.at > 15_000 || performance.now() - t0 > 180_000) break;
      await new Promise((r) => setTimeout(r, 1000));
      got = await recordIds(w);
      if (got.ids.size !== last.size) last = { size: got.ids.size, at: performance.now() };
    }
    const drainSeconds = (performance.now() - t0) / 1000;
    const { answers, failed } = answered(w);
    const recordsDistinct = got.ids.size;
    return {
      rounds, cycles, sliceSeconds: slice.seconds, secondsPerCase: seconds, cases,
      sustained: {
        connections: 8, seconds: sustainedSeconds, answers, clientAnswers: load?.requests ?? 0, recordsRaw: got.raw, recordsDistinct,
        lost: Math.max(0, answers - recordsDistinct), extra: Math.max(0, recordsDistinct - answers), sendFailures: failed, objects: got.objects, drainSeconds,
      },
    };
  } finally {
    await w.dispose();
  }
}

/** Up to this many rounds each is listed; past it, their quartiles. */
export const LISTED_ROUNDS = 12;
const COLUMNS = ["full", "producer", "control"] as const;
const COLUMN = { full: "full", producer: "request side", control: "control" } as const;

export function captureTable(r: CaptureResult): string {
  const s = r.sustained;
  return [
    table(
      `Capture cost: POST /predict with CAPTURE=full vs off (built workers in workerd, same queue), 1 connection, ${r.rounds} round(s) of fresh processes; in each, ${r.cycles} cycle(s) of off, control and request side (one workerd process) in random order, ${r.sliceSeconds} s each (a ratio is to the off of its own cycle), then full for ${r.secondsPerCase} s (its own process); medians over rounds, each ratio the median of per-round ratios. "full" runs Miniflare's queue broker and the consumer (parsing, records, gzip) in the requests' workerd; "request side": the queue binding is an RPC sink in another process, as the Queues service is to a deployed Worker`,
      ["applicants", "p50 off ms", "p50 full ms", "full ÷ off", "p50 request side ms", "÷ off", "control ÷ off", "p99 off ms", "p99 full ms", "req/s off", "req/s full"],
      r.cases.map((c) => [c.rows, fmt(c.offP50, 3), fmt(c.fullP50, 3), times(c.p50Ratio, 3), fmt(c.producerP50, 3), times(c.producerRatio, 3), times(c.controlRatio, 3), fmt(c.offP99, 2), fmt(c.fullP99, 2), fmt(c.offRps, 0), fmt(c.fullRps, 0)]),
    ),
    r.rounds <= LISTED_ROUNDS ? table(
      "Capture cost per round (p50 ÷ off): the spread the medians above come from; control is a second CAPTURE=off worker, the same code",
      ["applicants", "column", ...Array.from({ length: r.rounds }, (_, i) => `round ${i + 1}`)],
      r.cases.flatMap((c) => COLUMNS.map((k) => [c.rows, COLUMN[k], ...c.rounds[k].map((x) => fmt(x, 2))])),
    ) : table(
      `Capture cost over ${r.rounds} rounds (p50 ÷ off, per round): the spread the medians above come from; control is a second CAPTURE=off worker, the same code`,
      ["applicants", "column", "min", "25 %", "median", "75 %", "max"],
      r.cases.flatMap((c) => COLUMNS.map((k) => {
        const q = quartiles(c.rounds[k]);
        return [c.rows, COLUMN[k], ...[q.min, q.q1, q.median, q.q3, q.max].map((x) => fmt(x, 2))];
      })),
    ),
    table(
      `Capture completeness: ${s.connections} connections × ${s.seconds} s, CAPTURE=full; records read back from R2 and de-duplicated by id`,
      ["answers (server)", "2xx (client)", "records raw", "records distinct", "lost", "extra", "send failures", "objects", "drain s"],
      [[s.answers, s.clientAnswers, s.recordsRaw, s.recordsDistinct, s.lost, s.extra, s.sendFailures, s.objects, fmt(s.drainSeconds, 1)]],
    ),
  ].join("\n");
}
