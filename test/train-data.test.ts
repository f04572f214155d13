/**
 * Bad training data: every refusal or skipped row names what is wrong (file,
 * column, line or label), and the CLI maps it to the documented exit codes.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../shared/random.ts";
import type { Feature } from "../shared/spec.ts";
import { JobError, runJob, type JobOptions } from "../train/job.ts";
import { instanceReader } from "../train/score/rows.ts";
import { UsageError } from "../train/cli/args.ts";
import { withCode } from "../train/cli/codes.ts";
import { quickJob } from "./helpers/train-fixture.ts";
import { shellWord } from "../train/data/shell-word.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "edgescore-train-data-"));
});

function csv(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/**
 * `n` rows of `a,b,y`: every third row is "bad" and has a ≈ 5 higher, so a tiny
 * model learns it in a few epochs. Data row i is on line i + 2 (after the header).
 */
function rows(n: number, seed = 1): string[][] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const bad = i % 3 === 0;
    return [((bad ? 5 : 0) + r()).toFixed(3), r() < 0.5 ? "u" : "v", bad ? "bad" : "good"];
  });
}
const text = (header: string[], body: string[][]) => [header, ...body].map((r) => r.join(",")).join("\n") + "\n";

/** A job on a temp CSV with target "y", no spec file and a random split. */
function job(data: string, overrides: Partial<JobOptions> = {}): JobOptions {
  return quickJob({
    data, target: "y", spec: undefined, testRows: undefined,
    train: { ...quickJob().train, hidden: [8], epochs: 3, batchSize: 16, learningRate: 0.05, patience: 0, seed: 1 },
    ...overrides,
  });
}

async function run(o: JobOptions) {
  const lines: string[] = [];
  const result = await runJob(o, { log: (l) => lines.push(l) });
  return { result, lines };
}

