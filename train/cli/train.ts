/**
 * `npm run train`: argument parsing, I/O and exit codes around `runJob`.
 * Exit 0: published (or dry run ok) · 1: failed, nothing promoted · 2: usage error.
 * Logs go to stderr; `--json` prints one summary object on stdout.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { withCode } from "./codes.ts";
import { between, list, num, oneOf, parseFlags, rules, runCommand, UsageError } from "./args.ts";
import { keys, MODEL_NAME_PATTERN } from "../../shared/artifact.ts";
import { REPORT_FILE } from "../report/model/render.ts";
import type { Scaler } from "../../shared/preprocess.ts";
import type { S3Client } from "@aws-sdk/client-s3";
import { checkNotWorse } from "../evaluate/gate.ts";
import { loadOverrides, runJob, publishTo, type JobOptions } from "../job.ts";
import { readPointer, type CurrentPointer } from "../store/publish.ts";
import { openStore } from "../store/open.ts";
import { createProgress } from "./progress.ts";
import { s3TargetFromEnv, type S3Target } from "../store/storage.ts";
import { readWranglerFacts } from "../store/wrangler-config.ts";
import type { TrainBackend } from "../fit/backend.ts";
import { readManifest } from "../store/versions.ts";
import { previousFromManifest, type PreviousVersion } from "../report/model/card.ts";
import type { Store } from "../store/open.ts";

const BUNDLED = { data: "data/credit_data.csv", spec: "data/credit_data.spec.json", testRows: "data/credit_data.test_rows.csv" };

const HELP = `Usage: npm run train -- [options]

Data
  --data <path|s3://bucket/key>  training CSV (default: ${BUNDLED.data})
  --target <column>             label column (default from the spec: Status)
  --positive <label>            adverse-outcome label, e.g. bad, yes, 1 (default from the spec: bad)
  --spec <file.json>            schema overrides (default for the bundled data: ${BUNDLED.spec})
  --categorical a,b             treat these columns as categories
  --ignore c,d                  leave these columns out (ids, free text)
  --keep-id-like                keep whole-number columns that look like identifiers as features
                                (refused by default: a different number in every row fits only noise)
  --test <csv>                  evaluate on this file instead of a test split
  --test-rows <csv>             fixed test rows (column "row", 0-based); bundled data: ${BUNDLED.testRows}
  --seed <n>                    split, shuffle and initialisation seed (default 42)
  --validation <share>          validation share of rows (default 0.1)
  --test-share <share>          test share of rows for a random split (default 0.2)
  --max-skipped <share>         fail if more rows than this are unusable (default 0.05)
  --dry-run                     print the inferred spec and stop

Model
  --epochs <n> (100)  --batch-size <n> (32)  --learning-rate <x> (0.001)  --hidden 64[,32]
  --patience <n>      early stopping on validation loss, best weights restored (default 20; 0 = off)
  --scaler standard|robust|minmax (default standard)
  --backend wasm|cpu  (default wasm, falls back to cpu)
  --refer-at <p> (0.25)  --decline-at <p> (0.5)   decision thresholds stored in the artifact
  --strict-ranges     the edge refuses (422) numbers outside the range in the data file
                      instead of clipping them with a warning
  --min-auc <x>       refuse to publish below this test AUC
  --max-auc-drop <x>  refuse to publish if the current model scores a higher AUC than the new one,
                      by more than x, on this run's test rows (e.g. 0.01)

Publishing
  --publish local|s3|none  local: the R2 store wrangler dev serves (default); s3: R2/S3 from env
                           (R2_ACCOUNT_ID or S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
  --bucket <name>          with --publish s3: overrides S3_BUCKET
  --model-name <name>      default: MODEL_NAME in wrangler.toml
  --reason "..."           why, for the model's history (default: "trained on <data>")
  --allow-signature-change publish even though the serving version accepts other features (added, removed,
                           retyped, categories removed); otherwise such a publish is refused: use --model-name
  --out <dir>              also write the artifact files here (default for --publish none: artifacts)
  --json                   print a JSON summary on stdout
  --quiet                  no per-epoch progress
`;

export async function main(argv: string[]): Promise<number> {
  const { values: a } = parseFlags(argv, {
      data: { type: "string" }, target: { type: "string" }, positive: { type: "string" }, spec: { type: "string" },
      categorical: { type: "string" }, ignore: { type: "string" }, "keep-id-like": { type: "boolean" }, test: { type: "string" }, "test-rows": { type: "string" },
      seed: { type: "string" }, validation: { type: "string" }, "test-share": { type: "string" }, "max-skipped": { type: "string" },
      "dry-run": { type: "boolean" }, epochs: { type: "string" }, "batch-size": { type: "string" }, "learning-rate": { type: "string" },
      hidden: { type: "string" }, patience: { type: "string" }, scaler: { type: "string" }, backend: { type: "string" },
      "refer-at": { type: "string" }, "decline-at": { type: "string" }, "min-auc": { type: "string" }, "max-auc-drop": { type: "string" },
      "strict-ranges": { type: "boolean" }, publish: { type: "string" }, "model-name": { type: "string" }, out: { type: "string" }, bucket: { type: "string" },
      reason: { type: "string" }, "allow-signature-change": { type: "boolean" },
      json: { type: "boolean" }, quiet: { type: "boolean" }, help: { type: "boolean", short: "h" },
  });
  if (a.help) { process.stdout.write(HELP); return 0; }

  const bundled = a.data === undefined;
  const specPath = a.spec ?? (bundled ? BUNDLED.spec : undefined);
  const specDefaults = specPath ? loadOverrides(specPath) : {};
  const hidden = list(a.hidden ?? "64").map((h) => num("hidden", h, 0, rules.positiveInt));
  const publish = oneOf("publish", a.publish, ["local", "s3", "none"] as const, "local");
  const facts = publish === "local" || !a["model-name"] ? readWranglerFacts() : undefined;
  const modelName = a["model-name"] ?? facts?.modelName ?? "credit-risk";
  if (!MODEL_NAME_PATTERN.test(modelName)) throw new UsageError(`--model-name: "${modelName}" must be lowercase letters, digits, ".", "_" or "-"`);
  const o: JobOptions = {
    data: a.data ?? BUNDLED.data,
    target: a.target ?? specDefaults.target ?? "Status",
    positive: a.positive ?? specDefaults.positive ?? "bad",
    ...(specPath ? { spec: specPath } : {}),
    categorical: list(a.categorical),
    ignore: list(a.ignore),
    keepIdLike: a["keep-id-like"] ?? false,
    ...(a.test ? { test: a.test } : {}),
    ...(a["test-rows"] ?? (bundled && !a.test) ? { testRows: a["test-rows"] ?? BUNDLED.testRows } : {}),
    seed: num("seed", a.seed, 42, rules.integer),
    validationShare: num("validation", a.validation, 0.1, rules.share),
    testShare: num("test-share", a["test-share"], 0.2, rules.share),
    scaler: oneOf<Scaler>("scaler", a.scaler, ["standard", "robust", "minmax"], "standard"),
    train: {
      hidden,
      epochs: num("epochs", a.epochs, 100, rules.positiveInt),
      batchSize: num("batch-size", a["batch-size"], 32, rules.positiveInt),
      learningRate: num("learning-rate", a["learning-rate"], 0.001, between(0, 10)),
      patience: num("patience", a.patience, 20, rules.nonNegativeInt),
      seed: num("seed", a.seed, 42, rules.integer),
    },
    backend: oneOf<TrainBackend>("backend", a.backend, ["wasm", "cpu"], "wasm"),
    thresholds: { refer: num("refer-at", a["refer-at"], 0.25, rules.probability), decline: num("decline-at", a["decline-at"], 0.5, rules.probability) },
    ...(a["min-auc"] !== undefined ? { minAuc: num("min-auc", a["min-auc"], 0, rules.probability) } : {}),
    maxSkipped: num("max-skipped", a["max-skipped"], 0.05, rules.probability),
    keepTestRows: a["max-auc-drop"] !== undefined,
    modelName,
    dryRun: a["dry-run"] ?? false,
    strictRanges: a["strict-ranges"] ?? false,
  };
  const maxAucDrop = a["max-auc-drop"] === undefined ? undefined : num("max-auc-drop", a["max-auc-drop"], 0, rules.probability);
  if (maxAucDrop !== undefined && publish === "none") throw new UsageError("--max-auc-drop compares with the published model: it needs --publish local or s3");
  if (o.thresholds.refer > o.thresholds.decline) throw new UsageError(`--refer-at ${o.thresholds.refer} must not be above --decline-at ${o.thresholds.decline}`);
  if (o.validationShare + o.testShare >= 1) throw new UsageError("--validation plus --test-share must leave rows for training");

  // Resolve the publish target before hours of training, so a missing variable fails fast
  // (a dry run publishes nothing and needs no credentials).
  let s3: S3Target | undefined;
  if (publish === "s3" && !o.dryRun) {
    const t = s3TargetFromEnv(process.env, a.bucket);
    if ("missing" in t) throw new UsageError(`--publish s3 needs ${t.missing.join(", ")} in the environment`);
    s3 = t;
  }
  const envTarget = s3TargetFromEnv(process.env);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // The store is opened before training: the report compares with the version serving now.
  const store = publish !== "none" && !o.dryRun ? await openStore(publish, s3, facts?.bucketName) : undefined;
  try {
    if (store) {
      const previous = await readPrevious(store, modelName, log);
      if (previous) o.previous = previous;
    }
    return await trainAndPublish(o, a, publish, store, maxAucDrop, log, envTarget);
  } finally {
    await store?.close();
  }
}

/** The serving version's headline numbers, or nothing (with a warning when it cannot be read: the report just omits them). */
async function readPrevious(store: Store, name: string, log: (line: string) => void): Promise<PreviousVersion | undefined> {
  try {
    const current = await readPointer(store.client, store.target.bucket, name);
    if (!current.pointer) return undefined;
    const m = await readManifest({ client: store.client, bucket: store.target.bucket, name }, current.pointer.version, current.pointer.manifestSha256);
    return previousFromManifest(m);
  } catch (e) {
    log(`warning: the report cannot compare with the serving version: ${(e as Error).message}`);
    return undefined;
  }
}

