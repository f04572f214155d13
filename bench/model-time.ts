/**
 * Section 2, model time inside the isolate: bench/model-time-worker.ts in
 * workerd times the tfjs forward pass (wasm and cpu) for 1 row, one applicant
 * with reasons (1 + one row per feature) and 256 rows, and the SIMD kernel
 * the edge serves the reference network on (the forward pass; with reasons,
 * one applicant's sums), against a plain Float32Array forward pass of the
 * same weights.
 */
import { MODEL_FILE, WEIGHTS_FILE } from "../shared/artifact.ts";
import type { Artifact } from "../train/store/package.ts";
import { baselineValue, stepWidth, transform, type Row } from "../shared/preprocess.ts";
import type { Context } from "./context.ts";
import { testInstances } from "./instances.ts";
import type { ModelTimeRequest, ModelTimeResponse } from "./model-time-worker.ts";
import { ratio } from "./stats.ts";
import { fmt, table, times } from "./table.ts";
import { startWorker } from "./worker.ts";

export interface ModelTimeCase {
  backend: "wasm" | "cpu" | "simd kernel";
  label: string;
  rows: number;
  msPerPrediction: number;
  iterations: number;
  plainMsPerPrediction: number;
  plainIterations: number;
  vsPlain: number;
  maxAbsDiff: number;
}

export interface ModelTimeResult { budgetMs: number; cases: ModelTimeCase[] }

/** The tfjs forward pass and its plain-loop floor for one model, backend and batch, in the running model-time worker. */
export async function timeForwardPass(url: URL | string, artifact: Pick<Artifact, "files">, backend: "wasm" | "cpu", x: number[], rows: number, budgetMs: number, reasons?: ModelTimeRequest["reasons"]): Promise<ModelTimeResponse> {
  const topology = JSON.parse(new TextDecoder().decode(artifact.files.get(MODEL_FILE))) as { modelTopology: object; weightsManifest: { weights: ModelTimeRequest["weightSpecs"] }[] };
  const weights = artifact.files.get(WEIGHTS_FILE);
  if (!weights) throw new Error("the artifact has no weights");
  const req: ModelTimeRequest = {
    backend, modelTopology: topology.modelTopology, weightSpecs: topology.weightsManifest.flatMap((g) => g.weights),
    weightsBase64: Buffer.from(weights).toString("base64"), x, rows, budgetMs, minIterations: rows > 32 ? 20 : 200, ...(reasons ? { reasons } : {}),
  };
  const res = await fetch(url, { method: "POST", body: JSON.stringify(req) });
  const json = (await res.json()) as ModelTimeResponse | { error: string };
  if ("error" in json) throw new Error(`model-time worker (${backend}, ${rows} rows): ${json.error}`);
  if (json.backend !== backend) throw new Error(`asked for ${backend}, the isolate ran ${json.backend}${json.fallbackReason ? ` (${json.fallbackReason})` : ""}`);
  if (!(json.maxAbsDiff < 1e-4)) throw new Error(`the plain forward pass disagrees with tfjs or the kernel by ${json.maxAbsDiff}`);
  return json;
}

/** `rows` encoded test applicants, row-major, repeated as needed. */
export function encodedRows(artifact: Pick<Artifact, "manifest">, rows: number): number[] {
  const state = artifact.manifest.preprocess;
  const encoded = testInstances(artifact.manifest.spec, 256).map((i) => transform(state, i));
  const x: number[] = [];
  for (let r = 0; r < rows; r++) x.push(...(encoded[r % encoded.length] as Float32Array));
  return x;
}

/** What the kernel needs for reasons: the encoded baseline applicant and each feature's segment (as shared/scorer.ts builds them). */
function reasonInputs(artifact: Pick<Artifact, "manifest">): NonNullable<ModelTimeRequest["reasons"]> {
  const state = artifact.manifest.preprocess;
  const row: Record<string, number | string> = {};
  for (const s of state.steps) row[s.name] = baselineValue(s);
  const segments: [number, number][] = [];
  let o = 0;
  for (const s of state.steps) { segments.push([o, o + stepWidth(s)]); o += stepWidth(s); }
  return { baseline: [...transform(state, row as Row)], segments };
}

export async function modelTime(ctx: Context): Promise<ModelTimeResult> {
  const [build, artifact] = [await ctx.modelTimeBuild(), await ctx.artifact()];
  const explainRows = artifact.manifest.preprocess.steps.length + 1;
  const sizes: [string, number][] = [["1 row", 1], [`1 applicant + reasons (${explainRows} rows)`, explainRows], ["256 rows", 256]];
  const budgetMs = ctx.quick ? 300 : 2000;

  const w = await startWorker({ dir: build.dir, entry: build.entry });
  ctx.onCleanup(() => w.dispose());
  try {
    const cases: ModelTimeCase[] = [];
    const kernelCases: ModelTimeCase[] = [];
    for (const backend of ["wasm", "cpu"] as const) {
      for (const [label, rows] of sizes) {
        const reasons = backend === "wasm" && rows === explainRows ? reasonInputs(artifact) : undefined;
        const json = await timeForwardPass(w.url, artifact, backend, encodedRows(artifact, rows), rows, budgetMs, reasons);
        const plain = { plainMsPerPrediction: json.plain.msPerPrediction, plainIterations: json.plain.iterations, maxAbsDiff: json.maxAbsDiff };
        cases.push({ backend, label, rows, msPerPrediction: json.tfjs.msPerPrediction, iterations: json.tfjs.iterations, ...plain, vsPlain: ratio(json.tfjs.msPerPrediction, json.plain.msPerPrediction) });
        ctx.log(`  ${backend} ${label}: ${fmt(json.tfjs.msPerPrediction, 4)} ms (plain ${fmt(json.plain.msPerPrediction, 4)} ms)`);
        if (json.kernel) {
          kernelCases.push({ backend: "simd kernel", label, rows, msPerPrediction: json.kernel.msPerPrediction, iterations: json.kernel.iterations, ...plain, vsPlain: ratio(json.kernel.msPerPrediction, json.plain.msPerPrediction) });
          ctx.log(`  simd kernel ${label}: ${fmt(json.kernel.msPerPrediction, 4)} ms`);
        }
      }
    }
    return { budgetMs, cases: [...cases, ...kernelCases] };
  } finally {
    await w.dispose();
  }
}

export function modelTimeTable(r: ModelTimeResult): string {
  return table(
    `2. Model time inside workerd: tfjs forward pass (tensor in → dataSync out) and the SIMD kernel (forward pass; with reasons, one applicant's per-feature sums) per call, ≥ ${r.budgetMs} ms per case (floor: plain Float32Array loops, same weights)`,
    ["backend", "batch", "ms/prediction", "µs/row", "calls", "plain ms", "÷ plain"],
    r.cases.map((c) => [c.backend, c.label, fmt(c.msPerPrediction, 4), fmt((c.msPerPrediction * 1000) / c.rows, 2), c.iterations, fmt(c.plainMsPerPrediction, 4), times(c.vsPlain, 2)]),
  );
}
