/**
 * The isolate's start-up warm-up (edge/warm.ts) runs the manifest validator,
 * an instance check and the transform on a synthetic version. If that version
 * stopped being valid (the manifest format moved on), the warm-up would
 * silently warm less: this keeps it valid.
 */
import { describe, expect, it } from "vitest";
import { parseManifest } from "../shared/artifact.ts";
import { WARM_MANIFEST, warmUp } from "../edge/warm.ts";

describe("the isolate warm-up", () => {
  it("validates its synthetic manifest and instance, as a real first request would", () => {
    expect(parseManifest(JSON.stringify(WARM_MANIFEST))).toMatchObject({ ok: true });
    expect(warmUp()).toEqual({ manifest: true, instance: true });
  });

  it("never throws, whatever the manifest format says", () => {
    const format = WARM_MANIFEST.format;
    try {
      (WARM_MANIFEST as { format: string }).format = "not a format";
      expect(warmUp()).toEqual({ manifest: false, instance: false });
    } finally {
      (WARM_MANIFEST as { format: string }).format = format;
    }
  });
});
