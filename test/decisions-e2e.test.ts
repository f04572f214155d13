/**
 * End to end, no record made by hand: the built Worker in workerd answers
 * /predict with CAPTURE = "full", its queue consumer (Miniflare's Queues)
 * writes the records to R2, and `npm run decisions` reads them back through
 * the S3 endpoint: export gives one row per answered instance, replay
 * reproduces every answer to the bit, show finds a request by its id.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { parse } from "csv-parse/sync";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../train/cli/decisions.ts";
import { publishTo } from "../train/job.ts";
import { createS3Client, type S3Target } from "../train/store/storage.ts";
import { runInProcess } from "./helpers/cli.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";

const BUCKET = "edgescore-models";
const lines = readFileSync("data/credit_data.csv", "utf8").trim().split("\n");
const header = lines[0]!.split(",");

describe("edge answers → decision records → npm run decisions", () => {
  let mf: Miniflare;
  let s3: S3Target;
  let dir: string;
  const artifact = readArtifact(fixtures().artifactDirs[0]);
  const features = artifact.manifest.spec.features;
  const answers = new Map<string, { requestId: string; prediction: Record<string, unknown> }>();
  const requestIds: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "edgescore-decisions-e2e-"));
    const accessKeyId = randomBytes(8).toString("hex");
    const secretAccessKey = randomBytes(16).toString("hex");
    mf = new Miniflare({
      modules: true, scriptPath: join(fixtures().workerDir, "index.js"), modulesRoot: fixtures().workerDir,
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }], compatibilityDate: "2026-07-01", host: "127.0.0.1", port: 0,
      r2Buckets: { MODELS: { id: BUCKET, s3Credentials: { accessKeyId, secretAccessKey } }, DECISIONS: BUCKET },
      queueProducers: { DECISIONS_QUEUE: { queueName: "edgescore-decisions" } },
      queueConsumers: { "edgescore-decisions": { maxBatchSize: 100, maxBatchTimeout: 0.5, maxRetries: 3 } },
      bindings: { MODEL_NAME: "credit-risk", MODEL_REFRESH_SECONDS: "30", AUTH_MODE: "off", RATE_LIMIT: "off", CAPTURE: "full", CAPTURE_SAMPLE: "1" },
    });
    const url = await mf.ready;
    s3 = { endpoint: new URL("/cdn-cgi/local/r2/s3", url).toString(), bucket: BUCKET, accessKeyId, secretAccessKey, region: "auto", forcePathStyle: true };
    await publishTo(s3, artifact);
    // 40 applicants in requests of 1 to 4, every fifth without reasons.
    for (let i = 1, k = 0; i <= 40; k++) {
      const n = 1 + (k % 4);
      const instances = lines.slice(i, Math.min(41, i + n)).map((l, j) => {
        const cells = l.split(",");
        return { _key: `app-${i + j}`, ...Object.fromEntries(features.map((f) => { const c = cells[header.indexOf(f.name)]!; return [f.name, c === "" ? null : f.type === "numeric" ? Number(c) : c]; })) };
      });
      i += instances.length;
      const res = (await mf.dispatchFetch(`http://edge.test/predict${k % 5 === 4 ? "?explain=false" : ""}`, {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ instances }),
      })) as unknown as Response;
      expect(res.status).toBe(200);
      const requestId = res.headers.get("x-request-id")!;
      requestIds.push(requestId);
      const body = (await res.json()) as { predictions: Record<string, unknown>[] };
      body.predictions.forEach((p) => answers.set(p._key as string, { requestId, prediction: p }));
    }
    // The consumer writes within its batch timeout: wait until every answer is recorded.
    const client = createS3Client(s3);
    try {
      for (let t = 0; t < 120; t++) {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "decisions/credit-risk/" }));
        if ((listed.KeyCount ?? 0) > 0) {
          const r = await runInProcess(run, s3, ["export", "--since", "1h", "--out", join(dir, "probe.csv"), "--json"]);
          if ((r.json?.rows as number | undefined) === 40) break;
        }
        await new Promise((done) => setTimeout(done, 500));
      }
    } finally {
      client.destroy();
    }
  }, 180_000);
  afterAll(async () => { await mf?.dispose(); });

  it("export: one row per answered instance, each with the answer the client got", async () => {
    const out = join(dir, "decisions.csv");
    const r = await runInProcess(run, s3, ["export", "--since", "1h", "--out", out, "--json"]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ rows: 40, withoutFeatures: 0, unlisted: {} });
    const rows = parse(readFileSync(out), { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x.pass_through).sort()).toEqual([...answers.keys()].sort());
    for (const row of rows) {
      const a = answers.get(row.pass_through!)!;
      expect(row.request_id).toBe(a.requestId);
      expect(Number(row.probability)).toBe(a.prediction.probability);
      expect(row.decision).toBe(a.prediction.decision);
      expect(row.version).toBe(artifact.version);
    }
  });

  it("replay: every recorded answer reproduced to the bit (exit 0); show finds a request by its X-Request-Id", async () => {
    const r = await runInProcess(run, s3, ["replay", "--since", "1h", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ records: 40, replayed: 40, equal: 40, differing: 0, notReplayable: 0 });
    const show = await runInProcess(run, s3, ["show", requestIds[3]!, "--json"]);
    expect(show.code).toBe(0);
    const records = show.json!.records as { passThrough: string; answer: Record<string, unknown> }[];
    expect(records).toHaveLength(4);
    for (const rec of records) {
      const { _key, ...answer } = answers.get(rec.passThrough)!.prediction;
      expect(rec.answer).toEqual(answer);
    }
  });
});
