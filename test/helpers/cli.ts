/** Running a command's `run(argv)` in this process (or its script as a child process) against an S3 target (as `--store s3` reads it from the environment), capturing its output. */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { vi } from "vitest";
import type { S3Target } from "../../train/store/storage.ts";

export interface CliRun { code: number; stdout: string; stderr: string; json?: Record<string, unknown> }

/** With `s3` null the command runs as typed, on its default (local) store: for usage errors found before anything opens. */
export async function runInProcess(run: (argv: string[]) => Promise<number>, s3: S3Target | null, argv: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    ...(s3 ? { S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, S3_FORCE_PATH_STYLE: "true" } : {}),
    EDGESCORE_ACTOR: "tester@example.com", ...env,
  });
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => { stdout += String(chunk); return true; });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => { stderr += String(chunk); return true; });
  try {
    const code = await run(s3 ? [...argv, "--store", "s3"] : argv);
    const last = stdout.trim().split("\n").at(-1) ?? "";
    let json: Record<string, unknown> | undefined;
    if (argv.includes("--json")) json = JSON.parse(last) as Record<string, unknown>;
    return { code, stdout, stderr, ...(json ? { json } : {}) };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.env = saved;
  }
}

/**
 * Runs a command's script (`train/cli/score.ts`, ...) as a real child process:
 * tsx on the Node that runs vitest (22), from `cwd` (default: the repository),
 * with `env` added. The child's own pid is tsx's; the script runs in a child of it.
 */
export function spawnScript(script: string, args: string[], o: { env?: Record<string, string>; cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [resolve("node_modules/tsx/dist/cli.mjs"), resolve(script), ...args], {
    cwd: o.cwd ?? process.cwd(), env: { ...process.env, ...o.env }, stdio: ["ignore", "pipe", "pipe"],
  });
}

/** `spawnScript` to the end: exit code and output (`json`: the last stdout line parsed, with --json). */
export async function runScript(script: string, args: string[], o: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
  const child = spawnScript(script, args, o);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on("data", (d: Buffer) => { stderr += d.toString(); });
  const code = await new Promise<number>((done) => child.once("close", (c) => done(c ?? -1)));
  const last = stdout.trim().split("\n").at(-1) ?? "";
  return { code, stdout, stderr, ...(args.includes("--json") && last ? { json: JSON.parse(last) as Record<string, unknown> } : {}) };
}
