/**
 * `report <version|current>`: writes the HTML report of a published version,
 * verified against its manifest. A subcommand of `npm run models` (until that
 * dispatcher exists: `npm run report -- <version|current>`).
 * Exit 0: written · 1: not found, damaged or no report (the message says which) · 2: usage error.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { MODEL_NAME_PATTERN } from "../../shared/artifact.ts";
import { exportReport, ReportMissingError } from "../report/export.ts";
import { openStore } from "../store/open.ts";
import { s3TargetFromEnv } from "../store/storage.ts";
import { StoreError } from "../store/versions.ts";
import { readWranglerFacts } from "../store/wrangler-config.ts";
import { CommandError, oneOf, parseFlags, runCommand, UsageError } from "./args.ts";

export const HELP = `Usage: npm run models -- report <version|current> [options]

Writes the HTML model report of a published version (report.html of its artifact),
after checking its sha256 against the version's manifest.

  <version|current>     a version id like 20261129T081500Z-1a2b3c4d, or "current"
  --out <file>          write the report to this file (default: stdout)
  --model <name>        model name (default: MODEL_NAME in wrangler.toml)
  --store local|s3      local: the R2 store npm run dev serves (default); s3: R2/S3 from the
                        environment (R2_ACCOUNT_ID or S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
  --bucket <name>       with --store s3: overrides S3_BUCKET
  --json                print {"ok", "model", "version", "current", "file", "bytes", "sha256"} on stdout (needs --out)

Exit codes: 0 written · 1 not found, damaged or published without a report · 2 usage error.
`;

export async function main(argv: string[]): Promise<number> {
  const { values: a, positionals } = parseFlags(argv, {
    out: { type: "string" }, model: { type: "string" }, store: { type: "string" }, bucket: { type: "string" },
    json: { type: "boolean" }, help: { type: "boolean", short: "h" },
  }, true);
  if (a.help) { process.stdout.write(HELP); return 0; }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one version, got ${positionals.length}: ${positionals.join(" ")}` : "which version? give a version id or \"current\"");
  const ref = positionals[0] as string;
  if (a.json && !a.out) throw new UsageError("--json prints a summary on stdout, so the report needs --out <file>");
  const kind = oneOf("store", a.store, ["local", "s3"] as const, "local");
  const facts = kind === "local" || !a.model ? readWranglerFacts() : undefined;
  const name = a.model ?? facts?.modelName ?? "credit-risk";
  if (!MODEL_NAME_PATTERN.test(name)) throw new UsageError(`--model: "${name}" must be lowercase letters, digits, ".", "_" or "-"`);
  let s3;
  if (kind === "s3") {
    const t = s3TargetFromEnv(process.env, a.bucket);
    if ("missing" in t) throw new UsageError(`--store s3 needs ${t.missing.join(", ")} in the environment`);
    s3 = t;
  }
  const store = await openStore(kind, s3, facts?.bucketName);
  try {
    let report;
    try {
      report = await exportReport({ client: store.client, bucket: store.target.bucket, name }, ref);
    } catch (e) {
      if (e instanceof StoreError || e instanceof ReportMissingError) throw new CommandError(e.message, e.code);
      throw e;
    }
    if (a.out) {
      mkdirSync(dirname(a.out), { recursive: true });
      writeFileSync(a.out, report.bytes);
      process.stderr.write(`wrote ${a.out}: report of ${name} version ${report.version}${report.current ? " (current)" : ""}, ${(report.bytes.byteLength / 1024).toFixed(0)} KB, sha256 ${report.sha256.slice(0, 12)}… matches the manifest\n`);
    } else {
      process.stdout.write(report.bytes);
    }
    if (a.json) {
      process.stdout.write(`${JSON.stringify({ ok: true, model: name, version: report.version, current: report.current, file: a.out, bytes: report.bytes.byteLength, sha256: report.sha256 })}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

export function run(argv: string[]): Promise<number> {
  return runCommand(argv, main);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await run(process.argv.slice(2));
}
