/**
 * Signed decision records, in workerd: with DECISIONS_SIGNING_KEY the
 * consumer signs every object it writes, and a reader given the public key
 * (DECISIONS_SIGNING_KEYS) reads those and refuses, by name, an object a
 * bucket writer added (unsigned, or signed by a key it does not trust) or
 * changed. Without the trusted keys a forged object with a real record's id,
 * listed first, is what a reader keeps: the reason to set them. `verify`
 * goes on past every object that fails and lists them all, and with an
 * inventory names a valid object that later disappears or changes.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DECISIONS_PAYLOAD, parseTrustedKeys, sign, type TrustedKeys } from "../shared/signing.ts";
import { run } from "../train/cli/decisions.ts";
import { DecisionsError, readDecisions } from "../train/decisions/read.ts";
import { publishTo } from "../train/job.ts";
import { generateKeyPair, signerFromPem } from "../train/registry/keys.ts";
import { createS3Client } from "../train/store/storage.ts";
import { runInProcess } from "./helpers/cli.ts";
import { distinct, waitForDecisions } from "./helpers/decisions.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const applicant = { Seniority: 9, Home: "rent", Time: 60, Age: 30, Marital: "married", Records: "no", Job: "freelance", Expenses: 73, Income: 129, Assets: 0, Debt: 0, Amount: 800, Price: 846 };
const range = () => ({ model: "credit-risk", since: new Date(Date.now() - 3_600_000), until: new Date(Date.now() + 60_000) });

async function readAll(w: TestWorker, trusted?: TrustedKeys) {
  const client = createS3Client(w.s3);
  try {
    const out = [];
    for await (const r of readDecisions({ client, bucket: w.s3.bucket, ...(trusted ? { trusted } : {}) }, range())) out.push(r);
    return out;
  } finally {
    client.destroy();
  }
}

/** `fn` with an S3 client on the worker's bucket, destroyed after. */
async function withClient<T>(w: TestWorker, fn: (client: ReturnType<typeof createS3Client>) => Promise<T>): Promise<T> {
  const client = createS3Client(w.s3);
  try {
    return await fn(client);
  } finally {
    client.destroy();
  }
}

/** The keys under the model's decisions prefix now. */
async function decisionKeys(w: TestWorker, client: ReturnType<typeof createS3Client>): Promise<string[]> {
  return (await client.send(new ListObjectsV2Command({ Bucket: w.s3.bucket, Prefix: "decisions/credit-risk/" }))).Contents?.map((o) => o.Key!) ?? [];
}

async function trustOf(entry: string): Promise<TrustedKeys> {
  const parsed = await parseTrustedKeys(entry);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.keys;
}

