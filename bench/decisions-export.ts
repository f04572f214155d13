/**
 * `decisions export` of a large synthetic capture at flat memory: N records
 * (1M by default; quick 200k) of the bundled credit schema, written as gzip
 * NDJSON objects of 500 records over 10 day partitions into a throwaway
 * local R2 store (Miniflare's S3 endpoint), 2 % of the objects delivered
 * twice (at-least-once), then `npm run decisions -- export` in one child
 * process (the npm script's Node flags) with its wall time, the command's own
 * time and peak RSS. The target: under 300 MiB for 1M records.
 * Rows out must equal distinct records in (duplicates removed).
 *
 * Standalone: `npx tsx bench/decisions-export.ts [--records N]`; as a section
 * of bench/run.ts: `decisionsExport(ctx)` and `decisionsExportTable(r)`.
 */
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { decisionsKey, DECISION_FORMAT, type DecisionRecord } from "../shared/decisions/record.ts";
import { sha256Hex } from "../shared/hash.ts";
import { seededRandom } from "../shared/random.ts";
import { publishTo } from "../train/job.ts";
import { startLocalR2 } from "../train/store/local-r2.ts";
import { createS3Client, type S3Target } from "../train/store/storage.ts";
import { createContext, type Context } from "./context.ts";
import { DATA_CSV, readPlainCsv } from "./instances.ts";
import { runNodeMeasured, tail } from "./proc.ts";
import { fmt, table } from "./table.ts";

export interface DecisionsExportResult {
  records: number;
  objects: number;
  duplicatesWritten: number;
  rows: number;
  gzipMiB: number;
  csvMiB: number;
  wallS: number;
  ownS: number;
  maxRssMiB: number;
  rssSource: string;
}

const PER_OBJECT = 500;
const DAYS = 10;
const DUPLICATE_EVERY = 50;

/** Writes `n` synthetic records of `version`; returns objects and duplicate records written. */
async function writeRecords(s3: S3Target, n: number, version: string, manifestSha256: string, log: (l: string) => void): Promise<{ objects: number; duplicates: number; bytes: number }> {
  const { header, rows } = readPlainCsv(DATA_CSV);
  const features = header.filter((h) => h !== "Status");
  const random = seededRandom(20261206);
  const client = createS3Client(s3);
  const start = Date.parse("2026-11-20T00:00:00Z");
  const step = (DAYS * 86_400_000) / n;
  let objects = 0;
  let duplicates = 0;
  let bytes = 0;
  const put = async (batch: DecisionRecord[]) => {
    const body = gzipSync(batch.map((r) => JSON.stringify(r)).join("\n") + "\n");
    bytes += body.length;
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: decisionsKey("credit-risk", (batch[0] as DecisionRecord).time, randomBytes(6).toString("hex")), Body: body }));
    objects++;
  };
  try {
    for (let i = 0; i < n; i += PER_OBJECT) {
      const batch: DecisionRecord[] = [];
      for (let k = i; k < Math.min(n, i + PER_OBJECT); k++) {
        const src = rows[Math.floor(random() * rows.length)] as string[];
        const f = Object.fromEntries(features.map((name) => { const c = src[header.indexOf(name)] as string; return [name, c === "" ? null : Number.isFinite(Number(c)) ? Number(c) : c]; }));
        const p = Math.fround(random());
        const capture = randomBytes(12).toString("hex");
        batch.push({
          format: DECISION_FORMAT, id: `${capture}:0`, requestId: `req-${capture.slice(0, 16)}`, index: 0, time: new Date(start + k * step).toISOString(),
          model: "credit-risk", version, manifestSha256, role: "champion", caller: "key:bench", passThrough: `app-${k}`, topK: 4, capture: "full", features: f,
          answer: {
            probability: p, decision: p >= 0.5 ? "decline" : p >= 0.25 ? "refer" : "approve",
            reasons: features.slice(0, 4).map((name, j) => ({ feature: name, value: f[name] ?? null, impact: Math.round(random() * 1e6 / (j + 1)) / 1e7, text: `${name} raised the risk` })),
            warnings: [],
          },
          latencyMs: 1.2,
        });
      }
      await put(batch);
      // At-least-once: every 50th batch is delivered again, as another object.
      if (objects % DUPLICATE_EVERY === 0) { await put(batch); duplicates += batch.length; }
      if (objects % 500 === 0) log(`  wrote ${Math.min(n, i + PER_OBJECT)} of ${n} records (${objects} objects)`);
    }
  } finally {
    client.destroy();
  }
  return { objects, duplicates, bytes };
}

