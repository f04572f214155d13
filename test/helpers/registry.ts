/** Helpers for registry tests: artifact variants under other names/versions, and the models CLI run in-process. */
import { vi } from "vitest";
import type { FeatureSpec } from "../../shared/spec.ts";
import { run } from "../../train/cli/models.ts";
import type { Artifact } from "../../train/store/package.ts";
import type { S3Target } from "../../train/store/storage.ts";

/**
 * A copy of `a` as model `name`, version suffix `suffix` (8 hex digits), and
 * optionally another feature spec: the network files are the same bytes, the
 * manifest is rewritten (its own hashes still match them).
 */
export function variant(a: Artifact, name: string, suffix: string, spec?: (s: FeatureSpec) => FeatureSpec): Artifact {
  const version = a.version.replace(/-[0-9a-f]{8}$/, `-${suffix}`);
  const manifest = { ...a.manifest, name, version, ...(spec ? { spec: spec(structuredClone(a.manifest.spec)) } : {}) };
  const files = new Map(a.files);
  files.delete("manifest.json");
  files.set("manifest.json", new TextEncoder().encode(JSON.stringify(manifest)));
  return { name, version, manifest, files };
}

export interface CliRun { code: number; stdout: string; stderr: string; json?: Record<string, unknown> }

/** `npm run models -- ...argv` in this process against the S3 target (as `--store s3` reads it from the environment). */
export async function models(s3: S3Target, argv: string[], env: Record<string, string> = {}): Promise<CliRun> {
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
