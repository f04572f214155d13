/**
 * `npm run models -- <command>`: list, inspect, promote, roll back and audit
 * the published versions of a model, in the local R2 store (default) or R2/S3
 * (`--store s3`, the environment `npm run train -- --publish s3` uses).
 *
 * Each subcommand is one module in ./models/ and one entry in COMMANDS. Moves
 * are signed with EDGESCORE_SIGNING_KEY (or the local key on the local store);
 * only moves and `history --repair` write to the history.
 *
 * Exit 0: done · 1: failed, nothing changed (the message says why; `history
 * --verify` also when the chain is broken) · 2: usage error. `--json` prints
 * one object on stdout on success and on failure.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { pathToFileURL } from "node:url";
import { MODEL_NAME_PATTERN, MODEL_NAME_RULE } from "../../shared/artifact.ts";
import { RegistryError } from "../registry/errors.ts";
import { missingRecordWarning, readPointerState } from "../registry/history.ts";
import { signingSetup } from "./signing.ts";
import { refuseLocalBucket } from "./store-flags.ts";
import { openStore, type StoreKind } from "../store/open.ts";
import { describeS3Error, objectName, s3TargetFromEnv, type S3Target } from "../store/storage.ts";
import { listVersionIds, StoreError, type Location } from "../store/versions.ts";
import { readWranglerFacts } from "../store/wrangler-config.ts";
import { withCode } from "./codes.ts";
import { oneOf, parseFlags, runCommand, suggestFlag, UsageError } from "./args.ts";
import { jsonText, log, print } from "./output.ts";
import type { FlagOptions, ModelsCommand, ModelsContext } from "./models/command.ts";
import { diffCommand } from "./models/diff.ts";
import { gcCommand } from "./models/gc.ts";
import { historyCommand } from "./models/history.ts";
import { listCommand } from "./models/list.ts";
import { promoteCommand } from "./models/promote.ts";
import { reportCommand } from "./models/report.ts";
import { rollbackCommand } from "./models/rollback.ts";
import { showCommand } from "./models/show.ts";
import { keygenCommand } from "./models/keygen.ts";
import { signCommand } from "./models/sign.ts";
import { canaryCommand } from "./models/canary.ts";
import { shadowCommand } from "./models/shadow.ts";
import { compareCommand } from "./models/compare.ts";

/** The subcommands, in help order. A new one is one more entry. */
export const COMMANDS: Record<string, ModelsCommand> = {
  list: listCommand,
  show: showCommand,
  diff: diffCommand,
  report: reportCommand,
  promote: promoteCommand,
  rollback: rollbackCommand,
  canary: canaryCommand,
  shadow: shadowCommand,
  compare: compareCommand,
  history: historyCommand,
  gc: gcCommand,
  sign: signCommand,
  keygen: keygenCommand,
};

const COMMON: FlagOptions = {
  model: { type: "string" },
  store: { type: "string" },
  bucket: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const COMMON_HELP = `Options (every command)
  --model <name>     the model (default: MODEL_NAME in wrangler.toml)
  --store local|s3   local: the R2 store npm run dev serves (default); s3: R2/S3 from the environment
                     (R2_ACCOUNT_ID or S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
  --bucket <name>    with --store s3: overrides S3_BUCKET
  --json             one JSON object on stdout, on success and on failure

Exit codes: 0 done · 1 failed, nothing changed (the message says why) · 2 usage error
The history's actor is EDGESCORE_ACTOR, else git user.email, else the OS user.
`;

function help(): string {
  const lines = Object.entries(COMMANDS).map(([n, c]) => {
    const call = `${n} ${c.usage}`.trim();
    return call.length <= 24 ? `  ${call.padEnd(24)}  ${c.summary}` : `  ${call}
  ${"".padEnd(24)}  ${c.summary}`;
  });
  return `Usage: npm run models -- <command> [options]\n\nCommands\n${lines.join("\n")}\n\n${COMMON_HELP}`;
}

function commandHelp(name: string, c: ModelsCommand): string {
  return `Usage: npm run models -- ${name} ${c.usage}\n\n${c.summary}\n${c.help ? `\n${c.help}\n` : ""}\n${COMMON_HELP}`;
}

/** Top-level names in the bucket, for "no model named x; the store has y, z". */
async function modelNames(l: Location): Promise<string[]> {
  try {
    const out = await l.client.send(new ListObjectsV2Command({ Bucket: l.bucket, Delimiter: "/" }));
    return (out.CommonPrefixes ?? []).map((p) => (p.Prefix ?? "").replace(/\/$/, "")).filter((n) => MODEL_NAME_PATTERN.test(n));
  } catch (e) {
    throw new RegistryError(describeS3Error(e, `listing ${objectName(l, "")}`), "storage");
  }
}

/** Where the command name is: the first argument that is neither a flag nor a string flag's value. */
function commandIndex(argv: string[]): number {
  const takesValue = new Set(Object.values(COMMANDS).flatMap((c) => Object.entries({ ...COMMON, ...c.options }))
    .filter(([, o]) => o.type === "string").map(([n]) => `--${n}`));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith("-")) return i;
    if (takesValue.has(a)) i++;
  }
  return -1;
}

