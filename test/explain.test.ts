/**
 * Reason codes: the Dense shortcut (edge/explain.ts) must give the same
 * impacts as scoring one variant row per feature through tfjs, and the
 * probabilities must not depend on whether reasons were asked for.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../train/fit/backend.ts";
import { loadVersion, type LoadedModel } from "../edge/loader.ts";
import { predict, scoreRows, scoreWithImpacts, type ClassificationPrediction } from "../shared/predict.ts";
import { FORWARD_BATCH } from "../shared/network.ts";
import { parsePointer } from "../shared/artifact.ts";
import type { Row } from "../shared/preprocess.ts";
import { FlakyBucket, publish } from "./helpers/fake-bucket.ts";
import { fixtures } from "./helpers/fixtures.ts";

describe("reason-code impacts", () => {
  let m: LoadedModel;
  let rows: Row[];
  beforeAll(async () => {
    await useBackend("cpu");
    const bucket = new FlakyBucket();
    await publish(bucket, fixtures().artifactDirs[0]);
    const pointer = parsePointer(new TextDecoder().decode(bucket.objects.get("credit-risk/current.json")!.bytes));
    if (!pointer.ok) throw new Error(pointer.error);
    m = await loadVersion(bucket as unknown as R2Bucket, pointer.value, { timeoutMs: 1000 });
    rows = fixtures().parity.slice(0, 200).map((c) => c.instance);
  });

  it("recognises the trained network as a Dense stack", () => {
    expect(m.dense?.map((l) => [l.inputs, l.units])).toEqual([[m.manifest.preprocess.width, 64], [64, 1]]);
  });

  it("gives the same impacts as one tfjs variant row per feature (|diff| < 1e-5) on 200 test applicants", () => {
    const shortcut = scoreWithImpacts(m, rows, true);
    const batched = scoreWithImpacts({ ...m, dense: undefined }, rows, true);
    let worst = 0;
    let nonzero = 0;
    for (let k = 0; k < shortcut.impacts!.length; k++) {
      worst = Math.max(worst, Math.abs(shortcut.impacts![k]! - batched.impacts![k]!));
      if (Math.abs(batched.impacts![k]!) > 1e-3) nonzero++;
    }
    expect(worst).toBeLessThan(1e-5);
    expect(nonzero).toBeGreaterThan(rows.length);
    for (let i = 0; i < rows.length; i++) expect(Math.abs(shortcut.p[i]! - batched.p[i]!)).toBeLessThan(1e-6);
  });

  it("returns the same probabilities with and without reasons", () => {
    const withReasons = predict(m, rows, 4);
    const without = predict(m, rows, 0);
    withReasons.forEach((p, i) => expect((p as ClassificationPrediction).probability).toBe((without[i] as ClassificationPrediction).probability));
    expect(without[0]!.reasons).toBeUndefined();
  });

  it("scores a batch larger than one tfjs batch as it scores each applicant alone", () => {
    const many = Array.from({ length: FORWARD_BATCH + 3 }, (_, i) => rows[i % rows.length]!);
    const all = scoreRows(m, many);
    expect(all.length).toBe(many.length);
    for (const i of [0, 1, 255, FORWARD_BATCH - 1, FORWARD_BATCH, FORWARD_BATCH + 2]) {
      expect(Math.abs(all[i]! - scoreRows(m, [many[i]!])[0]!)).toBeLessThan(1e-6);
    }
  });

  it("gives no reason for a feature at its baseline value", () => {
    const typical: Record<string, number | string> = {};
    for (const s of m.manifest.preprocess.steps) typical[s.name] = s.kind === "numeric" ? s.fill : s.mode;
    expect(predict(m, [typical], 13)[0]!.reasons).toEqual([]);
  });
});
