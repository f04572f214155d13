/**
 * `npm run train`: argument parsing, I/O and exit codes around `runJob`.
 * Exit 0: published (or dry run ok) · 1: failed, nothing promoted · 2: usage error.
 * Logs go to stderr; `--json` prints one summary object on stdout.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { withCode } from "./codes.ts";
import { checkOutDir } from "./out-paths.ts";
import { signingSetup } from "./signing.ts";
import type { Signing } from "../../shared/signing.ts";
import { between, num, oneOf, parseFlags, rules, runCommand, UsageError } from "./args.ts";
import { keys, MODEL_NAME_PATTERN, MODEL_NAME_RULE } from "../../shared/artifact.ts";
import type { S3Client } from "@aws-sdk/client-s3";
import { checkNotWorse, checkRmseNotWorse } from "../evaluate/gate.ts";
import { runJob, publishTo, type JobOptions } from "../job.ts";
import { previousFromManifest, type PreviousVersion } from "../report/model/card.ts";
import { REPORT_FILE } from "../report/model/render.ts";
import { readPointer, type CurrentPointer } from "../store/publish.ts";
import { openStore, type Store } from "../store/open.ts";
import { readManifest } from "../store/versions.ts";
import { jsonText, log } from "./output.ts";
import { PROTECTED_HELP, protectedOption } from "./protected-flag.ts";
import { readNarrative } from "../data/card-file.ts";
import { parseSegments } from "../data/segments.ts";
import { createProgress, createTuneProgress } from "./progress.ts";
import { s3TargetFromEnv, type S3Target } from "../store/storage.ts";
import { readWranglerFacts } from "../store/wrangler-config.ts";
import { WEIGHT_DTYPES, type WeightDtype } from "../store/quantize.ts";
import { readTuned, TunedError } from "../tune/tuned.ts";
import { DATA_FLAGS, DATA_HELP, MODEL_FLAGS, MODEL_HELP, SEARCH_FLAGS, SEARCH_HELP, dataOptions, searchOptions, trainOptions, type FlagValues } from "./flags.ts";
import { wasText } from "./models/make-current.ts";

const HELP = `Usage: npm run train -- [options]

${DATA_HELP}  --dry-run                     print the inferred spec and stop

${PROTECTED_HELP}
Model report
  --segments col[,col]          report AUC, bad rate, approval rate and count per group of these columns (features or
                                not) on the test split; grouped like --protected (col, col:bands=30,50, col:values)
  --card <card.json>            the model card's narrative: intendedUse, limitations, owner, approval (README)

${MODEL_HELP}  --params <tuned.json>         start from the options npm run tune chose (flags given here override them)
  --tune                        search the model options first (flags below), then train the winner

Compression (default off)
  --prune <share>               remove this share of each hidden layer's units (smallest weights), then fine-tune
  --fine-tune-epochs <n>        epochs of fine-tuning after pruning (default: a quarter of the epochs trained, at least 2)
  --quantize float16|uint8      store the weights 2× / 4× smaller; the edge dequantizes them on load

${SEARCH_HELP}
Gates and decisions (classification)
  --refer-at <p> (0.25)  --decline-at <p> (0.5)   decision thresholds stored in the artifact
  --min-auc <x>       refuse to publish below this test AUC
  --max-auc-drop <x>  refuse to publish if the current model scores a higher AUC than the new one,
                      by more than x, on this run's test rows (e.g. 0.01)

Regression (a model that does not beat the training mean on the test split is never published)
  --interval <level>  prediction interval coverage, calibrated on the validation split (default 0.9)
  --min-r2 <x>        refuse to publish below this test R²
  --max-rmse-increase <x>  refuse to publish if the new model's RMSE on this run's test rows is above the
                      current model's by more than this share of it (e.g. 0.05 = 5 %)

  --strict-ranges     the edge refuses (422) numbers outside the range in the data file
                      instead of clipping them with a warning

Publishing
  --publish local|s3|none  local: the R2 store wrangler dev serves (default); s3: R2/S3 from env
                           (R2_ACCOUNT_ID or S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
  --bucket <name>          with --publish s3: overrides S3_BUCKET
  --model-name <name>      default: MODEL_NAME in wrangler.toml
  --reason "..."           why, for the model's history (default: "trained on <data>")
  --candidate              publish without moving current: the history records a candidate publish; put it on
                           traffic with npm run models -- canary|shadow <version>, or promote it
  --allow-signature-change publish even though the serving version accepts other features (added, removed,
                           retyped, categories removed); otherwise such a publish is refused: use --model-name
  --out <dir>              also write the artifact files here (default for --publish none: artifacts)
  --json                   print a JSON summary on stdout
  --quiet                  no per-epoch progress
`;

export async function main(argv: string[]): Promise<number> {
  const startedAt = Date.now() - process.uptime() * 1000;
  const { values: a } = parseFlags(argv, {
      ...DATA_FLAGS, ...MODEL_FLAGS, ...SEARCH_FLAGS,
      "dry-run": { type: "boolean" }, protected: { type: "string" }, segments: { type: "string" }, card: { type: "string" }, params: { type: "string" }, tune: { type: "boolean" },
      prune: { type: "string" }, "fine-tune-epochs": { type: "string" }, quantize: { type: "string" },
      "refer-at": { type: "string" }, "decline-at": { type: "string" }, "min-auc": { type: "string" }, "max-auc-drop": { type: "string" },
      interval: { type: "string" }, "min-r2": { type: "string" }, "max-rmse-increase": { type: "string" },
      "strict-ranges": { type: "boolean" }, publish: { type: "string" }, "model-name": { type: "string" }, out: { type: "string" }, bucket: { type: "string" },
      reason: { type: "string" }, "allow-signature-change": { type: "boolean" }, candidate: { type: "boolean" },
      json: { type: "boolean" }, quiet: { type: "boolean" }, help: { type: "boolean", short: "h" },
  });
  if (a.help) { process.stdout.write(HELP); return 0; }

  const flags = a as FlagValues;
  const searchFlags = Object.keys(SEARCH_FLAGS).filter((f) => flags[f] !== undefined);
  if (!a.tune && searchFlags.length) throw new UsageError(`--${searchFlags[0]} belongs to the search: add --tune (or use npm run tune)`);
  if (a.tune && a.params) throw new UsageError("--tune searches the options and --params applies chosen ones: use one of them");
  const tuned = a.params ? readTunedOrUsage(a.params) : undefined;
  const overriding = Object.keys(MODEL_FLAGS).filter((f) => flags[f] !== undefined);
  if (tuned && overriding.length) log(`--params ${a.params}: --${overriding.join(", --")} given here override${overriding.length === 1 ? "s" : ""} it`);
  const data = dataOptions(flags);
  const protectedColumns = protectedOption(a.protected, data, a.spec);
  const segments = a.segments === undefined ? [] : parseSegments(a.segments);
  const narrative = a.card === undefined ? undefined : readNarrative(a.card);
  const train = trainOptions(flags, tuned ? { ...tuned.params } : undefined, a.tune === true);
  const publish = oneOf("publish", a.publish, ["local", "s3", "none"] as const, "local");
  const facts = publish === "local" || !a["model-name"] ? readWranglerFacts() : undefined;
  const modelName = a["model-name"] ?? facts?.modelName ?? "credit-risk";
  if (!MODEL_NAME_PATTERN.test(modelName)) throw new UsageError(`--model-name: "${modelName}" must be ${MODEL_NAME_RULE}`);
  const prune = a.prune === undefined ? undefined : num("prune", a.prune, 0, { ok: (x) => x > 0 && x < 1, text: "a share above 0 and below 1 (e.g. 0.5 removes half the hidden units)" });
  if (prune === undefined && a["fine-tune-epochs"] !== undefined) throw new UsageError("--fine-tune-epochs applies after --prune");
  if (prune !== undefined && train.hidden.length === 0 && !a.tune) throw new UsageError("--prune removes hidden units; --hidden 0 (logistic regression) has none");
  const o: JobOptions = {
    ...data,
    ...(protectedColumns.length ? { protected: protectedColumns } : {}),
    ...(segments.length ? { segments } : {}),
    ...(narrative ? { narrative } : {}),
    ...(tuned && a.validation === undefined ? { validationShare: tuned.params.validation } : {}),
    train,
    thresholds: { refer: num("refer-at", a["refer-at"], 0.25, rules.probability), decline: num("decline-at", a["decline-at"], 0.5, rules.probability) },
    ...(a["min-auc"] !== undefined ? { minAuc: num("min-auc", a["min-auc"], 0, rules.probability) } : {}),
    ...(a.interval !== undefined ? { interval: num("interval", a.interval, 0.9, between(0, 1)) } : {}),
    ...(a["min-r2"] !== undefined ? { minR2: num("min-r2", a["min-r2"], 0, { ok: (x) => x <= 1, text: "a number up to 1" }) } : {}),
    keepTestRows: a["max-auc-drop"] !== undefined || a["max-rmse-increase"] !== undefined,
    taskFlags: {
      classification: ["segments", "refer-at", "decline-at", "min-auc", "max-auc-drop"].filter((f) => flags[f] !== undefined),
      regression: ["interval", "min-r2", "max-rmse-increase", "target-transform", "loss"].filter((f) => flags[f] !== undefined),
    },
    modelName,
    dryRun: a["dry-run"] ?? false,
    strictRanges: a["strict-ranges"] ?? false,
    ...(prune !== undefined ? { prune: { sparsity: prune, ...(a["fine-tune-epochs"] !== undefined ? { fineTuneEpochs: num("fine-tune-epochs", a["fine-tune-epochs"], 0, rules.positiveInt) } : {}) } } : {}),
    ...(a.quantize !== undefined ? { quantize: oneOf<WeightDtype>("quantize", a.quantize, WEIGHT_DTYPES, "uint8") } : {}),
    ...(tuned ? { tuned: { path: a.params as string, features: tuned.features, ...(tuned.task ? { task: tuned.task } : {}) } } : {}),
    ...(a.tune ? { tune: searchOptions(flags, startedAt) } : {}),
  };
  // Found before training, not by mkdir after it.
  if (a.out !== undefined) checkOutDir("out", a.out, "the artifact's files");
  if (a.candidate && (publish === "none" || o.dryRun)) throw new UsageError("--candidate publishes a version beside the current one: it needs --publish local or s3 (and no --dry-run)");
  if (o.validationShare === 0 && train.patience > 0 && !a.tune) throw new UsageError("--validation 0 leaves no rows for early stopping: add --patience 0 (a fixed number of --epochs)");
  const maxAucDrop = a["max-auc-drop"] === undefined ? undefined : num("max-auc-drop", a["max-auc-drop"], 0, rules.probability);
  if (maxAucDrop !== undefined && publish === "none") throw new UsageError("--max-auc-drop compares with the published model: it needs --publish local or s3");
  const maxRmseIncrease = a["max-rmse-increase"] === undefined ? undefined : num("max-rmse-increase", a["max-rmse-increase"], 0, { ok: (x) => x >= 0, text: "a share >= 0 (0.05 = 5 %)" });
  if (maxRmseIncrease !== undefined && publish === "none") throw new UsageError("--max-rmse-increase compares with the published model: it needs --publish local or s3");
  if (data.task === "regression") {
    const foreign = o.taskFlags?.classification ?? [];
    if (foreign.length) throw new UsageError(`--${foreign[0]} applies to classification; --task regression has no probability to threshold or rank (use --min-r2 / --max-rmse-increase)`);
  }
  if (data.task === "classification" && (o.taskFlags?.regression ?? []).length) throw new UsageError(`--${o.taskFlags!.regression![0]} applies to regression (--task regression)`);
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
  // The signing key is read before training too: a bad key fails in a second, not after the fit.
  const signing = publish !== "none" && !o.dryRun ? await signingSetup(process.env, { local: publish === "local", create: publish === "local" }) : undefined;
  if (signing) log(signing.signer ? `signing with ${signing.source}` : `warning: publishing unsigned (${signing.source}): an edge with MODEL_SIGNING_KEYS will refuse this version`);
  // The store is opened before training: the report compares with the version serving now.
  const store = publish !== "none" && !o.dryRun ? await openStore(publish, s3, facts?.bucketName) : undefined;
  try {
    if (store) {
      const previous = await readPrevious(store, modelName, log);
      if (previous) o.previous = previous;
    }
    return await trainAndPublish(o, a, publish, store, { maxAucDrop, maxRmseIncrease }, log, envTarget, signing);
  } finally {
    await store?.close();
  }
}

/** The serving version's headline numbers, or nothing (with a warning when it cannot be read: the report just omits them). */
async function readPrevious(store: Store, name: string, log: (line: string) => void): Promise<PreviousVersion | undefined> {
  try {
    const l = { client: store.client, bucket: store.target.bucket, name, where: store.where };
    const current = await readPointer(l);
    if (!current.pointer) return undefined;
    const m = await readManifest(l, current.pointer.version, current.pointer.manifestSha256);
    return previousFromManifest(m);
  } catch (e) {
    log(`warning: the report cannot compare with the serving version: ${(e as Error).message}`);
    return undefined;
  }
}

