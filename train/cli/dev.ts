/**
 * `npm run dev`: `wrangler dev` with authentication and rate limits off (local
 * development) and signing on: the Worker trusts the local key pair
 * (.edgescore/keys/, created on first use) plus EDGESCORE_SIGNING_KEY's and
 * MODEL_SIGNING_KEYS's keys, so it serves only what a local publish signed.
 * Capture is "full": wrangler runs the decisions queue and its consumer
 * locally (Miniflare), and the records land in the local store
 * (.wrangler/state/v3) that `npm run decisions` and `monitor --decisions` read,
 * signed by a local decisions pair (.edgescore/keys/decisions/, a pair of its
 * own) as a deployed Worker signs them with DECISIONS_SIGNING_KEY.
 * Arguments after `--` go to wrangler (`npm run dev -- --port 8788`).
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { trustedKeyEntry } from "../../shared/signing.ts";
import { LOCAL_KEY_DIR, localDecisionsKey, localKeys, PRIVATE_KEY_FILE } from "../registry/keys.ts";
import { runCommand } from "./args.ts";
import { log } from "./output.ts";
import { signingSetup } from "./signing.ts";

/**
 * The MODEL_SIGNING_KEYS value for the local Worker: MODEL_SIGNING_KEYS's keys, the signing key's
 * (EDGESCORE_SIGNING_KEY's, else the local key, made on first use) and the local key whenever it exists:
 * what `npm start` published locally is signed with it, and setting EDGESCORE_SIGNING_KEY later must not
 * make the local Worker refuse it.
 */
export async function localTrust(env: NodeJS.ProcessEnv, dir = LOCAL_KEY_DIR): Promise<{ entries: string; source: string }> {
  const s = await signingSetup(env, { local: true, create: true });
  const entries = await Promise.all([...s.trusted.values()].map((k) => trustedKeyEntry(k.raw)));
  const local = await localKeys(false, dir);
  if (!local || s.trusted.has(local.signer.keyid)) return { entries: entries.join(","), source: s.source };
  return { entries: [...entries, local.entry].join(","), source: `${s.source}, and the local key ${join(dir, PRIVATE_KEY_FILE)} (key ${local.signer.keyid})` };
}

/**
 * The settings npm run dev gives the Worker (`--var`, which wrangler puts above every env file): each
 * default unless the user chose otherwise. A value in the shell's environment is this run's choice and
 * goes as given; else a value the user's env files set wins, as the README promises, and no `--var`
 * hides it; else the default. `theirs` names what the files set.
 */
export function devVars(defaults: Record<string, string>, env: NodeJS.ProcessEnv, files: readonly string[] | undefined, read: ReadEnvFile = readEnvFile): { args: string[]; theirs: string[] } {
  const args: string[] = [];
  const theirs: string[] = [];
  for (const [name, value] of Object.entries(defaults)) {
    if (!env[name]?.trim() && userFileSetting(files ?? [], name, read)) theirs.push(name);
    else args.push("--var", `${name}:${value}`);
  }
  return { args, theirs };
}

type ReadEnvFile = (path: string) => string;
const readEnvFile: ReadEnvFile = (f) => (existsSync(f) ? readFileSync(f, "utf8") : "");

/** The first of the user's own env files (not npm run dev's secrets file) that sets `name`, if any. */
function userFileSetting(files: readonly string[], name: string, read: ReadEnvFile = readEnvFile): string | undefined {
  const line = new RegExp(`^\\s*(export\\s+)?${name}\\s*=`, "m");
  return files.find((f) => f !== DEV_SECRETS_FILE && line.test(read(f)));
}

/** Where npm run dev leaves the Worker's local secrets for wrangler: git-ignored, 0600, rewritten at each start. */
export const DEV_SECRETS_FILE = ".edgescore/dev-secrets.env";

/**
 * The env files npm run dev hands wrangler, one `--env-file` each. Given any,
 * wrangler loads only those (no .dev.vars or .env of its own accord): the
 * local secrets first, then what it would have loaded itself (.dev.vars, else
 * .env and .env.local), so a value the user set there wins. Undefined when
 * the arguments name env files or an environment themselves: theirs decide.
 */
export function envFiles(argv: readonly string[], exists: (path: string) => boolean = existsSync): string[] | undefined {
  if (argv.some((x) => /^(--env-file|--env|-e)(=|$)/.test(x))) return undefined;
  const own = exists(".dev.vars") ? [".dev.vars"] : [".env", ".env.local"].filter(exists);
  return [DEV_SECRETS_FILE, ...own];
}

/** The dotenv text that hands the Worker its decisions key (a PEM's line breaks kept inside double quotes). */
export const devSecrets = (pem: string) => `DECISIONS_SIGNING_KEY="${pem.trim()}"\n`;

async function main(argv: string[]): Promise<number> {
  const trust = await localTrust(process.env);
  log(`signing on: the Worker trusts ${trust.entries.split(",").length} key${trust.entries.includes(",") ? "s" : ""} (${trust.source}); see the README's Signing section`);
  const files = envFiles(argv);
  if (files) {
    const key = await localDecisionsKey();
    mkdirSync(".edgescore", { recursive: true, mode: 0o700 });
    writeFileSync(DEV_SECRETS_FILE, devSecrets(key.pem), { mode: 0o600 });
    chmodSync(DEV_SECRETS_FILE, 0o600);
    // A DECISIONS_SIGNING_KEY the user's env file sets wins over the local key (it is read after the secrets file).
    const theirs = userFileSetting(files, "DECISIONS_SIGNING_KEY");
    log(theirs
      ? `decision records: signed with the DECISIONS_SIGNING_KEY your ${theirs} sets`
      : `decision records: signed with ${key.path} (key ${key.signer.keyid}); check them with DECISIONS_SIGNING_KEYS="$(cat ${key.publicKeyPath})" npm run decisions -- verify --since 1h`);
  } else {
    log("decision records: --env-file or --env given, so DECISIONS_SIGNING_KEY is whatever those files set");
  }
  const env = process.env;
  const vars = devVars({
    AUTH_MODE: env.AUTH_MODE?.trim() || "off", RATE_LIMIT: env.RATE_LIMIT?.trim() || "off", MODEL_SIGNING_KEYS: trust.entries, CAPTURE: env.CAPTURE?.trim() || "full",
  }, env, files);
  if (vars.theirs.length) log(`from your env file: ${vars.theirs.join(", ")} (npm run dev's own values for them are not passed)`);
  // wrangler's package exports do not include its bin: find it beside its package.json.
  const wrangler = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
  const args = [wrangler, "dev", ...vars.args, ...(files ?? []).flatMap((f) => ["--env-file", f]), ...argv];
  const child = spawn(process.execPath, args, { stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await runCommand(process.argv.slice(2), main);
}
