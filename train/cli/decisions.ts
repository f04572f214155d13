/**
 * `npm run decisions -- <command>`: the decision records the edge captured,
 * read back from the local R2 store (default) or R2/S3 (`--store s3`):
 * `show` one request's answers, `replay` them through the recorded version
 * (to the bit), `export` them as one CSV row per instance, `verify` every
 * object's signature, `gc` old days.
 * Every reader de-duplicates by record id (delivery is at-least-once).
 *
 * Exit 0: done (replay: every answer equal; verify: every object valid) · 1:
 * failed, not found, a replayed answer differs or an object does not verify
 * (listed) · 2: usage error. `--json` prints one
 * object on stdout on success and on failure.
 */
import { pathToFileURL } from "node:url";
import { decisionsPrefix, type Role } from "../../shared/decisions/record.ts";
import { parseCutoff, parseRange, TimeFlagError, TIME_FORMS, type TimeRange } from "../decisions/dates.ts";
import { exportColumns, exportDecisions } from "../decisions/export.ts";
import { planGc, runGc } from "../decisions/gc.ts";
import { InventoryError } from "../decisions/inventory.ts";
import { verifyDecisions } from "../decisions/verify.ts";
import { DecisionsError, readDecisions, ReadStats, type DecisionsStore } from "../decisions/read.ts";
import type { Location } from "../store/versions.ts";
import { parseS3Url } from "../store/storage.ts";
import { CommandError, num, oneOf, parseFlags, rules, runCommand, UsageError } from "./args.ts";
import { checkOutFile } from "./out-paths.ts";
import { decisionsTrust } from "./signing.ts";
import { withCode } from "./codes.ts";
import { formatRecords, replayLines, replayTable, searched } from "./decisions-format.ts";
import { jsonText, log, print } from "./output.ts";
import { storeChoice } from "./store-flags.ts";
import { replayFailure, verifyFailure } from "./decisions-failures.ts";

export const HELP = `Usage: npm run decisions -- <command> [options]

Commands
  show <request-id>        the recorded answers of one request (every instance and role)
                           [--since, default 30d: the days searched]
  replay <request-id> | --since <time> [--until <time>]
                           re-scores recorded features with the recorded version (loaded and verified
                           from the store) through the edge's code; exit 1 if any answer differs
  export --since <time> [--until <time>] --out <file.csv|s3://bucket/key> [--role R] [--reasons N]
                           one de-duplicated CSV row per instance: time, ids, version, role, pass-through,
                           every feature, the answer, the top N reasons (default 4), warnings
  verify --since <time> [--until <time>] [--inventory <dir>]
                           checks every object of those days against DECISIONS_SIGNING_KEYS (signed by a
                           trusted key, unchanged, well-formed) and lists each one that is not (exit 1);
                           --inventory remembers each valid object's sha256 in <dir> (keep it out of the
                           bucket writers' reach) and names any object verified before that is gone or changed
  gc [--older-than <duration>] [--yes]
                           deletes whole day partitions older than the duration (default 25mo, US Reg B);
                           a dry run unless --yes; never touches models; an object whose delete is
                           refused (a bucket lock) is kept and named, the rest still go (exit 1)

Options
  --since <time>, --until <time>
                           ${TIME_FORMS};
                           --until is exclusive (default: now)
  --role champion|canary|shadow   only that role's records (export, replay)
  --model <name>           the model (default: MODEL_NAME in wrangler.toml)
  --store local|s3         local: the R2 store npm run dev serves (default); s3: R2/S3 from the environment
                           (R2_ACCOUNT_ID or S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
  --bucket <name>          with --store s3: overrides S3_BUCKET (the models' bucket)
  --decisions-bucket <name>  with --store s3: the bucket the Worker's DECISIONS binding writes to, when it is
                           not the models' bucket (default: DECISIONS_BUCKET, else the models' bucket)
  --json                   one JSON object on stdout, on success and on failure

Environment
  DECISIONS_SIGNING_KEYS   the public key(s) of the Worker's DECISIONS_SIGNING_KEY (keygen's signing.pub
                           entry): set, only objects signed by one of them are read; any other stops the
                           command, named (exit 1); verify needs it

Exit codes: 0 done (replay: every answer equal; verify: every object valid) · 1 failed, not found, replayed
            answers differ, an object does not verify, or gc kept objects it was refused · 2 usage error
`;

const COMMANDS = ["show", "replay", "export", "verify", "gc"] as const;
type Command = (typeof COMMANDS)[number];
/** show searches this far back unless --since says otherwise. */
export const SHOW_WINDOW = "30d";
/** Refused gc deletes named on stderr; `--json` lists every one. */
const SHOWN_REFUSALS = 20;

