/** What the global setup hands every test file (see global-setup.ts). */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { inject } from "vitest";
import { parseManifest, type Manifest } from "../../shared/artifact.ts";
import type { Artifact } from "../../train/store/package.ts";

export interface ParityCase {
  /** The applicant as the mobile app sends it. */
  instance: Record<string, number | string | null>;
  /** The training side's probability for the same CSV row. */
  expected: number;
}

export interface Fixtures {
  /** `wrangler deploy --dry-run --outdir` output of edge/index.ts. */
  workerDir: string;
  /** Two versions of the model "credit-risk" trained on the bundled data (different seeds). */
  artifactDirs: [string, string];
  parity: ParityCase[];
}

declare module "vitest" {
  export interface ProvidedContext {
    fixtures: Fixtures;
  }
}

export function fixtures(): Fixtures {
  return inject("fixtures");
}

/** Reads an artifact written by `npm run train -- --out` style layout (one version dir). */
export function readArtifact(dir: string): Artifact {
  const files = new Map<string, Uint8Array>();
  for (const f of readdirSync(dir)) files.set(f, new Uint8Array(readFileSync(join(dir, f))));
  const parsed = parseManifest(new TextDecoder().decode(files.get("manifest.json")));
  if (!parsed.ok) throw new Error(parsed.error);
  // Keep manifest.json last, as packageArtifact does.
  const manifestBytes = files.get("manifest.json") as Uint8Array;
  files.delete("manifest.json");
  files.set("manifest.json", manifestBytes);
  return { name: parsed.value.name, version: parsed.value.version, manifest: parsed.value, files };
}

/**
 * A copy of an artifact under a fresh version id (`suffix`: 8 hex digits), its
 * manifest optionally edited (e.g. a card as older versions had); the other
 * files keep their bytes, so their hashes still match.
 */
export function asNewVersion(a: Artifact, suffix: string, edit: (m: Manifest) => Manifest = (m) => m): Artifact {
  const version = a.version.replace(/-[0-9a-f]{8}$/, `-${suffix}`);
  const manifest = edit({ ...a.manifest, version });
  const files = new Map(a.files);
  files.set("manifest.json", new TextEncoder().encode(JSON.stringify(manifest)));
  return { ...a, version, manifest, files };
}
