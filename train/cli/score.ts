/**
 * `npm run score`: scores a whole CSV offline with a published version, with
 * the edge's own validation, preprocessing, network and reason codes. Rows the
 * edge would refuse go to a rejects file with the reason instead of stopping
 * the run. Exit 0: scored (also with rejects; the counts are printed) ·
 * 1: failed (unknown model or version, unreadable input, a missing feature
 * column; nothing is left at --out) · 2: usage error. Logs on stderr; `--json`
 * prints one summary object on stdout.
 */
import { pathToFileURL } from "node:url";
import type { TrainBackend } from "../fit/backend.ts";
import { parseProtected } from "../data/protected.ts";
import { defaultRejectsPath, runScore } from "../score/run.ts";
import { parseS3Url } from "../store/storage.ts";
import { oneOf, parseFlags, runCommand, UsageError } from "./args.ts";
import { withCode } from "./codes.ts";
import { checkDistinct, checkOutFile, sameFile } from "./out-paths.ts";
import { jsonText, log } from "./output.ts";
import { createScoreProgress } from "./progress.ts";
import { storeChoice } from "./store-flags.ts";
import { MIN_REFERENCE_COUNT } from "../evaluate/fairness.ts";

export const HELP = `Usage: npm run score -- --data <path|s3://bucket/key> --out <path|s3://bucket/key> [options]

Scores every row of a CSV with a published version: the same validation, preprocessing, network
and reason codes as POST /predict. Rows the edge would refuse (422) are written to a rejects file
with the reason; the run goes on.

  --data <path|s3://...>  CSV with the model's feature columns (other columns are ignored)
  --out <path|s3://...>   output CSV: the id column (or "line", the input's line number), then
                          probability, decision (a classifier) or value, lower, upper (a regression),
                          reasons with --explain, and warnings (values clipped or imputed)
  --rejects <path|s3://>  refused rows: line, reason and the row as read (default: <out>.rejects.csv)
  --model <name>          model name (default: MODEL_NAME in wrangler.toml)
  --version <id|current>  the version to score with (default: current)
  --id-column <column>    copy this column into each output row (to join the scores back)
  --protected col[,col]   a classifier's decisions counted by group of these columns (never features, not
                          written to --out): per group approve/refer/decline, approval rate and adverse
                          impact ratio in the log and --json "fairness"; no outcome needed. Age:bands=25,40,60
                          cuts a number into bands, col:values takes numeric codes as groups
  --explain               add the top 4 reasons per row (reason_k, impact_k); slower
  --backend wasm|cpu      tfjs backend (default: the one the version was trained on)
  --store local|s3        local: the R2 store npm run dev serves (default); s3: R2/S3 from the
                          environment (R2_ACCOUNT_ID or S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID,
                          AWS_SECRET_ACCESS_KEY; s3:// data and output use the same credentials)
  --bucket <name>         with --store s3: overrides S3_BUCKET
  --json                  print a summary as one JSON object on stdout
  --quiet                 no progress bar

Exit codes: 0 scored (rejected rows are counted, not fatal) · 1 failed (unknown model or version,
unreadable data, a missing feature column; no output is left behind) · 2 usage error (also a
--protected column not in the data).
`;

/** Reasons per row with --explain: the edge's default (REASONS_TOP_K). */
const REASONS = 4;

