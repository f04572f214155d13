/** The project's performance goals, judged against one run's figures (goals, not assertions). */
import type { AuthResult } from "./auth.ts";
import type { ColdStartResult } from "./cold-start.ts";
import type { ScaleResult } from "./scale.ts";
import type { ServeResult } from "./serve.ts";
import type { SizeResult } from "./size.ts";
import { quartiles } from "./stats.ts";
import { fmt, table } from "./table.ts";
import type { TrainResult } from "./train.ts";
import type { ModelTimeResult } from "./model-time.ts";
import type { OptionsResult } from "./options.ts";
import type { TuneResult } from "./tune.ts";
import type { ScoreResult } from "./score.ts";
import { LISTED_ROUNDS, type CaptureResult } from "./capture.ts";

export interface Sections {
  serve?: ServeResult;
  modelTime?: ModelTimeResult;
  coldStart?: ColdStartResult;
  size?: SizeResult;
  train?: TrainResult;
  scale?: ScaleResult;
  auth?: AuthResult;
  options?: OptionsResult;
  tune?: TuneResult;
  score?: ScoreResult;
  capture?: CaptureResult;
}

export interface Target {
  goal: string;
  limit: number;
  /** "max": value must stay at or below (below, if strict) the limit; "min": at or above. */
  kind: "max" | "min";
  strict: boolean;
  unit: string;
  value?: number;
  reached?: boolean;
  /** How far from the limit, in the unit and relative to it. */
  margin?: string;
  note?: string;
}

function withUnit(x: number, digits: number, unit: string): string {
  return unit === "" ? fmt(x, digits) : unit === "×" ? `${fmt(x, digits)}×` : `${fmt(x, digits)} ${unit}`;
}

function judge(t: Omit<Target, "reached" | "margin">): Target {
  if (t.value === undefined || !Number.isFinite(t.value)) return { ...t, note: t.note ?? "not measured (section failed or skipped)" };
  const v = t.value;
  const reached = t.kind === "max" ? (t.strict ? v < t.limit : v <= t.limit) : (t.strict ? v > t.limit : v >= t.limit);
  const diff = Math.abs(v - t.limit);
  const digits = t.unit === "×" ? 2 : t.unit === "" ? 4 : 1;
  return { ...t, reached, margin: `${reached ? "by" : "missed by"} ${withUnit(diff, digits, t.unit)} (${fmt((100 * diff) / t.limit, 0)} %)` };
}

