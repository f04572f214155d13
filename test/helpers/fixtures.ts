/** What the global setup hands every test file (see global-setup.ts). */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { inject } from "vitest";
import { parseManifest } from "../../shared/artifact.ts";
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
