/**
 * `npm start`, first half: publish the bundled model into the local R2 store
 * unless a model is already published there; `wrangler dev` then serves it.
 */
import { readPointer } from "../store/publish.ts";
import { startLocalR2 } from "../store/local-r2.ts";
import { createS3Client } from "../store/storage.ts";
import { readWranglerFacts } from "../store/wrangler-config.ts";
import { run } from "./train.ts";

const facts = readWranglerFacts();
const local = await startLocalR2(facts.bucketName);
let published: string | undefined;
try {
  const client = createS3Client(local.target);
  published = (await readPointer(client, local.target.bucket, facts.modelName)).pointer?.version;
  client.destroy();
} finally {
  await local.dispose();
}
if (published) {
  process.stderr.write(`model "${facts.modelName}" version ${published} is already published locally; serving it (npm run train publishes a new one)\n`);
} else {
  process.stderr.write(`no local model "${facts.modelName}" yet: training one on the bundled data\n`);
  process.exitCode = await run([]);
}