/** Runs the job expecting it to fail; returns the error and what was logged before. */
async function failure(o: JobOptions): Promise<{ error: Error; lines: string[] }> {
  const lines: string[] = [];
  try {
    await runJob(o, { log: (l) => lines.push(l) });
  } catch (e) {
    return { error: e as Error, lines };
  }
  throw new Error("expected the job to fail, but it succeeded");
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("the target column", () => {
  it("when it is missing, the error names the file and lists the columns", async () => {
    const path = csv("no-target.csv", text(["a", "b", "y"], rows(10)));
    const { error } = await failure(job(path, { target: "Status", dryRun: true }));
    expect(error.message).toBe(`${path}: target column "Status" not found; columns are: a, b, y (use --target)`);
  });

  it("with three labels, the error lists each label with its count", async () => {
    const body = rows(30).map((r, i) => (i % 10 === 1 ? [r[0]!, r[1]!, "maybe"] : r));
    // rows(30): bad at i % 3 == 0 → 10, minus i = 21 which becomes "maybe" → 9;
    // "maybe" at i = 1, 11, 21 → 3; good 30 − 9 − 3 = 18. Listed in order of first appearance (rows 0, 1, 2).
    const path = csv("three-labels.csv", text(["a", "b", "y"], body));
    const { error } = await failure(job(path, { dryRun: true }));
    expect(error.message).toBe(`${path}: target column "y" must have exactly two labels, found 3: "bad" (9), "maybe" (3), "good" (18)`);
  });

  it("with many labels (a number taken as a class), the error lists the ten most frequent and counts the rest", async () => {
    const body = rows(120).map((r, i) => [r[0]!, r[1]!, i < 20 ? "7" : String(100 + i)]);
    const path = csv("many-labels.csv", text(["a", "b", "y"], body));
    const { error } = await failure(job(path, { dryRun: true, task: "classification" }));
    expect(error.message).toMatch(new RegExp(`^${escape(path)}: target column "y" must have exactly two labels, found 100\\+: "7" \\(20\\), ("1\\d\\d" \\(1\\), ){8}"1\\d\\d" \\(1\\), and 90\\+ more; to estimate "y" as a number instead, add --task regression$`));
  });

  it("with a single label, says it needs exactly two", async () => {
    const path = csv("one-label.csv", text(["a", "b", "y"], rows(30).map((r) => [r[0]!, r[1]!, "good"])));
    const { error } = await failure(job(path, { dryRun: true }));
    expect(error.message).toBe(`${path}: target column "y" must have exactly two labels, found 1: "good" (30)`);
  });

  it("when --positive is not one of its labels, names it and lists the labels", async () => {
    const path = csv("positive.csv", text(["a", "b", "y"], rows(30)));
    const { error } = await failure(job(path, { positive: "yes", dryRun: true }));
    expect(error.message).toBe(`${path}: --positive "yes" is not a label of "y"; labels are "bad" (10), "good" (20)`);
  });

  it("when one class is too rare to reach every split, names the split and the missing label", async () => {
    // One "bad" row among 200: stratified, it lands in training; validation and test have none.
    const body = rows(200).map((r, i) => [r[0]!, r[1]!, i === 50 ? "bad" : "good"]);
    const path = csv("one-bad.csv", text(["a", "b", "y"], body));
    const { error } = await failure(job(path));
    expect(error).toBeInstanceOf(JobError);
    expect(error.message).toMatch(/^the validation split has no rows labelled "bad" \(\d+ rows\): need both classes/);
  });
});

describe("empty input", () => {
  it("a semicolon-separated file: the target is not found, and the message says the file looks \";\"-separated", async () => {
    const path = csv("semicolons.csv", [["a", "b", "y"], ...rows(30)].map((r) => r.join(";")).join("\n") + "\n");
    const { error } = await failure(job(path));
    expect(error.message).toBe(`${path}: target column "y" not found; columns are: a;b;y (the header is one column containing ";": the file looks ";"-separated; edgescore reads comma-separated CSV)`);
    // npm run score reads its header the same way.
    const spec = { target: "y", positive: "bad", features: [{ name: "a", type: "numeric" as const, nullable: false }, { name: "b", type: "categorical" as const, values: ["u", "v"], nullable: false }] };
    expect(() => instanceReader(spec, ["a;b;y"], path)).toThrow(`${path}: the model's feature columns "a", "b" are missing; columns are: a;b;y (the header is one column containing ";": the file looks ";"-separated`);
  });

  it("an empty file is refused by name", async () => {
    const path = csv("empty.csv", "");
    const { error } = await failure(job(path, { dryRun: true }));
    expect(error.message).toBe(`${path} is empty: expected a header row and data rows`);
  });

  it("a header without rows is refused by name", async () => {
    const path = csv("header-only.csv", "a,b,y\n");
    const { error } = await failure(job(path, { dryRun: true }));
    expect(error.message).toBe(`${path} has a header but no data rows`);
  });
});

describe("malformed rows are skipped, counted and reported by line", () => {
  it("a row with the wrong number of fields is skipped; the skip report and the log give its line", async () => {
    const body = rows(200);
    body[57] = ["1.5", "u"]; // data row 57 → line 59
    const path = csv("short-row.csv", text(["a", "b", "y"], body));
    const { result, lines } = await run(job(path));

    expect(result.profile.badShape).toEqual({ count: 1, lines: [59] });
    const data = result.artifact!.manifest.card.data as { skipped: unknown; used: { train: number; validation: number; test: number } };
    expect(data.skipped).toEqual({
      count: 1,
      reasons: [{ reason: "wrong number of fields (expected 3)", count: 1, examples: [`${path} line 59: 2 fields`] }],
    });
    expect(data.used.train + data.used.validation + data.used.test).toBe(199);
    expect(lines).toContain(`  skipped 1: wrong number of fields (expected 3) (e.g. ${path} line 59: 2 fields)`);
  });

  it("a file whose line endings change part-way (CRLF, then LF, a lone CR) loses no row, and lines are counted as an editor counts them", async () => {
    const body = rows(200);
    body[150] = ["1.5", "u"]; // data row 150 → line 152
    const lines = [["a", "b", "y"], ...body].map((r) => r.join(","));
    // Rows pasted together from a Windows file and a Unix one, and one old Mac line ending.
    const mixed = lines.map((l, i) => l + (i < 100 ? "\r\n" : i === 120 ? "\r" : "\n")).join("");
    const { result } = await run(job(csv("mixed-endings.csv", mixed)));
    expect(result.profile.badShape).toEqual({ count: 1, lines: [152] });
    const used = (result.artifact!.manifest.card.data as { used: { train: number; validation: number; test: number } }).used;
    expect(used.train + used.validation + used.test).toBe(199);
  });

  it("a quote never closed is named at the record where it opens, not the file's last line, with how to write a quote in a cell", async () => {
    const body = rows(200).map((r) => r.join(","));
    body[47] = `"1.5,2,u`; // data row 48 → line 49 opens a quote that never closes
    const path = csv("unclosed.csv", `a,b,y\n${body.join("\n")}\n`);
    const { error } = await failure(job(path, { dryRun: true }));
    expect(error.message).toBe(`${path}: a quote opened in the record after line 48 is never closed, so everything from there to line 201 reads as one cell. Close it, or write a quote inside a cell as two ("")`);
  });

  it("text in a mostly numeric column keeps the column numeric and skips that row, quoting the value", async () => {
    const body = rows(200);
    body[100]![0] = "n/a"; // line 102; 199 of 200 cells are numbers (≥ 90%)
    const path = csv("text-in-number.csv", text(["a", "b", "y"], body));
    const { result, lines } = await run(job(path));

    expect(result.spec.features.find((f) => f.name === "a")).toMatchObject({ type: "numeric" });
    expect((result.artifact!.manifest.card.data as { skipped: unknown }).skipped).toEqual({
      count: 1,
      reasons: [{ reason: `"a": expected a number`, count: 1, examples: [`${path} line 102: found "n/a"`] }],
    });
    expect(lines).toContain(`  skipped 1: "a": expected a number (e.g. ${path} line 102: found "n/a")`);
  });

  it("more skipped rows than --max-skipped is a JobError giving the count, after reporting them", async () => {
    const body = rows(200);
    for (let i = 0; i < 20; i++) body[i * 10] = ["1", "u"]; // 20 of 200 = 10% > 5%
    const path = csv("many-short.csv", text(["a", "b", "y"], body));
    const { error, lines } = await failure(job(path, { maxSkipped: 0.05 }));
    expect(error).toBeInstanceOf(JobError);
    expect(error.message).toBe("20 of 200 rows were skipped, more than --max-skipped 0.05; fix the data or raise the limit");
    // The first examples are lines 2, 12, 22 (data rows 0, 10, 20).
    expect(lines).toContain(`  skipped 20: wrong number of fields (expected 3) (e.g. ${path} line 2: 2 fields; ${path} line 12: 2 fields; ${path} line 22: 2 fields)`);
  });
});

describe("feature inference", () => {
  const withId = () => text(["id", "a", "b", "y"], rows(200).map((r, i) => [`c${String(i).padStart(4, "0")}`, ...r]));

  it("a text column with too many distinct values (an id) is refused by name, suggesting --ignore", async () => {
    const path = csv("with-id.csv", withId());
    const { error } = await failure(job(path, { dryRun: true }));
    expect(error.message).toBe(
      `${path}: column "id" has 200 distinct values (e.g. "c0000" on line 2), too many for a category (max 50); ` +
        "use --ignore id for an id or free text, or --spec to declare it",
    );
  });

  it("with ignore: [id] the same file works and the id is left out", async () => {
    const path = csv("with-id-ignored.csv", withId());
    const { result, lines } = await run(job(path, { dryRun: true, ignore: ["id"] }));
    expect(result.spec.features.map((f) => f.name)).toEqual(["a", "b"]);
    expect(lines).toContain("  ignored: id");
  });

  it("a column --ignore or --categorical names that is not in the data, or --ignore naming the target, is the flag's to fix (exit 2)", async () => {
    const path = csv("with-id-flags.csv", withId());
    const cases: [Partial<JobOptions>, string][] = [
      [{ ignore: ["idd"] }, `${path}: --ignore names "idd", which is not a column of the data; columns are: id, a, b, y`],
      [{ categorical: ["aa"] }, `${path}: --categorical names "aa", which is not a column of the data; columns are: id, a, b, y`],
      [{ ignore: ["id", "y"] }, '--ignore names "y", the target: it is never a feature anyway; leave it out of --ignore (or name another --target)'],
    ];
    for (const [over, message] of cases) {
      const { error } = await failure(job(path, { dryRun: true, ...over }));
      expect(error.message).toBe(message);
      expect(withCode(error)).toBeInstanceOf(UsageError);
    }
  });

  function idColumns(): string {
    const r = seededRandom(9);
    const shuffled = Array.from({ length: 150 }, (_, i) => 5000 + i).sort(() => r() - 0.5);
    const body = rows(150).map((row, i) => [String(100000 + i), String(shuffled[i]), String(Math.floor(r() * 40)), ...row]);
    return csv("ids.csv", text(["customer_id", "ref", "age", "a", "b", "y"], body));
  }

  it("refuses numeric columns that look like identifiers (rising or all-distinct whole numbers), naming --ignore and --keep-id-like, and not measurements", async () => {
    const path = idColumns();
    const { error } = await failure(job(path, { dryRun: true }));
    expect(error.message).toBe(
      `${path}: columns "customer_id", "ref" look like an identifier (a different whole number in every row); as a feature it would only fit noise. ` +
        "Leave it out with --ignore customer_id,ref, or keep it with --keep-id-like if it is a real measurement",
    );
    const { result } = await run(job(path, { dryRun: true, ignore: ["customer_id", "ref"] }));
    expect(result.spec.features.map((f) => f.name)).toEqual(["age", "a", "b"]);
  });

  it("quotes a column name in its advice so the suggested flag can be pasted into a shell as printed", async () => {
    const r = seededRandom(9);
    const body = rows(150).map((row, i) => [String(100000 + i), String(Math.floor(r() * 40)), ...row]);
    const path = csv("spaced.csv", text(["Applicant ID", "age", "a", "b", "y"], body));
    const { error } = await failure(job(path, { dryRun: true }));
    expect(error.message).toContain("Leave it out with --ignore 'Applicant ID', or keep it");
    expect([shellWord("Age"), shellWord("Age:bands=25,40,60"), shellWord("Applicant ID"), shellWord("it's"), shellWord("a;rm -rf")])
      .toEqual(["Age", "Age:bands=25,40,60", "'Applicant ID'", "'it'\\''s'", "'a;rm -rf'"]);
  });

  it("with keepIdLike the identifier-like columns stay as features, each with a warning", async () => {
    const { lines, result } = await run(job(idColumns(), { dryRun: true, keepIdLike: true }));
    expect(result.spec.features.map((f) => f.name)).toEqual(["customer_id", "ref", "age", "a", "b"]);
    expect(lines.filter((l) => l.startsWith("warning:"))).toEqual([
      'warning: column "customer_id" looks like an identifier (a different whole number in every row), kept as a feature because of --keep-id-like',
      'warning: column "ref" looks like an identifier (a different whole number in every row), kept as a feature because of --keep-id-like',
      // The fixture's "age" column is a feature whose name looks sensitive (fair lending, train/data/sensitive.ts).
      'warning: column "age" looks like a protected characteristic (age) and is used as a feature, so it can be given to an applicant as a reason; ' +
        "measure the model by it without using it with --protected age:bands=<edges, e.g. 25,40,60>, or leave it out with --ignore age",
    ]);
  });

  it("categorical: [X] makes a digit column a category instead of a number", async () => {
    const body = rows(60).map((r, i) => [String((i % 3) + 1), ...r]);
    const path = csv("digits.csv", text(["X", "a", "b", "y"], body));
    const plain = (await run(job(path, { dryRun: true }))).result.spec.features[0];
    expect(plain).toEqual({ name: "X", type: "numeric", nullable: false, min: 0 });
    const forced = (await run(job(path, { dryRun: true, categorical: ["X"] }))).result.spec.features[0];
    expect(forced).toEqual({ name: "X", type: "categorical", values: ["1", "2", "3"], nullable: false });
  });

  it("a --spec file with an unknown field is refused, naming the field", async () => {
    const data = csv("spec-data.csv", text(["a", "b", "y"], rows(30)));
    const spec = csv("unknown-field.json", JSON.stringify({ features: { a: { typ: "numeric" } } }));
    const { error } = await failure(job(data, { dryRun: true, spec }));
    expect(error).toBeInstanceOf(JobError);
    expect(error.message).toMatch(new RegExp(`^--spec ${escape(spec)}: .*features\\.a\\.typ must be removed`));
  });

  it("a --spec file with a value of the wrong type is refused, naming the field and the expected type", async () => {
    const data = csv("spec-data-2.csv", text(["a", "b", "y"], rows(30)));
    const spec = csv("wrong-type.json", JSON.stringify({ features: { a: { min: "zero" } } }));
    const { error } = await failure(job(data, { dryRun: true, spec }));
    expect(error).toBeInstanceOf(JobError);
    expect(error.message).toMatch(new RegExp(`^--spec ${escape(spec)}: .*features\\.a\\.min must be a number \\(was a string\\)`));
  });

  it("infers the bundled data's schema: 13 features, Status bad/good, nullable numeric Income, 6-valued Home", async () => {
    const { result } = await run(quickJob({ spec: undefined, testRows: undefined, dryRun: true }));
    const { spec } = result;
    expect(spec).toMatchObject({ target: "Status", positive: "bad", negative: "good" });
    expect(spec.features).toHaveLength(13);
    const byName = (n: string) => spec.features.find((f) => f.name === n) as Feature;
    expect(byName("Income")).toMatchObject({ type: "numeric", nullable: true });
    expect(byName("Home")).toMatchObject({ type: "categorical", values: ["ignore", "other", "owner", "parents", "priv", "rent"], nullable: true });
    expect(spec.features.map((f) => f.name)).not.toContain("Status");
  });
});

// ---------------------------------------------------------------- CLI

/** Runs `train/cli/train.ts` with the Node that runs vitest (22). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["node_modules/tsx/dist/cli.mjs", "train/cli/train.ts", ...args], { timeout: 120_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe("train CLI exit codes", () => {
  it("a malformed option is a usage error: exit 2, naming the option", async () => {
    const r = await cli(["--epochs", "abc", "--dry-run"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--epochs: expected a whole number >= 1, found "abc"');
    expect(r.stderr).toContain("--help");
  });

  it("a negative number is the flag's value, refused with the allowed range (not node's 'ambiguous argument')", async () => {
    const r = await cli(["--epochs", "-5", "--dry-run"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--epochs: expected a whole number >= 1, found "-5"');
  });

  it("--publish s3 --dry-run needs no S3 credentials (a dry run publishes nothing)", async () => {
    const r = await cli(["--publish", "s3", "--dry-run", "--json"], { R2_ACCOUNT_ID: "", S3_ENDPOINT: "", S3_BUCKET: "", AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, status: "dry-run" });
  });

  it("a misspelt flag names the nearest real one", async () => {
    const r = await cli(["--epoch", "20", "--dry-run"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option --epoch; did you mean --epochs?");
  });

  it("with --json, a failure still prints one JSON object on stdout, and a usage error too", async () => {
    const failed = await cli(["--data", "/nonexistent.csv", "--publish", "none", "--json"]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toEqual({ ok: false, error: { code: "failed", message: expect.stringContaining("cannot read /nonexistent.csv") } });
    const usage = await cli(["--epochs", "0", "--json"]);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout)).toEqual({ ok: false, error: { code: "usage", message: '--epochs: expected a whole number >= 1, found "0"' } });
  });

  it("a directory given as --data is named as such, not a bare EISDIR", async () => {
    const r = await cli(["--data", "data/", "--publish", "none"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot read data/: it is a directory; give the path of a CSV file");
  });

  it("unreadable data is a failure: exit 1, naming the file and saying nothing was published", async () => {
    const r = await cli(["--data", "/nonexistent.csv", "--publish", "none"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot read /nonexistent.csv");
    expect(r.stderr).toContain("nothing was published");
    expect(r.stdout).toBe("");
  });

  it("--dry-run --json on the bundled data exits 0 with one JSON object on stdout", async () => {
    const r = await cli(["--dry-run", "--json"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    const summary = JSON.parse(r.stdout) as { ok: boolean; status: string; spec: { features: unknown[] } };
    expect(summary.ok).toBe(true);
    expect(summary.status).toBe("dry-run");
    expect(summary.spec.features).toHaveLength(13);
  });
});