const OPTIONS = {
  since: { type: "string" }, until: { type: "string" }, out: { type: "string" }, role: { type: "string" }, reasons: { type: "string" },
  "older-than": { type: "string" }, yes: { type: "boolean" }, "decisions-bucket": { type: "string" }, inventory: { type: "string" },
  model: { type: "string" }, store: { type: "string" }, bucket: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" },
} as const;

/**
 * Flags only some commands read. Given to another they are refused (exit 2), not ignored: `show --role shadow`
 * or `replay --out x.csv` would otherwise look like they did what was asked.
 */
const ONLY: Partial<Record<keyof typeof OPTIONS, readonly Command[]>> = {
  out: ["export"], reasons: ["export"], role: ["export", "replay"], "older-than": ["gc"], yes: ["gc"], inventory: ["verify"],
};

function range(a: { since?: string | undefined; until?: string | undefined }, fallback: string): TimeRange {
  try {
    return parseRange(a, fallback);
  } catch (e) {
    throw e instanceof TimeFlagError ? new UsageError(e.message) : e;
  }
}

/** The decisions bucket when it is not the models' (s3 only: the local store holds both). */
export function decisionsBucketOf(a: { store?: string | undefined; "decisions-bucket"?: string | undefined }): string | undefined {
  const named = a["decisions-bucket"] ?? (a.store === "s3" ? process.env.DECISIONS_BUCKET || undefined : undefined);
  if (named === undefined) return undefined;
  if (a.store !== "s3") throw new UsageError("--decisions-bucket goes with --store s3 (the local store holds models and decisions in one bucket)");
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(named)) throw new UsageError(`--decisions-bucket: "${named}" is not a bucket name (3-63 lowercase letters, digits, "." and "-")`);
  return named;
}

/**
 * The decisions store a command reads: the models' store (its client, bucket and name in messages), or with
 * --decisions-bucket that bucket through the same client, named s3://<bucket>.
 */
export function decisionsStoreOf(models: Pick<DecisionsStore, "client" | "bucket" | "where">, decisionsBucket: string | undefined, trust: Pick<DecisionsStore, "trusted">): DecisionsStore & { where: string } {
  const bucket = decisionsBucket ?? models.bucket;
  return { client: models.client, bucket, where: (decisionsBucket ? undefined : models.where) ?? `s3://${bucket}`, ...trust };
}