export async function main(argv: string[]): Promise<number> {
  const at = commandIndex(argv);
  const name = at >= 0 ? (argv[at] as string) : undefined;
  if (!name) {
    if (argv.includes("--help") || argv.includes("-h")) { process.stdout.write(help()); return 0; }
    throw new UsageError(`missing command: one of ${Object.keys(COMMANDS).join(", ")}`);
  }
  const command = COMMANDS[name];
  if (!command) {
    const near = suggestFlag(name, Object.fromEntries(Object.keys(COMMANDS).map((n) => [n, { type: "boolean" as const }])));
    throw new UsageError(`unknown command "${name}"${near ? `; did you mean "${near}"?` : `: one of ${Object.keys(COMMANDS).join(", ")}`}`);
  }
  const rest = argv.filter((_, i) => i !== at);
  const { values, positionals } = parseFlags(rest, { ...COMMON, ...command.options }, true);
  if (values.help) { process.stdout.write(commandHelp(name, command)); return 0; }
  if (positionals.length < command.args.min || positionals.length > command.args.max) {
    throw new UsageError(`${name} takes ${command.args.min === command.args.max ? command.args.min : `${command.args.min} to ${command.args.max}`} argument${command.args.max === 1 ? "" : "s"}: npm run models -- ${name} ${command.usage}`);
  }
  const json = values.json === true;
  if (command.store === false) return runStoreless(name, command, positionals, values, json, log);
  const kind = oneOf<StoreKind>("store", values.store as string | undefined, ["local", "s3"], "local");
  let s3: S3Target | undefined;
  if (kind === "s3") {
    const t = s3TargetFromEnv(process.env, values.bucket as string | undefined);
    if ("missing" in t) throw new UsageError(`--store s3 needs ${t.missing.join(", ")} in the environment`);
    s3 = t;
  }
  refuseLocalBucket(kind, values.bucket as string | undefined);
  const facts = kind === "local" || !values.model ? readWranglerFacts() : undefined;
  const model = (values.model as string | undefined) ?? facts?.modelName ?? "credit-risk";
  if (!MODEL_NAME_PATTERN.test(model)) throw new UsageError(`--model: "${model}" is not a model name: ${MODEL_NAME_RULE}`);

  const signing = await signingSetup(process.env, { local: kind === "local", create: false });
  const store = await openStore(kind, s3, facts?.bucketName);
  try {
    const location: Location = { client: store.client, bucket: store.target.bucket, name: model, signing, where: store.where };
    const state = await readPointerState(location);
    if (state.warning) log(`warning: ${state.warning}`);
    if (command.readOnly) {
      const missing = await missingRecordWarning(location, state);
      if (missing) log(`warning: ${missing}`);
    }
    if (!state.pointer && !state.broken && (await listVersionIds(location)).length === 0) {
      const others = (await modelNames(location)).filter((n) => n !== model);
      throw new StoreError(others.length
        ? `no model named "${model}" in ${store.where}; it has: ${others.join(", ")} (--model <name>)`
        : `${store.where} holds no models yet; publish one with npm run train`, "model_not_found");
    }
    const ctx: ModelsContext = {
      args: positionals, flags: values, location, store, state, json, log,
      print: (text) => { if (!json) print(text); },
    };
    const outcome = await command.run(ctx);
    const exitCode = outcome.exitCode ?? 0;
    if (json) process.stdout.write(`${jsonText({ ok: exitCode === 0, command: name, model, ...outcome.json })}\n`);
    return exitCode;
  } catch (e) {
    throw withCode(e);
  } finally {
    await store.close();
  }
}

async function runStoreless(name: string, command: ModelsCommand, args: string[], flags: ModelsContext["flags"], json: boolean, log: (line: string) => void): Promise<number> {
  const ctx = {
    args, flags, json, log, state: {},
    print: (text: string) => { if (!json) print(text); },
  } as unknown as ModelsContext; // no store: `location` and `store` are never read (command.store === false)
  const outcome = await command.run(ctx);
  const exitCode = outcome.exitCode ?? 0;
  if (json) process.stdout.write(`${jsonText({ ok: exitCode === 0, command: name, ...outcome.json })}\n`);
  return exitCode;
}

export function run(argv: string[]): Promise<number> {
  return runCommand(argv, main);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await run(process.argv.slice(2));
}