describe("decision records signed by the consumer", () => {
  let w: TestWorker;
  let entry: string;
  let privatePem: string;
  let firstKey: string;
  beforeAll(async () => {
    const pair = await generateKeyPair();
    entry = pair.entry;
    privatePem = pair.privatePem;
    w = await startWorker({ CAPTURE: "full", DECISIONS_SIGNING_KEY: pair.privatePem }, { capture: {} });
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
    for (let i = 0; i < 3; i++) {
      const res = await w.post("/predict", { instances: [{ ...applicant, _key: `s-${i}`, Amount: 900 + i }] });
      expect(res.status).toBe(200);
    }
    await waitForDecisions(w, (ws) => distinct(ws).size >= 3);
    const client = createS3Client(w.s3);
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: w.s3.bucket, Prefix: "decisions/credit-risk/" }));
      firstKey = listed.Contents![0]!.Key!;
    } finally {
      client.destroy();
    }
  });
  afterAll(async () => { await w.dispose(); });

  it("writes each object with a signature over its bytes by the configured key", async () => {
    const client = createS3Client(w.s3);
    try {
      const got = await client.send(new GetObjectCommand({ Bucket: w.s3.bucket, Key: firstKey }));
      const signatures = JSON.parse(got.Metadata?.signatures ?? "[]") as { keyid: string }[];
      expect(signatures.map((s) => s.keyid)).toEqual([entry.split(":")[0]]);
    } finally {
      client.destroy();
    }
    const records = await readAll(w, await trustOf(entry));
    expect(records.map((r) => r.passThrough).sort()).toEqual(["s-0", "s-1", "s-2"]);
  });

  it("refuses, naming it, an object added unsigned, signed by another key, or changed; without trusted keys a forgery listed first wins", async () => {
    const trusted = await trustOf(entry);
    const genuine = (await readAll(w, trusted))[0]!;
    const day = genuine.time.slice(0, 10);
    const forged = gzipSync(`${JSON.stringify({ ...genuine, answer: { ...genuine.answer, decision: "approve", probability: 0.01 } })}\n`);
    // Listed before every genuine object of the day, whatever the hour: "-" sorts before any digit or
    // letter of a batch id (plain "00-forged" did not between 00:00 and 00:59 UTC, when "00-<batch id>" is genuine).
    const forgedKey = `decisions/credit-risk/dt=${day}/00--forged.ndjson.gz`;
    const client = createS3Client(w.s3);
    const put = (key: string, body: Uint8Array, metadata: Record<string, string> = {}) =>
      client.send(new PutObjectCommand({ Bucket: w.s3.bucket, Key: key, Body: body, Metadata: { records: "1", ...metadata } }));
    try {
      await put(forgedKey, forged);
      // Without DECISIONS_SIGNING_KEYS: the forged copy is listed first and kept for that id.
      const open = await readAll(w);
      expect(open.find((r) => r.id === genuine.id)?.answer).toMatchObject({ decision: "approve", probability: 0.01 });
      await expect(readAll(w, trusted)).rejects.toThrow(new RegExp(`${forgedKey}: it is not signed`));
      await expect(readAll(w, trusted)).rejects.toBeInstanceOf(DecisionsError);

      const other = await signerFromPem((await generateKeyPair()).privatePem, "test key");
      await put(forgedKey, forged, { signatures: JSON.stringify([await sign(other, DECISIONS_PAYLOAD, forged)]) });
      await expect(readAll(w, trusted)).rejects.toThrow(`it is signed only by key ${other.keyid}, which is not trusted (DECISIONS_SIGNING_KEYS)`);

      // A genuine object's signature on changed bytes.
      const real = await client.send(new GetObjectCommand({ Bucket: w.s3.bucket, Key: firstKey }));
      await put(forgedKey, forged, { signatures: real.Metadata!.signatures! });
      await expect(readAll(w, trusted)).rejects.toThrow("does not verify (changed after signing, or forged)");

      // The commands: exit 1 naming the object; a key list that does not parse is a usage error.
      const out = await runInProcess(run, w.s3, ["export", "--since", "1h", "--out", "/dev/null"], { DECISIONS_SIGNING_KEYS: entry });
      expect(out.code).toBe(1);
      expect(out.stderr).toContain(forgedKey);
      const bad = await runInProcess(run, w.s3, ["show", "x"], { DECISIONS_SIGNING_KEYS: "not-a-key" });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("DECISIONS_SIGNING_KEYS");
    } finally {
      client.destroy();
    }
  });

  it("verify checks every object, lists each that fails (unsigned, another key, changed, damaged) and counts the genuine ones; exit 1, then 0", async () => {
    await withClient(w, async (client) => {
      const keys = () => decisionKeys(w, client);
      const put = (key: string, body: Uint8Array, metadata: Record<string, string> = {}) =>
        client.send(new PutObjectCommand({ Bucket: w.s3.bucket, Key: key, Body: body, Metadata: metadata }));
      const genuine = (await keys()).filter((k) => !k.includes("forged"));
      const day = firstKey.split("/")[2]!;
      const at = (name: string) => `decisions/credit-risk/${day}/99-${name}.ndjson.gz`;
      const record = (await readAll(w))[0]!; // any record: only the forgeries' content
      const forged = gzipSync(`${JSON.stringify({ ...record, answer: { ...record.answer, decision: "approve" } })}\n`);
      const other = await signerFromPem((await generateKeyPair()).privatePem, "test key");
      const ours = await signerFromPem(privatePem, "test key");
      const real = await client.send(new GetObjectCommand({ Bucket: w.s3.bucket, Key: firstKey }));
      const damaged = new TextEncoder().encode("not gzip");
      await put(at("unsigned"), forged);
      await put(at("other-key"), forged, { signatures: JSON.stringify([await sign(other, DECISIONS_PAYLOAD, forged)]) });
      await put(at("changed"), forged, { signatures: real.Metadata!.signatures! });
      await put(at("damaged"), damaged, { signatures: JSON.stringify([await sign(ours, DECISIONS_PAYLOAD, damaged)]) });

      const out = await runInProcess(run, w.s3, ["verify", "--since", "1h", "--json"], { DECISIONS_SIGNING_KEYS: entry });
      expect(out.code).toBe(1);
      const invalid = new Map((out.json!.invalid as { key: string; problem: string }[]).map((x) => [x.key, x.problem]));
      expect(invalid.get(at("unsigned"))).toBe("it is not signed");
      expect(invalid.get(at("other-key"))).toContain(`signed only by key ${other.keyid}, which is not trusted (DECISIONS_SIGNING_KEYS)`);
      expect(invalid.get(at("changed"))).toContain("does not verify (changed after signing, or forged)");
      expect(invalid.get(at("damaged"))).toContain(`${at("damaged")}: not a gzip object`);
      expect(out.json).toMatchObject({ ok: false, error: { code: "records_invalid", message: expect.stringMatching(new RegExp(`^${invalid.size} objects do not verify \\(first: `)) }, valid: genuine.length, objects: genuine.length + invalid.size });
      expect(out.json!.records).toBeGreaterThanOrEqual(3);
      const table = await runInProcess(run, w.s3, ["verify", "--since", "1h"], { DECISIONS_SIGNING_KEYS: entry });
      expect(table.stdout).toContain(`INVALID  ${at("unsigned")}  it is not signed`);
      expect(table.stderr).toContain(`${genuine.length} signed by a trusted key and well-formed`);

      for (const k of (await keys()).filter((x) => !genuine.includes(x))) await client.send(new DeleteObjectCommand({ Bucket: w.s3.bucket, Key: k }));
      const clean = await runInProcess(run, w.s3, ["verify", "--since", "1h", "--json"], { DECISIONS_SIGNING_KEYS: entry });
      expect(clean.code).toBe(0);
      expect(clean.json).toMatchObject({ ok: true, objects: genuine.length, valid: genuine.length, invalid: [] });

      const unset = await runInProcess(run, w.s3, ["verify", "--since", "1h"]);
      expect(unset.code).toBe(2);
      expect(unset.stderr).toContain("verify needs DECISIONS_SIGNING_KEYS");
    });
  });

  it("verify --inventory remembers every valid object and names one deleted, one replaced (even re-signed) and a day removed whole", async () => {
    await withClient(w, async (client) => {
      const list = () => decisionKeys(w, client);
      const del = (key: string) => client.send(new DeleteObjectCommand({ Bucket: w.s3.bucket, Key: key }));
      const ours = await signerFromPem(privatePem, "test key");
      const putSigned = async (key: string, body: Uint8Array) =>
        client.send(new PutObjectCommand({ Bucket: w.s3.bucket, Key: key, Body: body, Metadata: { signatures: JSON.stringify([await sign(ours, DECISIONS_PAYLOAD, body)]) } }));
      const dir = mkdtempSync(join(tmpdir(), "edgescore-inventory-"));
      const verify = () => runInProcess(run, w.s3, ["verify", "--since", "1h", "--inventory", dir, "--json"], { DECISIONS_SIGNING_KEYS: entry });
      for (const k of await list()) if (k.includes("forged") || k.includes("/99-")) await del(k);
      const record = (await readAll(w))[0]!;
      const day = firstKey.split("/")[2]!;
      const extra = `decisions/credit-risk/${day}/99-extra.ndjson.gz`;
      await putSigned(extra, gzipSync(`${JSON.stringify(record)}\n`));
      const keys = await list();
      expect(keys.length).toBeGreaterThanOrEqual(2);

      const first = await verify();
      expect(first.code).toBe(0);
      expect(first.json).toMatchObject({ valid: keys.length, invalid: [], inventory: { dir, unchanged: 0, added: keys.length, gone: 0 } });
      const file = join(dir, "credit-risk", `${day.slice(3)}.jsonl`);
      expect(readFileSync(file, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { key: string }).key)).toEqual([...keys].sort());
      expect((await verify()).json).toMatchObject({ invalid: [], inventory: { unchanged: keys.length, added: 0, gone: 0 } });

      // A genuine object deleted; another replaced by other bytes under a valid signature (the key holder's).
      await del(firstKey);
      await putSigned(extra, gzipSync(`${JSON.stringify({ ...record, answer: { ...record.answer, decision: "approve" } })}\n`));
      const second = await verify();
      expect(second.code).toBe(1);
      const problems = new Map((second.json!.invalid as { key: string; problem: string }[]).map((x) => [x.key, x.problem]));
      expect(problems.get(firstKey)).toMatch(/^gone: verified on .* no longer in the bucket$/);
      expect(problems.get(extra)).toMatch(/^changed since verify first saw it on .*, though signed by a trusted key$/);
      expect(problems.size).toBe(2);
      expect(second.stderr).toContain("1 object verified before is gone from the bucket");
      expect(second.json).toMatchObject({ ok: false, error: { code: "records_invalid", message: expect.stringContaining("1 object does not verify") } });

      // Every object of the day removed: the day is still checked, from the inventory.
      for (const k of await list()) await del(k);
      const third = await verify();
      expect(third.code).toBe(1);
      expect(third.json).toMatchObject({ ok: false, error: { code: "records_gone", message: expect.stringContaining(`${keys.length} objects verified before are gone`) }, objects: 0, inventory: { gone: keys.length } });

      const misuse = await runInProcess(run, w.s3, ["show", "x", "--inventory", dir], { DECISIONS_SIGNING_KEYS: entry });
      expect(misuse.code).toBe(2);
      expect(misuse.stderr).toContain("--inventory goes with verify");
    });
  });
});

describe("a DECISIONS_SIGNING_KEY that is not a key", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker({ CAPTURE: "full", DECISIONS_SIGNING_KEY: "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----" }, { capture: {} });
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
  });
  afterAll(async () => { await w.dispose(); });

  it("writes nothing unsigned: the batch is retried and the log says why, never the key", async () => {
    expect((await w.post("/predict", { instances: [applicant] })).status).toBe(200);
    let line: string | undefined;
    for (let i = 0; i < 60 && !line; i++) {
      line = w.logs.find((l) => l.includes("DECISIONS_SIGNING_KEY is not an Ed25519 private key"));
      if (!line) await new Promise((r) => setTimeout(r, 100));
    }
    expect(line).toContain("batch retried, nothing written");
    expect(line).not.toContain("bm90IGEga2V5");
    const written = await waitForDecisions(w, (ws) => ws.length > 0, 1_500);
    expect(written).toHaveLength(0);
  });
});