async function trainAndPublish(
  o: JobOptions,
  a: { out?: string | undefined; json?: boolean | undefined; quiet?: boolean | undefined; reason?: string | undefined; "allow-signature-change"?: boolean | undefined; candidate?: boolean | undefined },
  publish: "local" | "s3" | "none",
  store: Store | undefined, gates: { maxAucDrop: number | undefined; maxRmseIncrease: number | undefined }, log: (line: string) => void, envTarget: ReturnType<typeof s3TargetFromEnv>,
  signing: Signing | undefined,
): Promise<number> {
  const result = await runJob(o, {
    log,
    progress: createProgress(process.stderr, a.quiet ?? false),
    tuneProgress: createTuneProgress(process.stderr, a.quiet ?? false),
    ...("missing" in envTarget ? {} : { dataTarget: envTarget }),
  });
  const summary: Record<string, unknown> = { ok: true, status: o.dryRun ? "dry-run" : "trained", spec: result.spec, seconds: result.seconds, warnings: result.warnings };
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
      const { maxAucDrop, maxRmseIncrease } = gates;
      const sample = result.gate;
      const gate = maxAucDrop !== undefined && sample?.newAuc !== undefined
        ? async (client: S3Client, current: CurrentPointer) => {
          const g = await checkNotWorse(client, target.bucket, artifact.name, current, { rows: sample.rows, labels: sample.labels, newAuc: sample.newAuc!, maxDrop: maxAucDrop });
          if (g.currentVersion) log(`quality gate: current model ${g.currentVersion} scores AUC ${g.currentAuc!.toFixed(4)} on the same ${sample.rows.length} test rows; the new model ${sample.newAuc!.toFixed(4)}`);
        }
        : maxRmseIncrease !== undefined && sample?.newRmse !== undefined
          ? async (client: S3Client, current: CurrentPointer) => {
            const g = await checkRmseNotWorse(client, target.bucket, artifact.name, current, { rows: sample.rows, labels: sample.labels, newRmse: sample.newRmse!, maxIncrease: maxRmseIncrease });
            if (g.currentVersion) log(`quality gate: current model ${g.currentVersion} has RMSE ${g.currentRmse!.toPrecision(6)} on the same ${sample.rows.length} test rows; the new model ${sample.newRmse!.toPrecision(6)}`);
          }
          : undefined;
      // The move's warnings (a forged, missing or damaged pointer passed over) belong in --json too, where a job reads them.
      const moveWarnings: string[] = [];
      const publishLog = (line: string) => {
        if (line.startsWith("warning: ")) moveWarnings.push(line.slice("warning: ".length));
        log(line);
      };
      const res = await publishTo(target, artifact, {
        ...(gate ? { beforePublish: gate } : {}),
        ...(a.reason ? { reason: a.reason } : {}),
        allowSignatureChange: a["allow-signature-change"] ?? false,
        ...(a.candidate ? { candidate: true } : {}),
        log: publishLog,
        ...(signing ? { signing } : {}),
      });
      if (res.warning) publishLog(`warning: ${res.warning}`);
      if (moveWarnings.length) summary.warnings = [...(result.warnings ?? []), ...moveWarnings];
      if (a.candidate) log(`published ${artifact.name} version ${artifact.version} to ${store.where} as a candidate (history record ${res.record.seq}); current stays ${res.pointer.version}. Next: npm run models -- canary ${artifact.version} --share 0.1 --reason "..."`);
      else log(`published ${artifact.name} version ${res.pointer.version} to ${store.where}${res.passedOver || res.previous ? ` (${wasText(res)})` : " (first version)"}`);
      summary.published = {
        where: store.kind === "local" ? "local" : `s3://${target.bucket}`, pointer: res.pointer, previous: res.previous ?? null, historySeq: res.record.seq, recorded: res.recorded,
        candidate: a.candidate === true,
        signedBy: signing?.signer?.keyid ?? null,
      };
    }
    summary.status = publish === "none" ? "trained" : "published";
    summary.model = { name: artifact.name, version: artifact.version };
    summary.task = result.task;
    if (result.regression) {
      const { test: t, baseline: b, interval } = result.regression;
      summary.metrics = { r2: t.r2, rmse: t.rmse, mae: t.mae, medianAe: t.medianAe, bias: t.bias };
      summary.baseline = { r2: b.r2, rmse: b.rmse, mae: b.mae, medianAe: b.medianAe };
      summary.interval = interval;
      if (result.regressionFairness) summary.fairness = result.regressionFairness;
    } else {
      const t = result.test!;
      summary.metrics = { auc: t.auc, gini: t.gini, ks: t.ks, brier: t.brier, logLoss: t.logLoss, accuracy: t.accuracy };
      summary.baseRate = { brier: result.baseline!.brier, logLoss: result.baseline!.logLoss, accuracy: result.baseline!.accuracy };
      if (result.fairness) summary.fairness = result.fairness;
      if (result.tuning?.fairness) summary.tuning = { fairness: result.tuning.fairness };
    }
    if (result.tuning?.kept) summary.tuning = { ...(summary.tuning as object | undefined), kept: result.tuning.kept, confirmation: result.tuning.card.confirmation };
    if (result.report) summary.report = { file: REPORT_FILE, ...result.report };
    summary.params = result.train;
    if (result.fit) summary.fit = result.fit;
    delete summary.spec;
  }
  if (a.json) process.stdout.write(`${jsonText(summary)}\n`);
  return 0;
}

function readTunedOrUsage(path: string) {
  try {
    return readTuned(path);
  } catch (e) {
    throw e instanceof TunedError ? new UsageError(e.message) : e;
  }
}

/** `main` with errors mapped to messages and exit codes (1 failure, 2 usage). */
export function run(argv: string[]): Promise<number> {
  return runCommand(argv, (a) => main(a).catch((e: unknown) => { throw withCode(e); }), { afterFailure: "nothing was published; the current model is unchanged" });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await run(process.argv.slice(2));
}
