/**
 * The floor of the batch-scoring bench: the same CSV read with the same
 * reader (train/data/csv.ts) and written back with the same writer
 * (train/score/sink.ts csvText, 2048-row batches, backpressure awaited) without validating
 * or scoring anything. `node --import tsx bench/score-floor.ts <in> <out>`
 * prints {"records", "seconds"}.
 */
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { localSource, readCsv } from "../train/data/csv.ts";
import { csvText } from "../train/score/sink.ts";

const [input, output] = process.argv.slice(2) as [string, string];
const started = performance.now();
const out = createWriteStream(output);
let batch: string[][] = [];
let records = 0;
const flush = async () => {
  if (!out.write(csvText(batch))) await once(out, "drain");
  batch = [];
};
await readCsv(localSource(input), (rec) => {
  records++;
  batch.push(rec.fields);
  return batch.length === 2048 ? flush() : undefined;
});
await flush();
out.end();
await once(out, "finish");
process.stdout.write(`${JSON.stringify({ records, seconds: (performance.now() - started) / 1000 })}\n`);
