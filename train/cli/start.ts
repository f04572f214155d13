/**
 * `npm start`, first half: publish the bundled model into the local R2 store
 * unless a model is already published there; `wrangler dev` then serves it.
 */
import { openStore } from "../store/open.ts";
import { readPointer } from "../store/publish.ts";
import { readWranglerFacts } from "../store/wrangler-config.ts";
import { log } from "./output.ts";
import { run } from "./train.ts";

const facts = readWranglerFacts();
const store = await openStore("local", undefined, facts.bucketName);
let published: string | undefined;
try {
  published = (await readPointer(store.client, store.target.bucket, facts.modelName)).pointer?.version;
} finally {
  await store.close();
}
if (published) {
  log(`model "${facts.modelName}" version ${published} is already published locally; serving it (npm run train publishes a new one)`);
} else {
  log(`no local model "${facts.modelName}" yet: training one on the bundled data`);
  process.exitCode = await run([]);
}
