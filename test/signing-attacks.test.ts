/**
 * Red-team checks of signing beyond test/signing.test.ts: a bucket writer
 * (no signing key) tries to get a Node command to vouch for, or act on, what
 * they wrote, and to get `history --verify` to call a tampered log intact.
 * Same harness: the built Worker in workerd, the bucket through Miniflare's S3 endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys, MANIFEST_FILE, SIGNATURE_FILE } from "../shared/artifact.ts";
import { sha256Hex } from "../shared/hash.ts";
import { historyKey, HISTORY_FORMAT, movePayload, recordBytes, recordFromPointer, type HistoryRecord } from "../shared/move.ts";
import { MANIFEST_PAYLOAD, parseTrustedKeys, sign, type Signing } from "../shared/signing.ts";
import { publishTo } from "../train/job.ts";
import { readPointerState } from "../train/registry/history.ts";
import type { KeyPair } from "../train/registry/keys.ts";
import { pointerBytes, type RegistryPointer } from "../train/registry/records.ts";
import type { Artifact } from "../train/store/package.ts";
import { writeVersionObjects } from "../train/store/publish.ts";
import { signManifest } from "../train/store/version-signature.ts";
import { createS3Client } from "../train/store/storage.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { models, variant } from "./helpers/registry.ts";
import { testKey } from "./helpers/signing.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const applicant = fixtures().parity[0]!.instance;

describe("signing attacks: what a bucket writer tries beyond the basic forgeries", () => {
  let key: KeyPair;
  let signing: Signing;
  let w: TestWorker;
  let base: Artifact;
  let client: ReturnType<typeof createS3Client>;

  beforeAll(async () => {
    ({ key, signing } = await testKey());
    w = await startWorker({ MODEL_SIGNING_KEYS: key.entry, MODEL_REFRESH_SECONDS: "0" });
    base = readArtifact(fixtures().artifactDirs[0]);
    client = createS3Client(w.s3);
  });
  afterAll(async () => {
    client.destroy();
    await w.dispose();
  });

  const v = (name: string, n: number) => variant(base, name, n.toString(16).padStart(8, "0"));
  const publish = (a: Artifact) => publishTo(w.s3, a, { actor: "ci@example.com", reason: "nightly", signing });
  const pointerOf = async (name: string) => (await readPointerState({ client, bucket: w.s3.bucket, name })).pointer!;
  const put = async (k: string, body: Uint8Array) => (await w.bucket()).put(k, body);
  const bytesAt = async (k: string) => { const o = await (await w.bucket()).get(k); return o ? new Uint8Array(await o.arrayBuffer()) : undefined; };
  const predict = async (name: string) => {
    const res = await w.post(`/models/${name}/predict?explain=false`, { instances: [applicant] });
    return { status: res.status, version: ((await res.json()) as { model?: { version: string } }).model?.version };
  };
  /** Whether the worker logged (its stdout arrives a moment after the response) a refusal of `name` matching `pattern`. */
  const refusal = async (name: string, pattern: RegExp) => {
    const hit = () => w.logs.some((l) => l.includes('"model_load_failed"') && l.includes(`"model":"${name}"`) && pattern.test(l));
    for (let i = 0; i < 50 && !hit(); i++) await new Promise((r) => setTimeout(r, 50));
    return hit();
  };
  /** The key holder's environment for the CLI: the private key inline, the Worker's key list. */
  const keyEnv = () => ({ EDGESCORE_SIGNING_KEY: key.privatePem, MODEL_SIGNING_KEYS: key.entry });
  /** The attacker's pointer and its history record, well linked after record `seq - 1`, signatures copied from the real move. */
  const forgeMove = async (name: string, version: Artifact, change: Partial<RegistryPointer["move"]> & { seq: number }) => {
    const real = await pointerOf(name);
    const prev = await bytesAt(historyKey(name, change.seq - 1));
    const forged: RegistryPointer = {
      name, version: version.version, manifestSha256: await sha256Hex(version.files.get(MANIFEST_FILE)!), publishedAt: new Date().toISOString(),
      move: { ...real.move!, from: real.version, ...change, prevRecordSha256: await sha256Hex(prev!) },
    };
    await put(keys.pointer(name), pointerBytes(forged));
    await put(historyKey(name, change.seq), recordBytes(recordFromPointer({ ...forged, move: forged.move! })));
    return forged;
  };

  it("history --verify does not call a chain intact beside a forged record 0 that the listing shows", async () => {
    const name = "a-zero";
    const a = v(name, 1);
    await publish(a);
    const fake: HistoryRecord = {
      format: HISTORY_FORMAT, name, seq: 0, at: "2020-01-01T00:00:00.000Z", action: "publish", from: null, to: a.version,
      manifestSha256: "0".repeat(64), reason: "approved by the board", actor: "ceo@example.com", revision: null, dataSha256: null, prevSha256: null,
    };
    await put(historyKey(name, 0), recordBytes(fake));
    const check = await models(w.s3, ["history", "--verify", "--model", name, "--json"], keyEnv());
    expect(check.code).toBe(1);
    expect(JSON.stringify(check.json)).toMatch(/record 0 .*not part of the chain/);
  });

  it("MODEL_SIGNING_KEYS that names no key is malformed: the Node commands do not quietly check nothing", async () => {
    expect((await parseTrustedKeys(" , ")).ok).toBe(false);
    const name = "a-nokeys";
    await publish(v(name, 1));
    const l = { client, bucket: w.s3.bucket, name };
    await writeVersionObjects(l, v(name, 2));
    await forgeMove(name, v(name, 2), { seq: 2, reason: "forged" });
    const check = await models(w.s3, ["history", "--verify", "--model", name, "--json"], { MODEL_SIGNING_KEYS: "," });
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(/MODEL_SIGNING_KEYS/);
  });

  it("sign current refuses a current pointer the edge refuses: a forged version is never signed", async () => {
    const name = "a-launder";
    const good = v(name, 1);
    await publish(good);
    expect(await predict(name)).toMatchObject({ status: 200, version: good.version });
    const evil = v(name, 2);
    await writeVersionObjects({ client, bucket: w.s3.bucket }, evil); // the attacker's version: self-consistent, unsigned
    const manifestSha256 = await sha256Hex(evil.files.get(MANIFEST_FILE)!);
    const real = await pointerOf(name);
    // Two forgeries: a pointer without a move (as if written before the history), and one with a copied signature.
    for (const forged of [
      { name, version: evil.version, manifestSha256, publishedAt: new Date().toISOString() },
      { name, version: evil.version, manifestSha256, publishedAt: new Date().toISOString(), move: { ...real.move!, seq: 2, from: good.version } },
    ] satisfies RegistryPointer[]) {
      await put(keys.pointer(name), pointerBytes(forged));
      const signed = await models(w.s3, ["sign", "current", "--model", name, "--json"], keyEnv());
      expect(signed).toMatchObject({ code: 1, json: { ok: false, error: { code: "signature_invalid" } } });
      expect(await bytesAt(keys.file(name, evil.version, SIGNATURE_FILE))).toBeUndefined();
      expect(await pointerOf(name)).toEqual(forged);
      expect(await predict(name)).toMatchObject({ status: 200, version: good.version });
    }
  });

  it("rollback does not follow a forged pointer: no signed move to the version the attacker chose", async () => {
    const name = "a-rollback";
    const [v1, v2, v3] = [v(name, 1), v(name, 2), v(name, 3)];
    for (const a of [v1, v2, v3]) await publish(a);
    const before = await pointerOf(name);
    // A forged move 4 "from v1" to the current version, with its record written too, so the chain links.
    await forgeMove(name, v3, { seq: 4, action: "promote", from: v1.version, reason: "re-sign" });
    const rb = await models(w.s3, ["rollback", "--reason", "incident", "--model", name, "--json"], keyEnv());
    expect(rb).toMatchObject({ code: 1, json: { ok: false, error: { code: "signature_invalid" } } });
    expect((await pointerOf(name)).move?.seq).toBe(4); // nothing signed over the forgery
    // Nor does a promote link its signed move to the forged record 4.
    const promote = await models(w.s3, ["promote", v2.version, "--reason", "r", "--model", name, "--json"], keyEnv());
    expect(promote).toMatchObject({ code: 1, json: { ok: false, error: { code: "signature_invalid", message: expect.stringMatching(/history record 4/) } } });
    // A pointer stripped of its move, naming v2: the history's last move to v2 came from v1; the signed state is v3.
    await put(keys.pointer(name), pointerBytes({ name, version: v2.version, manifestSha256: await sha256Hex(v2.files.get(MANIFEST_FILE)!), publishedAt: before.publishedAt }));
    const rb2 = await models(w.s3, ["rollback", "--reason", "incident", "--model", name, "--json"], keyEnv());
    expect(rb2).toMatchObject({ code: 1, json: { ok: false, error: { code: "signature_invalid" } } });
    expect((await pointerOf(name)).version).toBe(v2.version);
  });

  it("refuses an oversized pointer or manifest.sig unread, even when its signatures verify (an isolate must not buffer a huge object)", async () => {
    const name = "a-large";
    const [v1, v2] = [v(name, 1), v(name, 2)];
    await publish(v1);
    expect(await predict(name)).toMatchObject({ status: 200, version: v1.version });
    const padding = "x".repeat(100 * 1024);
    const pointer = await bytesAt(keys.pointer(name));
    await put(keys.pointer(name), new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(pointer)), padding })));
    expect(await predict(name)).toMatchObject({ status: 200, version: v1.version });
    expect(await refusal(name, /current\.json is \d+ bytes, over the 65536/)).toBe(true);
    // A signed move to v2, whose manifest.sig carries a valid signature and 100 KiB beside it.
    await publish(v2);
    const sigKey = keys.file(name, v2.version, SIGNATURE_FILE);
    await put(sigKey, new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(await bytesAt(sigKey))), padding })));
    expect(await predict(name)).toMatchObject({ status: 200, version: v1.version });
    expect(await refusal(name, /manifest\.sig is \d+ bytes, over the 65536/)).toBe(true);
    expect((await w.fetch(`/models/${name}/versions/${v2.version}/report`)).status).toBe(503);
  });

  it("refuses a version file over the size bound unread, before the manifest that lists its size is judged", async () => {
    const name = "a-huge-weights";
    const a = v(name, 1);
    await publish(a);
    await put(keys.file(name, a.version, "weights.bin"), new Uint8Array(33 * 1024 * 1024));
    expect(await predict(name)).toMatchObject({ status: 503 });
    expect(await refusal(name, /weights\.bin is 34603008 bytes, over the 33554432 a version's file may be; refused unread/)).toBe(true);
  });

  it("held: moves signed for another model or payload type, and malformed move fields, never move what is served", async () => {
    const [name, other] = ["a-held", "a-held-other"];
    const [v1, v2] = [v(name, 1), v(name, 2)];
    await publish(v1);
    await publish(v(other, 1));
    // v2 is a validly signed version nobody moved to: any forgery that passed would serve it.
    await writeVersionObjects({ client, bucket: w.s3.bucket }, v2);
    await put(keys.file(name, v2.version, SIGNATURE_FILE), await signManifest(signing.signer!, v2.files.get(MANIFEST_FILE)!));
    expect(await predict(name)).toMatchObject({ status: 200, version: v1.version });
    const real = await pointerOf(name);
    const to2 = { ...real, version: v2.version, manifestSha256: await sha256Hex(v2.files.get(MANIFEST_FILE)!) };
    const otherPointer = await pointerOf(other);
    const wrongType = await sign(signing.signer!, MANIFEST_PAYLOAD, movePayload(recordFromPointer({ ...to2, move: { ...real.move!, seq: 2 } })));
    const forgeries: [string, unknown, RegExp][] = [
      ["another model's signed pointer", otherPointer, /names model .*a-held-other/],
      ["another model's signed move, renamed", { ...otherPointer, name }, /does not verify/],
      ["a trusted key's signature over the right bytes as a manifest", { ...to2, move: { ...real.move!, seq: 2, signatures: [wrongType] } }, /does not verify/],
      ["a signature that is not base64", { ...to2, move: { ...real.move!, seq: 2, signatures: [{ keyid: key.keyid, sig: "%%%" }] } }, /does not verify/],
      ["signatures that are not a list", { ...to2, move: { ...real.move!, seq: 2, signatures: "x" } }, /move is malformed/],
      ["a seq that is a string", { ...to2, move: { ...real.move!, seq: "2" } }, /move is malformed/],
    ];
    for (const [what, forged, why] of forgeries) {
      await put(keys.pointer(name), new TextEncoder().encode(JSON.stringify(forged)));
      expect(await predict(name), what).toMatchObject({ status: 200, version: v1.version });
      expect(await refusal(name, why), what).toBe(true);
    }
  });
});
