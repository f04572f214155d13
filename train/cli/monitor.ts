/**
 * `npm run monitor`: drift and performance of recent applications against a
 * published version (a classifier or a regression model), for a scheduler.
 * Exit 0: stable (warnings are listed) · 3: alert (drift, an AUC drop, an
 * RMSE increase or a group's adverse impact ratio crossed a limit) · 1: failed (the
 * message says why) · 2: usage error. A summary goes to stderr, `--json` to
 * stdout, and `--out DIR` writes monitor.html and monitor.json there.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { TrainBackend } from "../fit/backend.ts";
import type { Limits } from "../monitor/alerts.ts";
import { runMonitor, type MonitorResult } from "../monitor/run.ts";
import { summaryLines } from "../monitor/summary.ts";
import { parseProtected, type ProtectedRequest } from "../data/protected.ts";
import { renderMonitorReport } from "../report/monitor/render.ts";
import { parseRange, TimeFlagError, type TimeRange } from "../decisions/dates.ts";
import { DecisionsError } from "../decisions/read.ts";
import { OutcomesError } from "../monitor/outcome-checks.ts";
import { decisionsBucketOf, decisionsStoreOf } from "./decisions.ts";
import { CommandError, num, oneOf, parseFlags, rules, runCommand, UsageError } from "./args.ts";
import { withCode } from "./codes.ts";
import { decisionsTrust } from "./signing.ts";
import { checkOutDir } from "./out-paths.ts";
import { jsonText, log } from "./output.ts";
import { storeChoice } from "./store-flags.ts";

export const HELP = `Usage: npm run monitor -- --data <path|s3://bucket/key> [options]
       npm run monitor -- --decisions [--since 7d] [--outcomes <csv> --join-on <column>] [options]

Scores recent applications with a published version (the edge's own preprocessing and network)
and compares them with what the version saw at training time: PSI of the score (a regression's
predicted value) and of every feature, values outside the training range, unseen categories,
missing shares; for a classifier decision shares, the expected AUC and bad rate from the
probabilities (CBPE), and with --target the real ones; for a regression model with --target its
RMSE, MAE, R², median absolute error and interval coverage beside the card's.

  --data <path|s3://...>  CSV with the model's feature columns (others are ignored and listed)
  --decisions             instead of --data: the features the edge captured (CAPTURE="full") for the
                          champion's answers, de-duplicated, from the store's decisions/<model>/ records
  --since <time>          with --decisions: from (default 7d); a duration back from now (12h, 7d, 2w, 3mo),
                          a day (2026-12-01, midnight UTC) or an ISO 8601 time with a zone
  --until <time>          with --decisions: to, exclusive (default: now)
  --outcomes <csv|s3://>  with --decisions: outcomes that arrived later: a join column and the model's
                          target column (e.g. Status: good/bad); adds realised AUC, KS and calibration
                          per ISO week of the decision, and counts outcomes no decision matched; more
                          than --max-skipped unusable outcome rows, or labelled outcomes none of which
                          matches a decision, fail the run (exit 1)
  --decisions-bucket <name>  with --decisions --store s3: the DECISIONS binding's bucket, when not the models'
                          (default: DECISIONS_BUCKET, else the models' bucket)
  --join-on <column>      the outcomes' join column: it matches the record's pass-through value (the id
                          sent under PASS_THROUGH_KEY), or, when named request_id, the request id; each
                          outcome pairs with its applicant's latest decision (earlier ones are counted)
  --model <name>          model name (default: MODEL_NAME in wrangler.toml)
  --version <id|current>  the version to judge (default: current)
  --target <column>       outcome column; rows with an empty cell count as not yet labelled
  --psi-warn <x>          PSI at or above this is a warning (default 0.1)
  --psi-alert <x>         PSI at or above this is an alert, exit 3 (default 0.25)
  --max-auc-drop <x>      with --target (classifier): AUC below the card's test AUC by more than x is an alert
  --max-rmse-increase <x> with --target (regression): RMSE above the card's test RMSE by more than this
                          share of it is an alert (0.1 = 10 %)
  --protected col[,col]   a classifier's decisions by group of these columns of the data (never features):
                          approval rates, adverse impact ratio (AIR), SMD; with --target also AUC, bad
                          rate, TPR/FPR. Age:bands=25,40,60 cuts a number into bands; col:values takes
                          numeric codes as groups (as train --protected)
  --min-air <x>           with --protected: a group (30+ rows) with AIR below x is an alert (default 0.8)
  --max-skipped <share>   fail when more rows than this are unusable (default 0.05); with --outcomes,
                          also more outcome rows
  --backend wasm|cpu      tfjs backend (default: the one the version was trained on)
  --store local|s3        local: the R2 store npm run dev serves (default); s3: R2/S3 from the
                          environment (R2_ACCOUNT_ID or S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID,
                          AWS_SECRET_ACCESS_KEY; s3:// data is read with the same credentials)
  --bucket <name>         with --store s3: overrides S3_BUCKET
  --out <dir>             write monitor.html (report with charts) and monitor.json there
  --json                  print the result as one JSON object on stdout

Exit codes: 0 stable (warnings listed) · 3 alert: a PSI at or above --psi-alert, the labelled
AUC below the card's by more than --max-auc-drop, or the labelled RMSE above the card's by more
than --max-rmse-increase, a group's AIR below --min-air · 1 failed · 2 usage error.
`;

export const REPORT_NAME = "monitor.html";
export const JSON_NAME = "monitor.json";

export async function main(argv: string[]): Promise<number> {
  const { values: a } = parseFlags(argv, {
    data: { type: "string" }, decisions: { type: "boolean" }, since: { type: "string" }, until: { type: "string" }, outcomes: { type: "string" }, "join-on": { type: "string" }, "decisions-bucket": { type: "string" }, model: { type: "string" }, version: { type: "string" }, target: { type: "string" },
    "psi-warn": { type: "string" }, "psi-alert": { type: "string" }, "max-auc-drop": { type: "string" }, "max-rmse-increase": { type: "string" }, "max-skipped": { type: "string" }, protected: { type: "string" }, "min-air": { type: "string" },
    backend: { type: "string" }, store: { type: "string" }, bucket: { type: "string" }, out: { type: "string" },
    json: { type: "boolean" }, help: { type: "boolean", short: "h" },
  });
  if (a.help) { process.stdout.write(HELP); return 0; }
  if (a.out !== undefined) checkOutDir("out", a.out, `${REPORT_NAME} and ${JSON_NAME}`);
  if (a.data && a.decisions) throw new UsageError("--data and --decisions are two sources of recent applications: give one");
  if (!a.data && !a.decisions) throw new UsageError("--data is required: the CSV of recent applications (a path or s3://bucket/key); or --decisions for what the edge captured");
  if (!a.decisions) {
    for (const f of ["since", "until", "outcomes", "join-on"] as const) if (a[f] !== undefined) throw new UsageError(`--${f} goes with --decisions`);
  } else {
    if (a.target !== undefined) throw new UsageError("with --decisions, labels come from --outcomes <csv> --join-on <column> (its column named like the model's target), not --target");
    if (a.protected !== undefined) throw new UsageError("--protected reads columns of a --data file; decision records keep features only, never protected attributes");
    if ((a.outcomes === undefined) !== (a["join-on"] === undefined)) throw new UsageError("--outcomes and --join-on go together: the outcomes file and its column that matches the pass-through id (or request_id)");
  }
  const decisionsBucket = a.decisions ? decisionsBucketOf(a) : undefined;
  if (!a.decisions && a["decisions-bucket"] !== undefined) throw new UsageError("--decisions-bucket goes with --decisions");
  let window: TimeRange | undefined;
  try {
    if (a.decisions) window = parseRange(a, "7d");
  } catch (e) {
    throw e instanceof TimeFlagError ? new UsageError(e.message) : e;
  }
  const limits: Limits = {
    psiWarn: num("psi-warn", a["psi-warn"], 0.1, rules.positive),
    psiAlert: num("psi-alert", a["psi-alert"], 0.25, rules.positive),
    ...(a["max-auc-drop"] === undefined ? {} : { maxAucDrop: num("max-auc-drop", a["max-auc-drop"], 0, rules.probability) }),
    ...(a["max-rmse-increase"] === undefined ? {} : { maxRmseIncrease: num("max-rmse-increase", a["max-rmse-increase"], 0, { ok: (x) => x >= 0, text: "a share >= 0 (0.1 = 10 %)" }) }),
  };
  if (limits.maxAucDrop !== undefined && limits.maxRmseIncrease !== undefined) throw new UsageError("--max-auc-drop is for a classifier, --max-rmse-increase for a regression model: give the one that fits the version");
  const labelled = a.target !== undefined || a.outcomes !== undefined;
  if (limits.maxRmseIncrease !== undefined && !labelled) throw new UsageError("--max-rmse-increase compares the RMSE on labelled rows: it needs --target <column> (with --decisions: --outcomes)");
  if (limits.psiWarn > limits.psiAlert) throw new UsageError(`--psi-warn ${limits.psiWarn} must not be above --psi-alert ${limits.psiAlert}`);
  if (limits.maxAucDrop !== undefined && !labelled) throw new UsageError("--max-auc-drop compares the AUC on labelled rows: it needs --target <column> (with --decisions: --outcomes)");
  if (a["min-air"] !== undefined && a.protected === undefined) throw new UsageError("--min-air compares approval rates between groups: it needs --protected <column>");
  let requests: ProtectedRequest[];
  try {
    requests = a.protected === undefined ? [] : parseProtected(a.protected);
  } catch (e) {
    throw withCode(e);
  }
  if (requests.length) limits.minAir = num("min-air", a["min-air"], 0.8, rules.probability);
  const maxSkipped = num("max-skipped", a["max-skipped"], 0.05, rules.probability);
  const backend = a.backend === undefined ? undefined : oneOf<TrainBackend>("backend", a.backend, ["wasm", "cpu"], "wasm");
  const { name, open, dataTarget, signing: readSigning } = storeChoice(a);
  const signing = await readSigning();
  const trust = a.decisions ? await decisionsTrust(process.env) : {};

  const store = await open();
  const location = { client: store.client, bucket: store.target.bucket, name, signing, where: store.where };
  let result: MonitorResult;
  try {
    result = await runMonitor(
      { ...(a.data ? { data: a.data } : {}),
        ...(window ? { decisions: { store: decisionsStoreOf(location, decisionsBucket, trust), ...window, ...(a.outcomes ? { outcomes: { path: a.outcomes, joinOn: a["join-on"]! } } : {}) } } : {}),
        version: a.version ?? "current", ...(a.target === undefined ? {} : { target: a.target }), ...(requests.length ? { protected: requests } : {}), limits, maxSkipped, ...(backend ? { backend } : {}) },
      { location, log, ...(dataTarget ? { dataTarget } : {}) },
    );
  } catch (e) {
    if (e instanceof DecisionsError || e instanceof OutcomesError) throw new CommandError(e.message, e.code);
    throw withCode(e);
  } finally {
    await store.close();
  }
  for (const line of summaryLines(result)) log(line);
  const json = jsonText({ ok: true, ...result });
  if (a.out) {
    mkdirSync(a.out, { recursive: true });
    writeFileSync(join(a.out, REPORT_NAME), renderMonitorReport(result));
    writeFileSync(join(a.out, JSON_NAME), `${json}\n`);
    log(`wrote ${join(a.out, REPORT_NAME)} and ${join(a.out, JSON_NAME)}`);
  }
  if (a.json) process.stdout.write(`${json}\n`);
  return result.exitCode;
}

export function run(argv: string[]): Promise<number> {
  return runCommand(argv, main);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await run(process.argv.slice(2));
}