export async function main(argv: string[]): Promise<number> {
  const { values: a } = parseFlags(argv, {
    data: { type: "string" }, out: { type: "string" }, rejects: { type: "string" }, model: { type: "string" }, version: { type: "string" },
    "id-column": { type: "string" }, protected: { type: "string" }, explain: { type: "boolean" }, backend: { type: "string" }, store: { type: "string" }, bucket: { type: "string" },
    json: { type: "boolean" }, quiet: { type: "boolean" }, help: { type: "boolean", short: "h" },
  });
  if (a.help) { process.stdout.write(HELP); return 0; }
  if (!a.data) throw new UsageError("--data is required: the CSV to score (a path or s3://bucket/key)");
  if (!a.out) throw new UsageError("--out is required: where the scores go (a path or s3://bucket/key)");
  for (const [flag, path] of [["data", a.data], ["out", a.out], ["rejects", a.rejects]] as const) {
    try {
      if (path !== undefined) parseS3Url(path);
    } catch (e) {
      throw new UsageError(`--${flag}: ${(e as Error).message}`);
    }
  }
  for (const [flag, path] of [["out", a.out], ["rejects", a.rejects]] as const) if (path !== undefined && !parseS3Url(path)) checkOutFile(flag, path);
  checkDistinct("out", a.out, a.data, "data");
  if (a.rejects !== undefined) {
    checkDistinct("rejects", a.rejects, a.data, "data");
    checkDistinct("rejects", a.rejects, a.out, "out");
  } else if (sameFile(defaultRejectsPath(a.out), a.data)) {
    // --out q.csv puts the rejects at q.rejects.csv: data of that name would be overwritten as surely.
    throw new UsageError(`--out ${a.out} puts the rejected rows at ${defaultRejectsPath(a.out)}, which is the --data file: name another --out, or the rejects' file with --rejects <file>`);
  }
  const requests = a.protected === undefined ? [] : parseProtected(a.protected);
  const backend = a.backend === undefined ? undefined : oneOf<TrainBackend>("backend", a.backend, ["wasm", "cpu"], "wasm");
  const { name, open, dataTarget, signing: readSigning } = storeChoice(a);
  const signing = await readSigning();

  const store = await open();
  const progress = createScoreProgress(process.stderr, a.quiet ?? false);
  let result;
  try {
    result = await runScore(
      { data: a.data, out: a.out, version: a.version ?? "current", reasons: a.explain ? REASONS : 0,
        ...(a.rejects !== undefined ? { rejects: a.rejects } : {}), ...(a["id-column"] !== undefined ? { idColumn: a["id-column"] } : {}), ...(backend ? { backend } : {}),
        ...(requests.length ? { protected: requests } : {}) },
      { location: { client: store.client, bucket: store.target.bucket, name, signing, where: store.where }, log, progress: (p) => progress.update(p), ...(dataTarget ? { dataTarget } : {}) },
    );
  } finally {
    progress.stop();
    await store.close();
  }
  const r = result;
  log(`scored ${r.data.scored} of ${r.data.records} rows from ${r.data.source} with ${r.model.name} ${r.model.version} (${r.model.task}, ${r.model.backend}) in ${r.seconds.toFixed(1)} s, ${Math.round(r.rowsPerSecond)} rows/s`);
  log(`wrote ${r.out.path} (${r.data.scored} rows: ${r.out.columns.join(", ")})`);
  log(r.rejects.rows ? `rejected ${r.rejects.rows} row${r.rejects.rows === 1 ? "" : "s"} the edge would refuse: ${r.rejects.path} (line, reason, the row)` : `rejected none (${r.rejects.path} has the header only)`);
  for (const f of Object.values(r.fairness ?? {})) {
    const groups = Object.entries(f.groups).map(([g, x]) => `${g} ${x.count} rows, approved ${(x.approvalRate * 100).toFixed(1)}%, AIR ${x.air === null ? "–" : x.air.toFixed(2)}`).join("; ");
    // A group of a few rows is below four-fifths by chance as easily as not: said beside its name, as monitor says it.
    const below = f.belowFourFifths.map((g) => ((f.groups[g]?.count ?? 0) < MIN_REFERENCE_COUNT ? `${g} (${f.groups[g]?.count ?? 0} rows, under ${MIN_REFERENCE_COUNT}: could be chance)` : g));
    log(`by ${f.column} (reference ${f.reference}): ${groups}${below.length ? `; below four-fifths (0.8): ${below.join(", ")}` : ""}`);
  }
  if (a.json) process.stdout.write(`${jsonText({ ok: true, ...r })}\n`);
  return 0;
}

export function run(argv: string[]): Promise<number> {
  return runCommand(argv, (x) => main(x).catch((e: unknown) => { throw withCode(e); }), { afterFailure: "no output was written" });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await run(process.argv.slice(2));
}
