/**
 * Fair lending end to end, on the bundled data and short training runs:
 * `--protected` columns are measured by group and never reach the network,
 * the spec, the validator or a reason (Node's scorer and the Worker in
 * workerd); refused combinations are usage errors; sensitive-looking feature
 * names are warned about; near-constant columns are left out and reported.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MODEL_FILE, WEIGHTS_FILE } from "../shared/artifact.ts";
import { networkFromFiles } from "../shared/network.ts";
import { predict, type ClassificationPrediction } from "../shared/predict.ts";
import { outputColumns } from "../shared/preprocess.ts";
import { createScorer, type Scorer } from "../shared/scorer.ts";
import { run } from "../train/cli/train.ts";
import { useBackend } from "../train/fit/backend.ts";
import { publishTo, runJob, type JobResult } from "../train/job.ts";
import type { ModelCard } from "../train/report/model/card.ts";
import { REPORT_FILE } from "../train/report/model/render.ts";
import { BUNDLED_CSV, quickJob } from "./helpers/train-fixture.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const PROTECTED = ["Age", "Marital"];
const job = quickJob();

/** The bundled CSV's rows as objects (numbers parsed, empty cells null); no field is quoted (data/credit_data.md). */
function bundledRows(): Record<string, number | string | null>[] {
  const [head, ...lines] = readFileSync(BUNDLED_CSV, "utf8").trim().split("\n");
  const header = head!.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((cell, c) => [header[c]!, cell === "" ? null : /^-?\d/.test(cell) ? Number(cell) : cell])));
}

/** `train`'s `run` in this process: exit code, stderr, and the --json object. */
async function train(argv: string[]): Promise<{ code: number; stderr: string; json: Record<string, unknown> }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => { stdout += String(c); return true; });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => { stderr += String(c); return true; });
  try {
    const code = await run([...argv, "--publish", "none", "--json", "--quiet"]);
    return { code, stderr, json: JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown> };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe("--protected Age:bands=25,40,60,Marital on the bundled data", () => {
  let result: JobResult;
  let card: ModelCard;
  let scorer: Scorer;
  let w: TestWorker;
  const rows = bundledRows();

  beforeAll(async () => {
    result = await runJob(quickJob({ protected: [{ column: "Age", bands: [25, 40, 60] }, { column: "Marital" }] }), { log: () => {} });
    card = result.artifact!.manifest.card as unknown as ModelCard;
    await useBackend("cpu");
    const files = result.artifact!.files;
    scorer = createScorer(result.artifact!.manifest, await networkFromFiles(files.get(MODEL_FILE)!, files.get(WEIGHTS_FILE)!));
    w = await startWorker({ REASONS_TOP_K: "20" });
    await publishTo(w.s3, result.artifact!);
  }, 180_000);
  afterAll(async () => { await w?.dispose(); });

  it("never reaches the network's inputs: not in the manifest's spec, preprocessing or input columns", () => {
    const m = result.artifact!.manifest;
    expect(m.spec.features.map((f) => f.name)).toEqual(["Seniority", "Home", "Time", "Records", "Job", "Expenses", "Income", "Assets", "Debt", "Amount", "Price"]);
    const inputs = outputColumns(m.preprocess);
    expect(card.training.inputColumns).toEqual(inputs);
    for (const c of inputs) for (const p of PROTECTED) expect(c.startsWith(p)).toBe(false);
    expect(card.data.protectedColumns).toEqual(PROTECTED);
    expect(Object.keys(card.data.profile)).not.toContain("Age");
    expect(card.data.warnings.join("\n")).not.toMatch(/"Age"|"Marital"/); // protected: no sensitive-name warning
  });

  it("measures the model by group on the test split, in the card and the job's result", () => {
    const f = card.fairness!;
    expect(result.fairness).toEqual(f);
    expect(Object.keys(f)).toEqual(PROTECTED);
    const age = f.Age!;
    expect(age.groupedBy).toEqual({ bands: [25, 40, 60] });
    expect(Object.keys(age.groups)).toEqual(["[18,25)", "[25,40)", "[40,60)", "[60,68]"]);
    expect(Object.values(age.groups).reduce((s, g) => s + g.count, 0)).toBe(card.data.used.test);
    expect(Object.keys(f.Marital!.groups)).toEqual(expect.arrayContaining(["married", "single"]));
    for (const a of Object.values(f)) {
      expect(a.air[a.reference]).toBe(1);
      expect(a.bootstrap.resamples).toBe(200);
      const best = Math.max(...Object.values(a.groups).filter((g) => g.count >= 30).map((g) => g.approvalRate.value));
      expect(a.groups[a.reference]!.approvalRate.value).toBe(best);
      expect(a.belowFourFifths).toEqual(Object.entries(a.air).filter(([, x]) => x !== null && x < 0.8).map(([g]) => g));
    }
  });

  it("no reason from Node's scorer names a protected column, and their values do not move the probability", () => {
    const predictions = predict(scorer, rows, 20) as ClassificationPrediction[];
    const named = new Set(predictions.flatMap((p) => (p.reasons ?? []).map((r) => r.feature)));
    expect(named.size).toBeGreaterThan(3);
    for (const p of PROTECTED) expect(named.has(p)).toBe(false);
    const row = rows[0]!;
    const [a, b] = predict(scorer, [{ ...row, Age: 19, Marital: "single" }, { ...row, Age: 67, Marital: "widow" }], 20) as ClassificationPrediction[];
    expect(a!.probability).toBe(b!.probability);
  });

  it("no reason from the Worker names a protected column; a request carrying one is refused as an unknown field", async () => {
    const features = result.artifact!.manifest.spec.features.map((f) => f.name);
    const instances = rows.slice(0, 200).map((r) => Object.fromEntries(features.map((f) => [f, r[f] ?? null])));
    const res = await w.post("/predict", { instances });
    expect(res.status).toBe(200);
    const got = ((await res.json()) as { predictions: ClassificationPrediction[] }).predictions;
    const named = new Set(got.flatMap((p) => (p.reasons ?? []).map((r) => r.feature)));
    expect(named.size).toBeGreaterThan(3);
    for (const p of PROTECTED) expect(named.has(p)).toBe(false);
    const refused = await w.post("/predict", { instances: [{ ...instances[0], Age: 30 }] });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(await refused.json())).toContain("no such feature");
  });
});