export function targets(s: Sections): Target[] {
  const serveCase = (name: string) => s.serve?.cases.find((c) => c.name === name)?.p50VsFloor;
  const wasm = s.train?.runs.find((r) => r.engine === "tfjs" && r.backendAsked === "wasm");
  const simd = s.train?.runs.find((r) => r.engine === "simd");
  const sklearnNote = s.train ? { note: `scikit-learn ${s.train.sklearn.source === "measured" ? "measured beside it" : "not here: the committed 1.59 s"}; load ${fmt(s.train.load[0], 1)}` } : {};
  const epochs = s.train?.epochs ?? 100;
  const largest = s.scale?.rows.at(-1);
  const monitorRss = largest?.monitor ? largest.monitor.maxRssMiB / largest.floor.maxRssMiB : undefined;
  const variant = (name: string) => s.options?.rows.find((r) => r.variant === name);
  const tuned = s.tune?.runs.find((r) => r.halving && r.confirm !== false);
  const scoreRuns = s.score?.runs.filter((r) => r.case === "score") ?? [];
  const scoreLargest = scoreRuns.at(-1);
  const quickTune = s.tune && s.tune.budgetS !== 120 ? { note: `${s.tune.budgetS} s budget (quick)` } : {};
  // The capture bench's second capture-off worker: how far from 1 the same code measures, beside each capture ratio.
  const captureControl = (rows: number) => {
    const c = s.capture?.cases.find((x) => x.rows === rows);
    if (!c) return {};
    const xs = c.rounds.control;
    const q = quartiles(xs);
    const spread = xs.length <= LISTED_ROUNDS ? `per round ${xs.map((x) => fmt(x, 2)).join(" ")}` : `${xs.length} rounds, middle half ${fmt(q.q1, 2)}–${fmt(q.q3, 2)}`;
    return { note: `control (off ÷ off, same code) ${fmt(c.controlRatio, 2)}×; ${spread}` };
  };
  // The floor answering as many bytes as the 256-applicant answer, unbuilt: what sending that answer alone costs.
  const sized = serveCase("noop 256 rows, answer-sized 1c");
  const answerSized = sized === undefined ? {} : { note: `sending an answer that size, unbuilt: ${fmt(sized, 2)}× floor` };
  return [
    judge({ goal: "/predict 1 applicant with reasons, p50 ≤ 1.25× floor (1 conn)", limit: 1.25, kind: "max", strict: false, unit: "×", value: serveCase("predict 1 reasons 1c") }),
    judge({ goal: "/predict 256 applicants with reasons, p50 ≤ 2.5× floor (1 conn; must)", limit: 2.5, kind: "max", strict: false, unit: "×", value: serveCase("predict 256 reasons 1c") }),
    judge({ goal: "/predict 256 applicants with reasons, p50 ≤ 1.5× floor (1 conn; stretch)", limit: 1.5, kind: "max", strict: false, unit: "×", value: serveCase("predict 256 reasons 1c"), ...answerSized }),
    judge({ goal: "/predict 256 applicants, explain=false, p50 ≤ 1.5× floor (1 conn)", limit: 1.5, kind: "max", strict: false, unit: "×", value: serveCase("predict 256 explain=false 1c") }),
    judge({ goal: "first /predict on a fresh isolate < 25 ms (client, median)", limit: 25, kind: "max", strict: true, unit: "ms", value: s.coldStart?.firstPredictMs }),
    judge({ goal: "upload < 400 KiB gzip (index.js + .wasm)", limit: 400, kind: "max", strict: true, unit: "KiB", value: s.size ? s.size.worker.total.gzipBytes / 1024 : undefined }),
    judge({
      goal: "100-epoch fit, simd engine ≤ 1.0× scikit-learn's MLPClassifier (same rows)", limit: 1, kind: "max", strict: false, unit: "×", value: s.train?.simdVsSklearn, ...sklearnNote,
    }),
    judge({
      goal: "100-epoch fit, simd engine ≤ 1.5× scikit-learn's MLPClassifier (must)", limit: 1.5, kind: "max", strict: false, unit: "×", value: s.train?.simdVsSklearn, ...sklearnNote,
    }),
    judge({
      goal: "test AUC ≥ 0.83 after the reference run (simd engine)", limit: 0.83, kind: "min", strict: false, unit: "", value: simd?.auc,
      ...(epochs !== 100 ? { note: `after ${epochs} epochs only (quick)` } : {}),
    }),
    judge({
      goal: "100-epoch training (tfjs, wasm, fit time) < 10 s", limit: 10, kind: "max", strict: true, unit: "s",
      value: wasm?.fitS === undefined ? undefined : (wasm.fitS * 100) / epochs,
      ...(epochs !== 100 ? { note: `extrapolated from ${epochs} epochs` } : {}),
    }),
    judge({
      goal: "monitor on the largest file: peak RSS ≤ 1.5× a read-only pass (dry run)", limit: 1.5, kind: "max", strict: false, unit: "×", value: monitorRss,
      ...(largest ? { note: `${largest.rows} rows; bounded beyond: at most 1,000,000 scores are kept` } : {}),
    }),
    judge({
      goal: "test AUC ≥ 0.83 after the reference run (tfjs, wasm)", limit: 0.83, kind: "min", strict: false, unit: "", value: wasm?.auc,
      ...(epochs !== 100 ? { note: `after ${epochs} epochs only (quick)` } : {}),
    }),
    judge({ goal: "JWT verification adds ≤ 0.1 ms p50 to a 1-applicant /predict (vs API key)", limit: 0.1, kind: "max", strict: false, unit: "ms", value: s.auth?.jwtAddedP50Ms, note: "worse of RS256 and ES256; a token's repeat requests (verified-token cache)" }),
    judge({ goal: "same, first request of each token (signature checked)", limit: 0.1, kind: "max", strict: false, unit: "ms", value: s.auth?.jwtFirstUseAddedP50Ms, note: "worse of RS256 and ES256" }),
    judge({ goal: "1 MB of unknown keys refused in ≤ 20 ms server time", limit: 20, kind: "max", strict: false, unit: "ms", value: s.auth?.hostileServerMs }),
    judge({ goal: "--prune 0.5 loses ≤ 0.005 test AUC", limit: 0.005, kind: "max", strict: false, unit: "", value: variant("--prune 0.5") && -variant("--prune 0.5")!.aucChange }),
    judge({ goal: "--quantize uint8 loses ≤ 0.002 test AUC", limit: 0.002, kind: "max", strict: false, unit: "", value: variant("--quantize uint8") && -variant("--quantize uint8")!.aucChange }),
    judge({ goal: "--quantize uint8 weights.bin ≈ 4× smaller (≥ 3.9×)", limit: 3.9, kind: "min", strict: false, unit: "×", value: variant("--quantize uint8")?.sizeVsFloor }),
    judge({ goal: "tune --time-budget finishes within budget + 10 %", limit: 1.1, kind: "max", strict: false, unit: "×", value: s.tune?.wallVsBudget, ...quickTune }),
    judge({ goal: "tune judges ≥ 3× the trials of full-length training", limit: 3, kind: "min", strict: false, unit: "×", value: s.tune?.trialsVsPlain, ...quickTune }),
    judge({ goal: "--tune test AUC / R² ≥ the default training's on every sample and seed (Δ min)", limit: 0, kind: "min", strict: false, unit: "", value: s.tune?.worstMargin, note: "credit and cps1988 samples, seeds 1–3" }),
    judge({ goal: "tune judges ≥ 4× the trials per 120 s of before (72)", limit: 4, kind: "min", strict: false, unit: "×", value: s.tune ? s.tune.trialsPer120s / 72 : undefined, note: "with the simd engine (--engine auto); 72: f2027af on tfjs" }),
    judge({ goal: "tune's pick: test AUC ≥ 0.852 (the default network)", limit: 0.852, kind: "min", strict: false, unit: "", value: tuned?.testAuc, ...quickTune }),
    judge({ goal: "npm run score without reasons ≥ 50,000 rows/s (largest file, own time)", limit: 50_000, kind: "min", strict: false, unit: "rows/s", value: scoreLargest?.rowsPerS, ...(scoreLargest ? { note: `${scoreLargest.rows} rows; ${fmt(s.score?.vsFloor, 2)}× the read+write floor` } : {}) }),
    judge({ goal: "capture full adds ≤ 3 % to a 1-applicant /predict p50 (vs off, same run)", limit: 1.03, kind: "max", strict: false, unit: "×", value: s.capture?.cases.find((c) => c.rows === 1)?.p50Ratio, ...captureControl(1) }),
    judge({ goal: "capture full adds ≤ 5 % to a 256-applicant /predict p50 (vs off, same run)", limit: 1.05, kind: "max", strict: false, unit: "×", value: s.capture?.cases.find((c) => c.rows === 256)?.p50Ratio, ...captureControl(256) }),
    judge({ goal: "  the same, request side (the queue binding an RPC sink in another process: no broker, no consumer)", limit: 1.03, kind: "max", strict: false, unit: "×", value: s.capture?.cases.find((c) => c.rows === 1)?.producerRatio, ...captureControl(1) }),
    judge({ goal: "  the same at 256, request side (RPC sink)", limit: 1.05, kind: "max", strict: false, unit: "×", value: s.capture?.cases.find((c) => c.rows === 256)?.producerRatio, ...captureControl(256) }),
    judge({ goal: "capture under 8 connections: records lost (answers without a record after de-dup)", limit: 0, kind: "max", strict: false, unit: "", value: s.capture?.sustained.lost, ...(s.capture ? { note: `${s.capture.sustained.answers} answers, ${s.capture.sustained.recordsDistinct} distinct records (${s.capture.sustained.recordsRaw} raw) in ${s.capture.sustained.seconds} s` } : {}) }),
    judge({ goal: "npm run score memory flat: the largest file, heap capped, peak RSS ≤ 1.2× the smallest file's", limit: 1.2, kind: "max", strict: false, unit: "×", value: s.score?.cappedRssVsSmallest, note: "the capped run must finish: live memory does not grow with rows" }),
  ];
}

export function targetsTable(ts: Target[]): string {
  return table("Targets (goals, not assertions)", ["goal", "value", "result", "margin", "note"],
    ts.map((t) => [t.goal, t.value === undefined || !Number.isFinite(t.value) ? "–" : withUnit(t.value, t.unit === "" ? 4 : 2, t.unit),
      t.reached === undefined ? "–" : t.reached ? "reached" : "MISSED", t.margin ?? "", t.note ?? ""]));
}