export async function decisionsExport(ctx: Context, records = ctx.quick ? 200_000 : 1_000_000): Promise<DecisionsExportResult> {
  const r2 = await startLocalR2("edgescore-bench", ctx.tmp("decisions-r2"));
  ctx.onCleanup(() => r2.dispose());
  const artifact = await ctx.artifact();
  await publishTo(r2.target, artifact);
  const sha = await sha256Hex(artifact.files.get("manifest.json") as Uint8Array);
  ctx.log(`  writing ${records} synthetic records (${PER_OBJECT} per object, ${DAYS} days, every ${DUPLICATE_EVERY}th object twice)…`);
  const written = await writeRecords(r2.target, records, artifact.version, sha, ctx.log);
  const out = join(ctx.tmp("decisions-export"), "decisions.csv");
  const env = {
    ...process.env, S3_ENDPOINT: r2.target.endpoint, S3_BUCKET: r2.target.bucket, S3_FORCE_PATH_STYLE: "true",
    AWS_ACCESS_KEY_ID: r2.target.accessKeyId, AWS_SECRET_ACCESS_KEY: r2.target.secretAccessKey,
  };
  const args = ["export", "--since", "2026-11-19", "--until", "2026-12-01", "--out", out, "--model", "credit-risk", "--store", "s3", "--json"];
  const r = await runNodeMeasured("train/cli/decisions.ts", args, { timeoutMs: 1_800_000, env });
  if (r.code !== 0) throw new Error(`npm run decisions -- ${args.join(" ")} exited ${r.code ?? r.signal}\n${tail(r.stderr)}`);
  const j = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "") as { rows: number; seconds: number };
  if (j.rows !== records) throw new Error(`export wrote ${j.rows} rows for ${records} distinct records`);
  return {
    records, objects: written.objects, duplicatesWritten: written.duplicates, rows: j.rows, gzipMiB: written.bytes / 2 ** 20, csvMiB: statSync(out).size / 2 ** 20,
    wallS: r.wallMs / 1000, ownS: j.seconds, maxRssMiB: (r.maxRssKiB ?? NaN) / 1024, rssSource: r.rssSource ?? "none",
  };
}

export function decisionsExportTable(r: DecisionsExportResult): string {
  return table(
    "Decision records: npm run decisions -- export of synthetic records (gzip NDJSON, 500 per object, 2 % delivered twice) from a local R2 store, one child process",
    ["records", "objects", "duplicates in", "rows out", "gzip MiB", "CSV MiB", "wall s", "own s", "records/s (own)", "peak RSS MiB", "target"],
    [[r.records, r.objects, r.duplicatesWritten, r.rows, fmt(r.gzipMiB, 1), fmt(r.csvMiB, 1), fmt(r.wallS, 1), fmt(r.ownS, 1), fmt(r.records / r.ownS, 0), fmt(r.maxRssMiB, 0), r.maxRssMiB < 300 ? "< 300 MiB: met" : "< 300 MiB: MISSED"]],
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { records: { type: "string" }, quick: { type: "boolean" } } });
  const ctx = createContext(values.quick ?? false, (l) => process.stderr.write(`${l}\n`));
  try {
    const r = await decisionsExport(ctx, values.records ? Number(values.records) : undefined);
    process.stdout.write(`${decisionsExportTable(r)}\n${JSON.stringify(r)}\n`);
  } finally {
    await ctx.cleanup();
  }
}
