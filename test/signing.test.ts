/**
 * Signed models and signed history, against a real Worker in workerd with
 * MODEL_SIGNING_KEYS set and Miniflare's S3 endpoint as the bucket. The
 * attacker here can write anything in the bucket (a leaked R2 token) but does
 * not have the signing key: nothing they write may change what is served, and
 * `history --verify` must say what they did without writing anything.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys, MANIFEST_FILE, SIGNATURE_FILE, WEIGHTS_FILE } from "../shared/artifact.ts";
import { sha256Hex } from "../shared/hash.ts";
import { historyKey } from "../shared/move.ts";
import { MANIFEST_PAYLOAD, MOVE_PAYLOAD, sign, type Signing } from "../shared/signing.ts";
import { publishTo } from "../train/job.ts";
import { readPointerState } from "../train/registry/history.ts";
import type { KeyPair } from "../train/registry/keys.ts";
import { pointerBytes, type RegistryPointer } from "../train/registry/records.ts";
import type { Artifact } from "../train/store/package.ts";
import { writeVersionObjects } from "../train/store/publish.ts";
import { createS3Client } from "../train/store/storage.ts";
import type { Location } from "../train/store/versions.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { models, variant } from "./helpers/registry.ts";
import { runInProcess } from "./helpers/cli.ts";
import { run as scoreCommand } from "../train/cli/score.ts";
import { testKey } from "./helpers/signing.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const applicant = fixtures().parity[0]!.instance;

describe("signing: a bucket writer alone can change neither what is served nor what the audit says", () => {
  let key: KeyPair;
  let signing: Signing;
  let w: TestWorker;
  let base: Artifact;
  const clients: ReturnType<typeof createS3Client>[] = [];

  beforeAll(async () => {
    ({ key, signing } = await testKey());
    // Refresh 0: every request re-reads the pointer, so a forgery is judged at once.
    w = await startWorker({ MODEL_SIGNING_KEYS: key.entry, MODEL_REFRESH_SECONDS: "0" });
    base = readArtifact(fixtures().artifactDirs[0]);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await w.dispose();
  });

  const loc = (name: string, s: Signing | undefined = signing): Location => {
    const client = createS3Client(w.s3);
    clients.push(client);
    return { client, bucket: w.s3.bucket, name, ...(s ? { signing: s } : {}) };
  };
  const v = (name: string, n: number) => variant(base, name, n.toString(16).padStart(8, "0"));
  /** Publishes with the test key, or as `s` says (null: no keys at all). */
  const publish = (a: Artifact, s: Signing | null = signing) => publishTo(w.s3, a, { actor: "ci@example.com", reason: "nightly", ...(s ? { signing: s } : {}) });
  const predict = async (name: string) => {
    const res = await w.post(`/models/${name}/predict?explain=false`, { instances: [applicant] });
    const body = (await res.json()) as { model?: { version: string }; predictions?: { probability: number }[]; error?: { code: string } };
    return { status: res.status, version: body.model?.version, probability: body.predictions?.[0]?.probability, code: body.error?.code };
  };
  /** The worker's log lines arrive over its stdout, a moment after the response: wait for the refusal that names `pattern`. */
  const refused = async (logs: string[], name: string, pattern: RegExp) => {
    const hit = () => logs.find((l) => l.includes('"model_load_failed"') && l.includes(`"model":"${name}"`) && pattern.test(l));
    for (let i = 0; i < 50 && !hit(); i++) await new Promise((r) => setTimeout(r, 50));
    return hit() ?? `no refusal of ${name} matching ${pattern} in: ${logs.filter((l) => l.includes(name)).join("\n")}`;
  };
  const bucketKeys = async (name: string) => {
    const out = await loc(name).client.send(new ListObjectsV2Command({ Bucket: w.s3.bucket, Prefix: `${name}/` }));
    return (out.Contents ?? []).map((o) => `${o.Key}:${o.ETag}`).sort();
  };
  const verifyEnv = () => ({ MODEL_SIGNING_KEYS: key.entry });

  it("serves a version published with the trusted key; the load log names the key", async () => {
    const a = v("s-ok", 1);
    const res = await publish(a);
    expect(res.pointer.move?.signatures?.[0]?.keyid).toBe(key.keyid);
    expect(await predict("s-ok")).toMatchObject({ status: 200, version: a.version });
    const loaded = () => w.logs.some((l) => l.includes('"event":"model_loaded"') && l.includes('"model":"s-ok"') && l.includes(`"move":"${key.keyid}"`) && l.includes(`"manifest":"${key.keyid}"`));
    for (let i = 0; i < 50 && !loaded(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(loaded()).toBe(true);
  });

  it("refuses a forged artifact (weights changed and every hash rewritten to match): the last good version keeps serving", async () => {
    const name = "s-forged";
    const good = v(name, 1);
    await publish(good);
    const before = await predict(name);
    expect(before).toMatchObject({ status: 200, version: good.version });

    // The attacker rewrites the weights and every hash that names them: the manifest's entry, the pointer's manifestSha256.
    const l = loc(name);
    const weights = new Uint8Array(good.files.get(WEIGHTS_FILE)!.byteLength); // all zeros: the same answer for everyone
    const manifest = structuredClone(good.manifest);
    manifest.files[WEIGHTS_FILE] = { sha256: await sha256Hex(weights), bytes: weights.byteLength };
    const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
    const bucket = await w.bucket();
    await bucket.put(keys.file(name, good.version, WEIGHTS_FILE), weights);
    await bucket.put(keys.file(name, good.version, MANIFEST_FILE), manifestBytes);
    const state = await readPointerState(l);
    await bucket.put(keys.pointer(name), pointerBytes({ ...state.pointer!, manifestSha256: await sha256Hex(manifestBytes) }));

    expect(await predict(name)).toEqual(before);
    expect(await refused(w.logs, name, /signature by key [0-9a-f]{16} does not verify/)).toMatch(/signature by key [0-9a-f]{16} does not verify/);

    // A fresh isolate that never saw the good version has nothing to serve: 503, never the forgery.
    const fresh = await startWorker({ MODEL_SIGNING_KEYS: key.entry });
    try {
      await publishTo(fresh.s3, good, { actor: "ci", reason: "r", signing });
      const fb = await fresh.bucket();
      const pointer = (await readPointerState({ client: createS3Client(fresh.s3), bucket: fresh.s3.bucket, name })).pointer!;
      await fb.put(keys.file(name, good.version, WEIGHTS_FILE), weights);
      await fb.put(keys.file(name, good.version, MANIFEST_FILE), manifestBytes);
      await fb.put(keys.pointer(name), pointerBytes({ ...pointer, manifestSha256: await sha256Hex(manifestBytes) }));
      const res = await fresh.post(`/models/${name}/predict?explain=false`, { instances: [applicant] });
      expect(res.status).toBe(503);
      expect(await refused(fresh.logs, name, /signature by key [0-9a-f]{16} does not verify/)).toMatch(/signature by key [0-9a-f]{16} does not verify/);
    } finally {
      await fresh.dispose();
    }
  });

  it("refuses a version whose manifest is unsigned, even under a validly signed pointer", async () => {
    const name = "s-unsigned-version";
    const a = v(name, 1);
    const l = loc(name);
    await writeVersionObjects(l, a); // no manifest.sig
    // A signed pointer to it (as if the key holder were tricked into moving to it without the version being signed).
    const manifestSha256 = await sha256Hex(a.files.get(MANIFEST_FILE)!);
    const pointer: RegistryPointer = {
      name, version: a.version, manifestSha256, publishedAt: new Date().toISOString(),
      move: { seq: 1, action: "publish", from: null, reason: "r", actor: "a", revision: null, dataSha256: null, prevRecordSha256: null },
    };
    const { movePayload, recordFromPointer } = await import("../shared/move.ts");
    pointer.move!.signatures = [await sign(signing.signer!, MOVE_PAYLOAD, movePayload(recordFromPointer({ ...pointer, move: pointer.move! })))];
    await (await w.bucket()).put(keys.pointer(name), pointerBytes(pointer));
    expect(await predict(name)).toMatchObject({ status: 503, code: "model_unavailable" });
    expect(await refused(w.logs, name, /manifest\.json: it is not signed \(no manifest\.sig\); refused: signing is on/)).toMatch(/manifest\.json: it is not signed \(no manifest\.sig\); refused: signing is on/);
    // A manifest signature under the wrong payload type (a move's) does not count either.
    const wrongKind = await sign(signing.signer!, MOVE_PAYLOAD, a.files.get(MANIFEST_FILE)!);
    await (await w.bucket()).put(keys.file(name, a.version, SIGNATURE_FILE), new TextEncoder().encode(JSON.stringify({ format: "edgescore.signatures/v1", payloadType: MANIFEST_PAYLOAD, signatures: [wrongKind] })));
    await (await w.bucket()).put(keys.pointer(name), pointerBytes({ ...pointer, publishedAt: pointer.publishedAt })); // a new ETag: judged again
    expect(await predict(name)).toMatchObject({ status: 503 });
    expect(await refused(w.logs, name, /signature by key .* does not verify/)).toMatch(/signature by key .* does not verify/);
  });

  it("refuses a forged pointer move; history --verify reports it and writes nothing", async () => {
    const name = "s-forged-move";
    const [v1, v2] = [v(name, 1), v(name, 2)];
    await publish(v1);
    const l = loc(name);
    await writeVersionObjects(l, v2); // v2 exists but was never promoted
    expect(await predict(name)).toMatchObject({ status: 200, version: v1.version });
    // The review's forgery: a plausible next move (seq, actor, reason, sha256 of the last record), signatures copied over.
    const state = await readPointerState(l);
    const last = await (await w.bucket()).get(historyKey(name, 1));
    const forged: RegistryPointer = {
      name, version: v2.version, manifestSha256: await sha256Hex(v2.files.get(MANIFEST_FILE)!), publishedAt: new Date().toISOString(),
      move: { ...state.pointer!.move!, seq: 2, action: "rollback", from: v1.version, reason: "incident 4711", actor: "oncall@example.com", prevRecordSha256: await sha256Hex(new Uint8Array(await last!.arrayBuffer())) },
    };
    await (await w.bucket()).put(keys.pointer(name), pointerBytes(forged));
    expect(await predict(name)).toMatchObject({ status: 200, version: v1.version });
    expect(await refused(w.logs, name, /the pointer's move 2 \(rollback to .*\): its signature by key .* does not verify/)).toMatch(/the pointer's move 2 \(rollback to .*\): its signature by key .* does not verify/);

    const before = await bucketKeys(name);
    const check = await models(w.s3, ["history", "--verify", "--model", name, "--json"], verifyEnv());
    expect(check).toMatchObject({ code: 1, json: { ok: false, error: { code: "history_broken" } } });
    expect(JSON.stringify(check.json)).toMatch(/the pointer's move 2 \(rollback to .*\): its signature by key .* does not verify/);
    expect(await bucketKeys(name)).toEqual(before);
    // --repair refuses to put the forged move into the history.
    const repair = await models(w.s3, ["history", "--repair", "--model", name, "--json"], verifyEnv());
    expect(repair).toMatchObject({ code: 1, json: { ok: false, error: { code: "signature_invalid", message: expect.stringMatching(/refusing to write history record 2/) } } });
    expect(await bucketKeys(name)).toEqual(before);
    // list shows the pointer as it is, and warns that the edge refuses it.
    const list = await models(w.s3, ["list", "--model", name, "--json"], verifyEnv());
    expect(list).toMatchObject({ code: 0, json: { current: v2.version, pointerSigned: false } });
    expect(list.stderr).toContain(`warning: the pointer's move to ${v2.version} is not validly signed by a trusted key: the edge refuses it`);

    // Batch scoring of "current" acts only on what the edge would serve.
    const { mkdtempSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const out = join(mkdtempSync(join(tmpdir(), "edgescore-signed-score-")), "scores.csv");
    const scored = await runInProcess(scoreCommand, w.s3, ["--data", "data/credit_data.csv", "--out", out, "--model", name, "--json"], verifyEnv());
    expect(scored).toMatchObject({ code: 1, json: { ok: false, error: { code: "signature_invalid", message: expect.stringMatching(/is not a signed move/) } } });

    // The way back: a signed move over the forgery, which is passed over (not recorded) and linked around.
    const restore = await models(w.s3, ["promote", v1.version, "--reason", "replace the forged pointer", "--model", name, "--json"], { ...verifyEnv(), EDGESCORE_SIGNING_KEY: key.privatePem });
    expect(restore).toMatchObject({ code: 0, json: { ok: true, status: "moved", record: { seq: 2, from: v1.version, to: v1.version } } });
    expect(restore.stderr).toMatch(/the pointer's move 2 \(rollback to .*\) is not validly signed \(its signature by key .* does not verify .*\): it is not recorded, and this move follows record 1/);
    expect((await models(w.s3, ["history", "--verify", "--model", name, "--json"], verifyEnv())).json).toMatchObject({ ok: true, verify: { signatures: { signed: 2 } } });
    expect(await predict(name)).toMatchObject({ status: 200, version: v1.version });
  });

  it("refuses an older signed pointer put back (replay), in an isolate that served a newer one and in a fresh one", async () => {
    const name = "s-replay";
    const [v1, v2] = [v(name, 1), v(name, 2)];
    const first = await publish(v1);
    await publish(v2);
    expect(await predict(name)).toMatchObject({ status: 200, version: v2.version });
    await (await w.bucket()).put(keys.pointer(name), pointerBytes(first.pointer));
    expect(await predict(name)).toMatchObject({ status: 200, version: v2.version });
    expect(await refused(w.logs, name, /move 1 is older than move 2, which this isolate already served/)).toMatch(/move 1 is older than move 2, which this isolate already served/);

    const before = await bucketKeys(name);
    const check = await models(w.s3, ["history", "--verify", "--model", name, "--json"], verifyEnv());
    expect(check.code).toBe(1);
    expect(JSON.stringify(check.json)).toMatch(/the pointer carries move 1 .* but the history goes on to move 2: an older pointer was put back \(replayed\)/);
    expect(await bucketKeys(name)).toEqual(before);

    const fresh = await startWorker({ MODEL_SIGNING_KEYS: key.entry });
    try {
      await publishTo(fresh.s3, v1, { actor: "ci", reason: "r", signing });
      const older = (await readPointerState({ client: createS3Client(fresh.s3), bucket: fresh.s3.bucket, name })).pointer!;
      await publishTo(fresh.s3, v2, { actor: "ci", reason: "r", signing });
      await (await fresh.bucket()).put(keys.pointer(name), pointerBytes(older));
      const res = await fresh.post(`/models/${name}/predict?explain=false`, { instances: [applicant] });
      expect(res.status).toBe(503);
      expect(await refused(fresh.logs, name, /the history already records move 2/)).toMatch(/the history already records move 2/);
    } finally {
      await fresh.dispose();
    }
  });

  it("a move without the signing key onto a signed store is refused before anything is written", async () => {
    const name = "s-nokey";
    await publish(v(name, 1));
    const before = await bucketKeys(name);
    await expect(publish(v(name, 2), { trusted: signing.trusted })).rejects.toThrow(/this command has no signing key/);
    await expect(publish(v(name, 3), null)).rejects.toThrow(/the pointer of "s-nokey" is signed, and this command has no signing key/);
    expect(await bucketKeys(name)).toEqual(before);
    const promote = await models(w.s3, ["promote", v(name, 1).version, "--reason", "r", "--model", name, "--json"], verifyEnv());
    expect(promote.json).toMatchObject({ ok: true, status: "unchanged" });
  });

  it("history --repair writes a crashed move only when it is validly signed; gc refuses to plan on a chain that does not verify", async () => {
    const name = "s-repair";
    await publish(v(name, 1));
    await expect(publishTo(w.s3, v(name, 2), { actor: "ci", reason: "r", signing, afterSwap: () => { throw new Error("crash after the swap"); } })).rejects.toThrow("crash");
    const repair = await models(w.s3, ["history", "--repair", "--model", name, "--json"], verifyEnv());
    expect(repair).toMatchObject({ code: 0, json: { ok: true, repaired: 2, verify: { ok: true, signatures: { checked: true, signed: 2, unsigned: 0, keys: [key.keyid] } } } });

    // The attacker appends a forged move: gc will not plan deletions from a history that does not verify.
    const l = loc(name);
    const state = await readPointerState(l);
    await (await w.bucket()).put(keys.pointer(name), pointerBytes({ ...state.pointer!, move: { ...state.pointer!.move!, seq: 3, reason: "forged" } }));
    const gc = await models(w.s3, ["gc", "--keep", "1", "--model", name, "--json"], verifyEnv());
    expect(gc).toMatchObject({ code: 1, json: { ok: false, error: { code: "history_broken", message: expect.stringMatching(/does not verify .* gc will not plan/) } } });
  });

  it("keygen writes a 0600 private key and the MODEL_SIGNING_KEYS entry; sign adds a rotated key's signature to a version", async () => {
    const { mkdtempSync, readFileSync, statSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "edgescore-keys-"));
    const gen = await models(w.s3, ["keygen", "--out", dir, "--json"]);
    expect(gen).toMatchObject({ code: 0, json: { ok: true, command: "keygen", keyId: expect.stringMatching(/^[0-9a-f]{16}$/) } });
    expect(statSync(join(dir, "signing.key")).mode & 0o777).toBe(0o600);
    const entry = readFileSync(join(dir, "signing.pub"), "utf8").trim();
    expect(entry).toBe(gen.json!.modelSigningKeys);
    expect((await models(w.s3, ["keygen", "--out", dir])).code).toBe(2); // never overwrites

    // Rotation: a version signed by the old key, signed again by the new one, verifies under the new key alone.
    const name = "s-rotate";
    await publish(v(name, 1));
    const rotated = { EDGESCORE_SIGNING_KEY: join(dir, "signing.key"), MODEL_SIGNING_KEYS: `${key.entry},${entry}` };
    const signed = await models(w.s3, ["sign", "current", "--model", name, "--json"], rotated);
    expect(signed.json).toMatchObject({ ok: true, keyId: gen.json!.keyId, pointer: { seq: 2, recorded: true } });
    // Again with the same key: the move is already signed by it, and it says so instead of a new record.
    const again = await models(w.s3, ["sign", "current", "--model", name], rotated);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`the pointer's move to it is already signed by key ${gen.json!.keyId}: no history record`);
    // The old key can now leave MODEL_SIGNING_KEYS: the version and the pointer verify under the new key alone.
    const onlyNew = { MODEL_SIGNING_KEYS: entry };
    const show = await models(w.s3, ["show", "current", "--model", name, "--json"], onlyNew);
    expect(show.json).toMatchObject({ ok: true, integrity: { ok: true } });
    const history = await models(w.s3, ["history", "--verify", "--model", name, "--json"], onlyNew);
    expect(history).toMatchObject({ code: 1 }); // record 1 was signed by the old key only: the new key alone cannot vouch for it
    expect(JSON.stringify(history.json)).toMatch(/record 1: it is signed only by key [0-9a-f]{16}, which is not trusted/);
    const both = await models(w.s3, ["history", "--verify", "--model", name, "--json"], { MODEL_SIGNING_KEYS: `${key.entry},${entry}` });
    expect(both.json).toMatchObject({ ok: true, verify: { signatures: { checked: true, signed: 2 } } });
  });
});
