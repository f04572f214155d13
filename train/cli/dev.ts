/**
 * `npm run dev`: `wrangler dev` with authentication and rate limits off (local
 * development) and signing on: the Worker trusts the local key pair
 * (.edgescore/keys/, created on first use) plus EDGESCORE_SIGNING_KEY's and
 * MODEL_SIGNING_KEYS's keys, so it serves only what a local publish signed.
 * Capture is "full": wrangler runs the decisions queue and its consumer
 * locally (Miniflare), and the records land in the local store
 * (.wrangler/state/v3) that `npm run decisions` and `monitor --decisions` read.
 * Arguments after `--` go to wrangler (`npm run dev -- --port 8788`).
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { trustedKeyEntry } from "../../shared/signing.ts";
import { runCommand } from "./args.ts";
import { log } from "./output.ts";
import { signingSetup } from "./signing.ts";

/** The MODEL_SIGNING_KEYS value for the local Worker. */
export async function localTrust(env: NodeJS.ProcessEnv): Promise<{ entries: string; source: string }> {
  const s = await signingSetup(env, { local: true, create: true });
  const entries = await Promise.all([...s.trusted.values()].map((k) => trustedKeyEntry(k.raw)));
  return { entries: entries.join(","), source: s.source };
}

async function main(argv: string[]): Promise<number> {
  const trust = await localTrust(process.env);
  log(`signing on: the Worker trusts ${trust.entries.split(",").length} key${trust.entries.includes(",") ? "s" : ""} (${trust.source}); see the README's Signing section`);
  // wrangler's package exports do not include its bin: find it beside its package.json.
  const wrangler = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
  const args = [
    wrangler, "dev",
    "--var", "AUTH_MODE:off",
    "--var", `RATE_LIMIT:${process.env.RATE_LIMIT || "off"}`,
    "--var", `MODEL_SIGNING_KEYS:${trust.entries}`,
    "--var", `CAPTURE:${process.env.CAPTURE || "full"}`,
    ...argv,
  ];
  const child = spawn(process.execPath, args, { stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await runCommand(process.argv.slice(2), main);
}
