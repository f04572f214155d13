/**
 * A published model judged through a running edge: the rows of a CSV (or
 * only its fixed test rows) are sent to POST /models/:name/predict in batches
 * of 1000, and the answers are compared with the target column, so the
 * numbers are the ones a caller gets, not the trainer's.
 *
 *   npx tsx bench/edge-check.ts --url http://127.0.0.1:8787 --model income \
 *     --data data/cps1988.csv --test-rows data/cps1988.test_rows.csv --target wage [--key $KEY]
 *
 * Prints one JSON object: a regression's R², RMSE, MAE and interval coverage,
 * or a classifier's AUC, and the rows sent.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parse } from "csv-parse/sync";
import type { Feature } from "../shared/spec.ts";
import { coverage } from "../train/evaluate/conformal.ts";
import { rocAuc } from "../train/evaluate/metrics.ts";
import { evaluateRegression } from "../train/evaluate/regression.ts";

const { values: a } = parseArgs({
  options: { url: { type: "string" }, model: { type: "string" }, data: { type: "string" }, "test-rows": { type: "string" }, target: { type: "string" }, key: { type: "string" } },
  strict: true,
});
if (!a.url || !a.model || !a.data || !a.target) {
  process.stderr.write("usage: npx tsx bench/edge-check.ts --url <edge> --model <name> --data <csv> --target <column> [--test-rows <csv>] [--key <api key>]\n");
  process.exit(2);
}
const headers = { "content-type": "application/json", ...(a.key ? { authorization: `Bearer ${a.key}` } : {}) };
const card = (await (await fetch(`${a.url}/models/${a.model}`, { headers })).json()) as { version: string; task: { kind: string }; target: { positive?: string }; features: Feature[] };
const records = parse(readFileSync(a.data, "utf8")) as string[][];
const header = records[0]!;
const t = header.indexOf(a.target);
const wanted = a["test-rows"] ? (readFileSync(a["test-rows"], "utf8").trim().split("\n").slice(1).map(Number)) : records.slice(1).map((_, i) => i);
const rows = wanted.map((i) => records[i + 1]!);
const instances = rows.map((r) => Object.fromEntries(card.features.map((f) => {
  const cell = r[header.indexOf(f.name)] ?? "";
  return [f.name, cell === "" ? null : f.type === "numeric" ? Number(cell) : cell];
})));
const answers: { value?: number; interval?: [number, number]; probability?: number }[] = [];
for (let i = 0; i < instances.length; i += 1000) {
  const res = await fetch(`${a.url}/models/${a.model}/predict?explain=false`, { method: "POST", headers, body: JSON.stringify({ instances: instances.slice(i, i + 1000) }) });
  if (res.status !== 200) throw new Error(`POST /models/${a.model}/predict: ${res.status} ${await res.text()}`);
  answers.push(...((await res.json()) as { predictions: typeof answers }).predictions);
}
const out: Record<string, unknown> = { model: a.model, version: card.version, task: card.task.kind, rows: answers.length };
if (card.task.kind === "regression") {
  const actual = rows.map((r) => Number(r[t]));
  const e = evaluateRegression(actual, answers.map((p) => p.value!));
  Object.assign(out, { r2: e.r2, rmse: e.rmse, mae: e.mae, medianAe: e.medianAe, coverage: coverage(actual, answers.map((p) => p.interval![0]), answers.map((p) => p.interval![1])) });
} else {
  Object.assign(out, { auc: rocAuc(rows.map((r) => (r[t] === card.target.positive ? 1 : 0)), answers.map((p) => p.probability!)) });
}
process.stdout.write(`${JSON.stringify(out)}\n`);