describe("train --protected from the command line", () => {
  it("prints the fairness object under --json, with groups, air and reference", async () => {
    const r = await train(["--protected", "Marital", "--epochs", "2", "--patience", "0", "--backend", "cpu"]);
    expect(r.code).toBe(0);
    const marital = (r.json.fairness as Record<string, { groups: object; air: Record<string, number>; reference: string }>).Marital!;
    expect(marital.air[marital.reference]).toBe(1);
    expect(Object.keys(marital.groups)).toEqual(Object.keys(marital.air));
    expect(r.stderr).toContain(`fairness "Marital" on the test split (reference ${marital.reference})`);
    // Age is still a feature here: warned about, on stderr and in --json.
    expect((r.json.warnings as string[]).some((x) => x.startsWith('column "Age" looks like a protected characteristic (age)'))).toBe(true);
  }, 120_000);

  it.each([
    [["--protected", "Age"], /"Age" is numeric \(18 to 68\); compare groups of it in bands, e\.g\. --protected Age:bands=20,40,60/],
    [["--protected", "Marital", "--categorical", "Marital"], /"Marital" is given both as --protected .* and --categorical \(a feature\); leave it out of --categorical/],
    [["--protected", "Age:bands=30", "--spec", "data/credit_data.spec.json"], /a feature in --spec data\/credit_data\.spec\.json \(features\.Age\); remove features\.Age from that file, or leave Age out of --protected/],
    [["--protected", "Age:bands=30", "--ignore", "Age"], /keep --protected Age to measure it, or --ignore Age to leave it out entirely/],
    [["--protected", "Age:bands=60,30"], /band edges must increase/],
    [["--protected", "Gender"], /"Gender", which is not a column of the data; columns are: Status, Seniority/],
    [["--protected", "ethnicity", "--segments", "region", "--data", "data/cps1988.csv", "--target", "wage", "--task", "regression"], /--segments applies to classification/],
  ])("refuses %j: exit 2, a usage error saying what to do", async (argv, message) => {
    const r = await train([...argv, "--dry-run"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.json).toMatchObject({ ok: false, error: { code: "usage" } });
  });
});

describe("data checks", () => {
  it("warns about the bundled data's Age and Marital when they are neither protected nor ignored, naming both ways out", async () => {
    const r = await runJob(quickJob({ dryRun: true }), { log: () => {} });
    const warned = r.warnings.filter((x) => x.includes("looks like a protected characteristic"));
    expect(warned).toHaveLength(2);
    expect(warned[0]).toContain('column "Age" looks like a protected characteristic (age)');
    expect(warned[0]).toContain("--protected Age:bands=");
    expect(warned[1]).toContain('column "Marital" looks like a protected characteristic (marital status)');
    for (const x of warned) expect(x).toMatch(/--ignore (Age|Marital)$/);
    const ignored = await runJob(quickJob({ dryRun: true, ignore: ["Age", "Marital"] }), { log: () => {} });
    expect(ignored.warnings).toEqual([]);
  });

  it("leaves constant and near-constant columns out of the features, says so in the card and the report; --keep-constant keeps them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edgescore-constant-"));
    const csv = join(dir, "constant.csv");
    const lines = ["Status,x,kind,flat,nearly"];
    for (let i = 0; i < 1000; i++) {
      const x = ((i * 37) % 100) / 10;
      const noise = ((i * 7919) % 100) / 25 - 2;
      lines.push(`${x + noise > 6 ? "bad" : "good"},${x},${i % 3 === 0 ? "a" : "b"},same,${i < 4 ? "rare" : "usual"}`);
    }
    writeFileSync(csv, `${lines.join("\n")}\n`);
    const small = { data: csv, spec: undefined, testRows: undefined, train: { ...job.train, hidden: [4], epochs: 3, learningRate: 0.05 } };
    const r = await runJob(quickJob(small), { log: () => {} });
    const m = r.artifact!.manifest;
    const c = m.card as unknown as ModelCard;
    expect(m.spec.features.map((f) => f.name)).toEqual(["x", "kind"]);
    expect(c.data.constantColumns).toEqual(["flat", "nearly"]);
    expect(c.data.warnings).toEqual([
      'column "flat" has the value "same" in every row: left out of the features, it carries almost no information; --keep-constant keeps it',
      'column "nearly" has the value "usual" in 99.6 % of rows (near-constant: 99.5 % or more): left out of the features, it carries almost no information; --keep-constant keeps it',
    ]);
    const report = new TextDecoder().decode(r.artifact!.files.get(REPORT_FILE)!);
    expect(report).not.toContain("No warnings about the data.");
    expect(report).toContain("column &quot;nearly&quot; has the value");

    const kept = await runJob(quickJob({ ...small, keepConstant: true, dryRun: true }), { log: () => {} });
    expect(kept.spec.features.map((f) => f.name)).toEqual(["x", "kind", "flat", "nearly"]);
    expect(kept.warnings[0]).toBe('column "flat" has the value "same" in every row; kept as a feature because of --keep-constant');
  }, 120_000);
});
