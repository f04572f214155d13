/**
 * Worker bundles exactly as `wrangler deploy` would upload them
 * (`wrangler deploy --dry-run --outdir`), for the project's wrangler.toml or a
 * generated config (the model-time bench worker).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { NODE, runChild, tail } from "./proc.ts";

const WRANGLER = "node_modules/wrangler/bin/wrangler.js";

export interface Build {
  dir: string;
  /** The bundled JavaScript entry module (named after the entry file: index.js for edge/index.ts). */
  entry: string;
  /** Files wrangler uploads (modules), without source maps and its README. */
  modules: string[];
  /** Wrangler's own "Total Upload: X KiB / gzip: Y KiB" line, as a cross-check. */
  wranglerUpload?: { kib: number; gzipKib: number };
}

export async function buildWorker(outdir: string, configPath?: string): Promise<Build> {
  const args = [WRANGLER, "deploy", "--dry-run", "--outdir", outdir, ...(configPath ? ["--config", configPath] : [])];
  const r = await runChild(NODE, args, { env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "1" }, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`wrangler ${args.slice(1).join(" ")} exited ${r.code}\n${tail(r.stdout + r.stderr)}`);
  const m = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(r.stdout + r.stderr);
  const modules = readdirSync(outdir).filter((f) => !f.endsWith(".map") && f !== "README.md").sort();
  const entry = modules.filter((f) => f.endsWith(".js"));
  if (entry.length !== 1) throw new Error(`expected one .js module in ${outdir}, found ${entry.join(", ") || "none"}`);
  return { dir: outdir, entry: entry[0] as string, modules, ...(m ? { wranglerUpload: { kib: Number(m[1]), gzipKib: Number(m[2]) } } : {}) };
}

/** A wrangler config for a bench-only worker: same compatibility date, minify and CompiledWasm rule as wrangler.toml. */
export function writeBenchConfig(dir: string, name: string, main: string): string {
  const path = join(dir, "wrangler.toml");
  const prod = readFileSync("wrangler.toml", "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(prod)?.[1] ?? "2026-07-01";
  writeFileSync(path, [
    `name = ${JSON.stringify(name)}`,
    `main = ${JSON.stringify(resolve(main))}`,
    `compatibility_date = ${JSON.stringify(date)}`,
    "minify = true",
    "",
    "[[rules]]",
    'type = "CompiledWasm"',
    'globs = ["**/*.wasm"]',
    "fallthrough = true",
    "",
  ].join("\n"));
  return path;
}