async function trainAndPublish(
  o: JobOptions,
  a: { out?: string | undefined; json?: boolean | undefined; quiet?: boolean | undefined; reason?: string | undefined; "allow-signature-change"?: boolean | undefined },
  publish: "local" | "s3" | "none",
  store: Store | undefined, maxAucDrop: number | undefined, log: (line: string) => void, envTarget: ReturnType<typeof s3TargetFromEnv>,
): Promise<number> {
  const result = await runJob(o, {
    log,
    progress: createProgress(process.stderr, a.quiet ?? false),
    ...("missing" in envTarget ? {} : { dataTarget: envTarget }),
  });
  const summary: Record<string, unknown> = { ok: true, status: o.dryRun ? "dry-run" : "trained", spec: result.spec, seconds: result.seconds };
  const artifact = result.artifact;
  if (artifact) {
    const out = a.out ?? (publish === "none" ? "artifacts" : undefined);
    if (out) {
      for (const [file, bytes] of artifact.files) {
        const path = join(out, keys.file(artifact.name, artifact.version, file));
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, bytes);
      }
      log(`wrote ${join(out, keys.version(artifact.name, artifact.version))} (report: ${join(out, keys.file(artifact.name, artifact.version, REPORT_FILE))})`);
    }
    if (store) {
      const target = store.target;
      const gate = maxAucDrop === undefined ? undefined : async (client: S3Client, current: CurrentPointer) => {
        const g = await checkNotWorse(client, target.bucket, artifact.name, current, {
          newAuc: result.test!.auc, testRows: result.testRows ?? [], testLabels: result.testLabels ?? new Float32Array(), maxDrop: maxAucDrop,
        });
        if (g.currentVersion) log(`quality gate: current model ${g.currentVersion} scores AUC ${g.currentAuc!.toFixed(4)} on the same test rows; the new model ${result.test!.auc.toFixed(4)}`);
      };
      const res = await publishTo(target, artifact, {
        ...(gate ? { beforePublish: gate } : {}),
        ...(a.reason ? { reason: a.reason } : {}),
        allowSignatureChange: a["allow-signature-change"] ?? false,
        log,
      });
      if (res.warning) log(`warning: ${res.warning}`);
      log(`published ${artifact.name} version ${res.pointer.version} to ${store.where}${res.previous ? ` (was ${res.previous})` : " (first version)"}`);
      summary.published = { where: store.kind === "local" ? "local" : `s3://${target.bucket}`, pointer: res.pointer, previous: res.previous ?? null, historySeq: res.record.seq, recorded: res.recorded };
    }
    const t = result.test!;
    summary.status = publish === "none" ? "trained" : "published";
    summary.model = { name: artifact.name, version: artifact.version };
    summary.metrics = { auc: t.auc, gini: t.gini, ks: t.ks, brier: t.brier, logLoss: t.logLoss, accuracy: t.accuracy };
    summary.baseRate = { brier: result.baseline!.brier, logLoss: result.baseline!.logLoss, accuracy: result.baseline!.accuracy };
    if (result.report) summary.report = { file: REPORT_FILE, ...result.report };
    delete summary.spec;
  }
  if (a.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  return 0;
}

/** `main` with errors mapped to messages and exit codes (1 failure, 2 usage). */
export function run(argv: string[]): Promise<number> {
  return runCommand(argv, (a) => main(a).catch((e: unknown) => { throw withCode(e); }), { afterFailure: "nothing was published; the current model is unchanged" });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await run(process.argv.slice(2));
}
