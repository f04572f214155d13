/**
 * Run once when the isolate starts, before any request: the manifest
 * validator, an instance check and the transform, each once on a tiny
 * synthetic version. Their first run is slow (arktype's jitless validators,
 * V8 compiling functions on first call): about 2 ms that a fresh isolate's
 * first /predict would otherwise pay while its applicant waits (`npm run
 * bench -- --only coldStart`: 19 → 17 ms in the worker). Cloudflare starts
 * isolates while the TLS handshake runs, so this time is mostly hidden.
 * Nothing here does I/O (not allowed at global scope), and a failure only
 * means less warm-up: test/warm.test.ts keeps the synthetic version valid.
 */
import { ARTIFACT_FORMAT, parseManifest, type Manifest } from "../shared/artifact.ts";
import { transform } from "../shared/preprocess.ts";
import { instanceSchema } from "../shared/validate.ts";

/** A valid manifest of one numeric and one categorical feature. */
export const WARM_MANIFEST = {
  format: ARTIFACT_FORMAT, name: "warm-up", version: "20260101T000000Z-00000000", createdAt: "2026-01-01T00:00:00.000Z",
  spec: {
    target: "y", positive: "bad", negative: "good",
    features: [{ name: "a", type: "numeric", nullable: true }, { name: "b", type: "categorical", values: ["x", "y"], nullable: false }],
  },
  preprocess: {
    scaler: "standard", width: 4,
    steps: [
      { kind: "numeric", name: "a", fill: 0, lo: 0, hi: 1, log: false, center: 0, scale: 1, indicator: false },
      { kind: "categorical", name: "b", categories: ["x", "y"], fallback: 2, mode: "x" },
    ],
  },
  thresholds: { refer: 0.2, decline: 0.5 },
  files: { "model.json": { sha256: "0".repeat(64), bytes: 1 }, "weights.bin": { sha256: "0".repeat(64), bytes: 1 } },
  card: { description: "isolate warm-up" },
};

/** Returns what it did, for the test; the Worker ignores it. */
export function warmUp(): { manifest: boolean; instance: boolean } {
  try {
    const parsed = parseManifest(JSON.stringify(WARM_MANIFEST));
    if (!parsed.ok) return { manifest: false, instance: false };
    const m: Manifest = parsed.value;
    const checked = instanceSchema(m.spec).check({ a: 0.5, b: "y" }, 0);
    if (checked.ok) transform(m.preprocess, checked.row);
    return { manifest: true, instance: checked.ok };
  } catch {
    return { manifest: false, instance: false };
  }
}