export async function main(argv: string[]): Promise<number> {
  const { values: a, positionals } = parseFlags(argv, OPTIONS, true);
  if (a.help) { process.stdout.write(HELP); return 0; }
  const [name, ...args] = positionals;
  if (!name) throw new UsageError(`missing command: one of ${COMMANDS.join(", ")}`);
  if (!COMMANDS.includes(name as Command)) throw new UsageError(`unknown command "${name}": one of ${COMMANDS.join(", ")}`);
  const command = name as Command;
  for (const [flag, commands] of Object.entries(ONLY)) {
    if (a[flag as keyof typeof ONLY] !== undefined && !commands.includes(command)) throw new UsageError(`--${flag} goes with ${commands.join(" or ")}, not ${command}`);
  }
  const role = a.role === undefined ? undefined : oneOf<Role>("role", a.role, ["champion", "canary", "shadow"], "champion");
  const reasons = num("reasons", a.reasons, 4, rules.nonNegativeInt);
  // Usage first: nothing opens before every flag is known good.
  let request: string | undefined;
  let window: TimeRange | undefined;
  let cutoff: Date | undefined;
  if (command === "show") {
    if (args.length !== 1) throw new UsageError("show takes one argument: npm run decisions -- show <request-id>");
    request = args[0];
    window = range(a, SHOW_WINDOW);
  } else if (command === "replay") {
    if (args.length > 1) throw new UsageError("replay takes one request id, or --since <time>: npm run decisions -- replay <request-id> | --since 7d");
    request = args[0];
    if (!request && a.since === undefined) throw new UsageError("replay needs a request id or --since <time> (e.g. --since 7d)");
    window = range(a, SHOW_WINDOW);
  } else if (command === "export") {
    if (args.length) throw new UsageError(`export takes no argument ("${args[0]}"): npm run decisions -- export --since <time> --out <file>`);
    if (a.since === undefined) throw new UsageError(`export needs --since <time>: ${TIME_FORMS}`);
    if (!a.out) throw new UsageError("export needs --out <file.csv|s3://bucket/key>");
    try { parseS3Url(a.out); } catch (e) { throw new UsageError(`--out: ${(e as Error).message}`); }
    if (!parseS3Url(a.out)) checkOutFile("out", a.out, { example: "decisions.csv" });
    window = range(a, SHOW_WINDOW);
  } else if (command === "verify") {
    if (args.length) throw new UsageError(`verify takes no argument ("${args[0]}"): npm run decisions -- verify --since <time>`);
    if (a.since === undefined) throw new UsageError(`verify needs --since <time>: ${TIME_FORMS}`);
    window = range(a, SHOW_WINDOW);
  } else {
    if (args.length) throw new UsageError(`gc takes no argument ("${args[0]}"): npm run decisions -- gc --older-than 25mo`);
    if (a.since !== undefined || a.until !== undefined) throw new UsageError("gc takes --older-than <duration>, not --since/--until");
    try { cutoff = parseCutoff("older-than", a["older-than"] ?? "25mo"); } catch (e) { throw new UsageError((e as Error).message); }
  }
  if (a.inventory === "") throw new UsageError("--inventory needs a directory (kept where the bucket's writers cannot reach)");
  const decisionsBucket = decisionsBucketOf(a);
  const choice = storeChoice(a);
  const model = choice.name;
  const signing = await choice.signing();
  const trust = await decisionsTrust(process.env);
  if (command === "verify" && !trust.trusted) {
    throw new UsageError("verify needs DECISIONS_SIGNING_KEYS: the signing.pub entry of the key the Worker signs records with (DECISIONS_SIGNING_KEY; npm run dev's is .edgescore/keys/decisions/signing.pub); see the README's Signed records");
  }
  const store = await choice.open();
  const json = a.json === true;
  const location: Location = { client: store.client, bucket: store.target.bucket, name: model, signing, where: store.where };
  const s = decisionsStoreOf(location, decisionsBucket, trust);
  const emit = (code: number, body: Record<string, unknown>) => {
    if (json) process.stdout.write(`${jsonText({ ok: code === 0, command, model, ...body })}\n`);
    return code;
  };
  try {
    const stats = new ReadStats();
    const where = `${s.where} ${decisionsPrefix(model)}`;
    if (command === "gc") {
      const plan = await planGc(s, model, cutoff!);
      const objects = plan.delete.reduce((n, d) => n + d.objects, 0);
      log(`${where}: cutoff ${plan.cutoff.slice(0, 10)} (--older-than ${a["older-than"] ?? "25mo"}); ${plan.delete.length} day partition${plan.delete.length === 1 ? "" : "s"} older (${objects} objects), ${plan.keptDays} kept`);
      if (!json) for (const d of plan.delete) print(`${a.yes ? "deleting" : "would delete"} ${decisionsPrefix(model, d.day)}  ${d.objects} objects, ${d.bytes} bytes\n`);
      if (!a.yes) {
        if (plan.delete.length) log("dry run: nothing deleted; add --yes to delete these days");
        return emit(0, { dryRun: true, plan });
      }
      const done = await runGc(s, plan, log);
      log(`deleted ${done.objects} objects in ${plan.delete.length} day partitions; models untouched`);
      if (done.refused.length === 0) return emit(0, { dryRun: false, plan, deleted: done.objects, refused: [] });
      for (const r of done.refused.slice(0, SHOWN_REFUSALS)) log(`kept: ${r.error}`);
      if (done.refused.length > SHOWN_REFUSALS) log(`kept: ${done.refused.length - SHOWN_REFUSALS} more (--json lists them all)`);
      log(`${done.refused.length} expired object${done.refused.length === 1 ? " was" : "s were"} refused and kept (a bucket lock holds an object for its retention from when it was written); everything else expired is gone. Run gc again once they are released`);
      const error = { code: "delete_refused", message: `${done.refused.length} expired object${done.refused.length === 1 ? " was" : "s were"} refused and kept (first: ${done.refused[0]!.key}); run gc again once the bucket lock releases them` };
      return emit(1, { error, dryRun: false, plan, deleted: done.objects, refused: done.refused });
    }
    const since = window!.since;
    const until = window!.until;
    if (command === "verify") {
      const result = await verifyDecisions(s, trust.trusted!, { model, since, until }, {
        ...(a.inventory ? { inventory: a.inventory } : {}),
        onInvalid: (x) => { if (!json) print(`INVALID  ${x.key}  ${x.problem}\n`); },
      });
      const [first, last] = [result.days[0], result.days.at(-1)];
      const gone = result.inventory?.gone ?? 0;
      const bad = result.invalid.length - gone;
      log(`${where}: ${result.objects} object${result.objects === 1 ? "" : "s"} in ${result.days.length} day partition${result.days.length === 1 ? "" : "s"}${first ? ` (${first} to ${last})` : ""}: ${result.valid} signed by a trusted key and well-formed (${result.records} records), ${bad} not`);
      if (result.inventory) log(`inventory ${result.inventory.dir}: ${result.inventory.unchanged} unchanged since an earlier run, ${result.inventory.added} added, ${gone} gone`);
      if (bad) log(`${bad} object${bad === 1 ? " does" : "s do"} not verify: none of ${bad === 1 ? "its" : "their"} records can be relied on (readers refuse them); find who wrote them (the bucket's audit log)`);
      if (gone) log(`${gone} object${gone === 1 ? "" : "s"} verified before ${gone === 1 ? "is" : "are"} gone from the bucket: records were deleted or moved (a bucket lock prevents it; the bucket's audit log says who)`);
      const failure = verifyFailure(result);
      return emit(failure ? 1 : 0, { ...(failure ? { error: failure } : {}), since: since.toISOString(), until: until.toISOString(), ...result });
    }
    const records = readDecisions(s, { model, since, until, ...(role ? { roles: [role] } : {}) }, stats);
    if (command === "show") {
      const found = [];
      for await (const r of records) if (r.requestId === request || r.id === request) found.push(r);
      if (found.length === 0) {
        const msg = `no decision record for request "${request}" in ${where}: searched ${searched(stats, since, until)}${a.since === undefined ? ` (the last ${SHOW_WINDOW}; --since <time> searches further back)` : ""}`;
        throw new CommandError(msg, "not_found");
      }
      // Key order is not answer order (a redelivered batch can sort first): by time, instance, role.
      found.sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : x.index - y.index || x.role.localeCompare(y.role)));
      if (!json) print(formatRecords(found));
      return emit(0, { request, records: found });
    }
    if (command === "replay") {
      const filtered = request === undefined ? records : (async function* () { for await (const r of records) if (r.requestId === request || r.id === request) yield r; })();
      // tfjs and the scorer load only for replay: export and show stay small (flat memory for 1M records).
      const { replayRecords } = await import("../decisions/replay.ts");
      const result = await replayRecords(filtered, location, { log });
      if (result.records === 0) {
        throw new CommandError(`no decision record${request ? ` for request "${request}"` : ""} in ${where}: searched ${searched(stats, since, until)}${request && a.since === undefined ? ` (the last ${SHOW_WINDOW}; --since <time> searches further back)` : ""}`, "not_found");
      }
      for (const line of replayLines(result, stats)) log(line);
      if (!json && result.differences.length) print(replayTable(result));
      // Records whose version is gone are not verified: a replay of a range is complete only if every record was re-scored.
      const failure = replayFailure(result);
      return emit(failure ? 1 : 0, { ...(failure ? { error: failure } : {}), since: since.toISOString(), until: until.toISOString(), ...(request ? { request } : {}), read: { ...stats }, ...result });
    }
    const cols = await exportColumns(location);
    // An answer has at most one reason per feature: more columns would always be empty.
    const shown = Math.min(reasons, cols.features.length);
    if (shown < reasons) log(`--reasons ${reasons}: the model's versions have ${cols.features.length} features, so at most ${shown} reasons per answer; writing ${shown}`);
    const started = performance.now();
    const result = await exportDecisions(records, cols, { out: a.out!, reasons: shown, ...(choice.dataTarget ? { dataTarget: choice.dataTarget } : {}) });
    const seconds = (performance.now() - started) / 1000;
    log(`exported ${result.rows} records of ${model} from ${since.toISOString()} to ${until.toISOString()} (until exclusive) to ${result.out} in ${seconds.toFixed(1)} s`);
    log(`read ${stats.objects} objects in ${stats.days.length} day partitions, ${stats.lines} records, ${stats.duplicates} duplicates dropped (at-least-once delivery)`);
    if (result.withoutFeatures) log(`${result.withoutFeatures} rows have no feature values: captured with CAPTURE="decisions"`);
    const unlisted = Object.entries(result.unlisted);
    if (unlisted.length) log(`warning: features of versions no longer stored are not columns: ${unlisted.map(([f, n]) => `${f} (${n} rows)`).join(", ")}`);
    return emit(0, { since: since.toISOString(), until: until.toISOString(), read: { ...stats }, ...result, seconds });
  } catch (e) {
    if (e instanceof DecisionsError) throw new CommandError(e.message, e.code);
    if (e instanceof InventoryError) throw new CommandError(e.message, "inventory_damaged");
    throw withCode(e);
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
