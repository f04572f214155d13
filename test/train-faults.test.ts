/**
 * Training-job faults: every one ends in a clear error and an unmoved pointer.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { Readable } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../shared/random.ts";
import { runJob, publishTo } from "../train/job.ts";
import { checkNotWorse } from "../train/evaluate/gate.ts";
import { defaultFitOptions } from "../shared/preprocess-fit.ts";
import { useBackend } from "../train/fit/backend.ts";
import { buildDataset } from "../train/data/dataset.ts";
import { defaultInferOptions, inferSpec } from "../train/data/infer.ts";
import { profileCsv } from "../train/data/profile.ts";
import { trainModel } from "../train/fit/loop.ts";
import { defaultTrainOptions } from "../train/fit/options.ts";
import { readPointer } from "../train/store/publish.ts";
import { createS3Client } from "../train/store/storage.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { quickJob } from "./helpers/train-fixture.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

describe("training job faults", () => {
  let w: TestWorker;
  let dir: string;
  beforeAll(async () => {
    w = await startWorker();
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
    dir = mkdtempSync(join(tmpdir(), "edgescore-faults-"));
  });
  afterAll(async () => { await w.dispose(); });

  const pointerVersion = async () => (await readPointer({ client: createS3Client(w.s3), bucket: w.s3.bucket, name: "credit-risk" })).pointer?.version;

  it("stops with a clear message when the loss becomes NaN", async () => {
    await useBackend("cpu");
    const x = new Float32Array(40 * 2).fill(1);
    x[7] = NaN;
    const y = new Float32Array(40).map((_, i) => i % 2);
    const m = { x, y, n: 40, width: 2 };
    await expect(trainModel(m, m, { ...defaultTrainOptions, hidden: [4], epochs: 2, batchSize: 8, learningRate: 0.01, patience: 0, seed: 1 }))
      .rejects.toThrow(/training diverged: the loss became NaN in epoch 1; try a lower --learning-rate/);
  });

  it("refuses data that changes between its passes (e.g. an object replaced mid-run)", async () => {
    const text = readFileSync("data/credit_data.csv", "utf8");
    let opens = 0;
    const source = { label: "changing.csv", open: async () => Readable.from([Buffer.from(opens++ === 0 ? text : text.replace("good,9,rent", "bad,9,rent"))]) };
    const profile = await profileCsv(source, "Status");
    const { spec } = inferSpec(profile, { ...defaultInferOptions, target: "Status", positive: "bad" });
    const allTrain = new Uint8Array(profile.rows);
    await expect(buildDataset(source, spec, allTrain, defaultFitOptions, undefined, false, profile.sha256))
      .rejects.toThrow(/changing\.csv changed while it was being read \(sha256 differs between passes\)/);
  });

  it("refuses to publish a model no better than the base rate (labels unrelated to the features)", async () => {
    const r = seededRandom(3);
    const lines = ["a,b,c,y"];
    for (let i = 0; i < 600; i++) lines.push(`${r().toFixed(4)},${r().toFixed(4)},${r() < 0.5 ? "u" : "v"},${r() < 0.3 ? "bad" : "good"}`);
    const path = join(dir, "noise.csv");
    writeFileSync(path, lines.join("\n"));
    const job = quickJob({ data: path, target: "y", spec: undefined, testRows: undefined, train: { ...quickJob().train, epochs: 40, hidden: [64] } });
    await expect(runJob(job, { log: () => {} })).rejects.toThrow(/no better than the base rate on the test split .*not publishing/);
  });

  it("refuses a model below --min-auc", async () => {
    await expect(runJob(quickJob({ minAuc: 0.99 }), { log: () => {} })).rejects.toThrow(/test AUC 0\.\d+ is below --min-auc 0\.99; not publishing/);
  });

  it("names the bucket when it does not exist, and moves nothing", async () => {
    const before = await pointerVersion();
    const a = readArtifact(fixtures().artifactDirs[1]);
    await expect(publishTo({ ...w.s3, bucket: "no-such-bucket" }, a)).rejects.toThrow(/no-such-bucket.*(NoSuchBucket|404)/);
    expect(await pointerVersion()).toBe(before);
  });

  it("says to check the endpoint when the network is down, and moves nothing", async () => {
    const before = await pointerVersion();
    const a = readArtifact(fixtures().artifactDirs[1]);
    // Port 9 (discard) on loopback: nothing listens there.
    await expect(publishTo({ ...w.s3, endpoint: "http://127.0.0.1:9/cdn-cgi/local/r2/s3" }, a)).rejects.toThrow(/check S3_ENDPOINT \/ R2_ACCOUNT_ID and the network/);
    expect(await pointerVersion()).toBe(before);
  });

  describe("the not-worse-than-current gate (--max-auc-drop)", () => {
    it("refuses a clearly worse model on the same test rows and leaves the pointer", async () => {
      const before = await pointerVersion();
      const worse = await runJob(quickJob({ keepTestRows: true, train: { ...quickJob().train, hidden: [8], epochs: 1, batchSize: 512, learningRate: 0.01, patience: 0, seed: 5 } }), { log: () => {} });
      const gate = async (client: Parameters<typeof checkNotWorse>[0], current: Parameters<typeof checkNotWorse>[3]) => {
        await checkNotWorse(client, w.s3.bucket, "credit-risk", current, { rows: worse.gate!.rows, labels: worse.gate!.labels, newAuc: worse.gate!.newAuc!, maxDrop: 0.01 });
      };
      await expect(publishTo(w.s3, worse.artifact!, { beforePublish: gate })).rejects.toThrow(/below the current model's \(.*\) 0\.\d+ on the same 891 test rows, by more than --max-auc-drop 0\.01; not publishing/);
      expect(await pointerVersion()).toBe(before);
    });

    it("lets an equally good model through", async () => {
      const same = await runJob(quickJob({ keepTestRows: true }), { log: () => {} });
      let compared: number | undefined;
      await publishTo(w.s3, same.artifact!, { beforePublish: async (client, current) => {
        compared = (await checkNotWorse(client, w.s3.bucket, "credit-risk", current, { rows: same.gate!.rows, labels: same.gate!.labels, newAuc: same.gate!.newAuc!, maxDrop: 0.01 })).currentAuc;
      } });
      // The serving model was trained with the same options: same AUC on the same rows.
      expect(compared).toBeCloseTo(same.test!.auc, 6);
      expect(await pointerVersion()).toBe(same.artifact!.version);
    });
  });
});
