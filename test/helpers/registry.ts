/** Helpers for registry tests: artifact variants under other names/versions, and the models CLI run in-process. */
import type { FeatureSpec } from "../../shared/spec.ts";
import { run } from "../../train/cli/models.ts";
import type { Artifact } from "../../train/store/package.ts";
import type { S3Target } from "../../train/store/storage.ts";
import { runInProcess, type CliRun } from "./cli.ts";

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

export type { CliRun } from "./cli.ts";

/** `npm run models -- ...argv` in this process against the S3 target (as `--store s3` reads it from the environment). */
export function models(s3: S3Target, argv: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runInProcess(run, s3, argv, env);
}
