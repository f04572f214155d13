/** Running a command's `run(argv)` in this process against an S3 target (as `--store s3` reads it from the environment), capturing its output. */
import { vi } from "vitest";
import type { S3Target } from "../../train/store/storage.ts";

export interface CliRun { code: number; stdout: string; stderr: string; json?: Record<string, unknown> }

export async function runInProcess(run: (argv: string[]) => Promise<number>, s3: S3Target, argv: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_FORCE_PATH_STYLE: "true", EDGESCORE_ACTOR: "tester@example.com", ...env,
  });
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => { stdout += String(chunk); return true; });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => { stderr += String(chunk); return true; });
  try {
    const code = await run([...argv, "--store", "s3"]);
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
