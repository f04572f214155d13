/**
 * `npm start`, first half: publish the bundled model into the local R2 store
 * unless a model the local Worker will trust is already published there;
 * `npm run dev` then serves it. A local model published unsigned (before
 * signing) or by a key the Worker does not trust, or one whose files no
 * longer match it (the Worker would answer 503), is replaced by a new one.
 */
import { verifyMove } from "../../shared/move.ts";
import { readPointerState } from "../registry/history.ts";
import { openStore } from "../store/open.ts";
import { readVersion, StoreError } from "../store/versions.ts";
import { readWranglerFacts } from "../store/wrangler-config.ts";
import { signingSetup } from "./signing.ts";
import { log } from "./output.ts";
import { run } from "./train.ts";

const facts = readWranglerFacts();
const signing = await signingSetup(process.env, { local: true, create: true });
const store = await openStore("local", undefined, facts.bucketName);
let published: string | undefined;
let untrusted: string | undefined;
try {
  const l = { client: store.client, bucket: store.target.bucket, name: facts.modelName, where: store.where, signing };
  const state = await readPointerState(l);
  const p = state.pointer;
  // A pointer that is not one: the Worker serves nothing, and publishing replaces it (the history stays whole).
  if (state.broken) untrusted = state.broken;
  if (p) {
    const check = await verifyMove(signing.trusted, p);
    if (!check.ok) untrusted = `${p.version}: ${check.error}`;
    else {
      // The files too, as the Worker loads them: a damaged version would be served as 503s.
      try {
        await readVersion(l, p.version, p.manifestSha256);
        published = p.version;
      } catch (e) {
        if (!(e instanceof StoreError) || e.code === "storage") throw e;
        untrusted = e.message;
      }
    }
  }
} finally {
  await store.close();
}
if (published) {
  log(`model "${facts.modelName}" version ${published} is already published locally, signed; serving it (npm run train publishes a new one)`);
} else {
  log(untrusted
    ? `the local model "${facts.modelName}" would be refused by the local Worker (${untrusted}): training a new, signed one on the bundled data`
    : `no local model "${facts.modelName}" yet: training one on the bundled data`);
  process.exitCode = await run([]);
}
