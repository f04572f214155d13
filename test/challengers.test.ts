/**
 * Challengers on live traffic, in workerd with the bucket reachable through
 * Miniflare's S3 endpoint: a canary answers a stable, documented share of
 * callers (shared/challengers.ts), a shadow never reaches the client, a
 * challenger that cannot load leaves current's answers alone, and with signing
 * on a canary or share a bucket writer put into the pointer is never used.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys, MANIFEST_FILE, WEIGHTS_FILE } from "../shared/artifact.ts";
import { canaryPoint, inCanary } from "../shared/challengers.ts";
import { sha256Hex } from "../shared/hash.ts";
import type { Signing } from "../shared/signing.ts";
import { publishTo } from "../train/job.ts";
import type { KeyPair } from "../train/registry/keys.ts";
import { pointerBytes, parseRegistryPointer } from "../train/registry/records.ts";
import type { Artifact } from "../train/store/package.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { models, variant } from "./helpers/registry.ts";
import { testKey } from "./helpers/signing.ts";
import { settle as settleOn, sleep, waitForLog } from "./helpers/challengers.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const applicant = fixtures().parity[0]!.instance;
const settle = (w: TestWorker, name: string, event: string, role: string) => settleOn(w, name, event, role, applicant);

/** Answers `n` callers (pass-through id `<prefix><i>`, one request each), 8 at a time: which version answered each. */
async function answerCallers(w: TestWorker, name: string, ids: string[]): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const res = await w.post(`/models/${name}/predict?explain=false`, { instances: [{ ...applicant, _key: id }] });
      expect(res.status).toBe(200);
      seen.set(id, ((await res.json()) as { model: { version: string } }).model.version);
    }
  }));
  return seen;
}

describe("challengers at the edge (unsigned store)", () => {
  let w: TestWorker;
  let base: Artifact;
  let other: Artifact;
  beforeAll(async () => {
    w = await startWorker({ MODEL_REFRESH_SECONDS: "1" });
    base = readArtifact(fixtures().artifactDirs[0]);
    other = readArtifact(fixtures().artifactDirs[1]);
  });
  afterAll(async () => { await w.dispose(); });

  const publish = (a: Artifact, candidate = false) => publishTo(w.s3, a, { actor: "ci@example.com", reason: "nightly", candidate });

  it("a canary at 0.3 answers the callers the documented hash puts below 0.3: of 2,000 distinct callers within ±4σ of 600, each sticky, its version in model.version", async () => {
    const name = "c-share";
    const [a, b] = [variant(base, name, "0000000a"), variant(other, name, "0000000b")];
    await publish(a);
    await publish(b, true);
    const cmd = await models(w.s3, ["canary", b.version, "--share", "0.3", "--reason", "try seed 7", "--model", name]);
    expect(cmd.code, cmd.stderr).toBe(0);
    const ids = Array.from({ length: 2000 }, (_, i) => `applicant-${i}`);
    await settle(w, name, "challenger_loaded", "canary");
    const seen = await answerCallers(w, name, ids);
    const canary = [...seen.values()].filter((v) => v === b.version).length;
    const sigma = Math.sqrt(2000 * 0.3 * 0.7);
    expect(Math.abs(canary - 600)).toBeLessThanOrEqual(4 * sigma);
    expect(new Set(seen.values())).toEqual(new Set([a.version, b.version]));
    // Exactly the callers the documented hash routes: nothing random about who is in.
    for (const [id, version] of seen) expect(version).toBe(inCanary(name, `pass:${id}`, 0.3) ? b.version : a.version);
    // Sticky: the same callers again get the same version.
    const again = await answerCallers(w, name, ids.slice(0, 300));
    for (const [id, version] of again) expect(version).toBe(seen.get(id));
    const logged = w.logs.filter((l) => l.includes('"role":"canary"') && l.includes('"path":"/models/:name/predict"'));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((l) => l.includes(b.version))).toBe(true);
  });

  it("the hash spreads callers evenly: 20,000 keys in 10 bins, each within ±4σ", () => {
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) bins[Math.floor(canaryPoint("credit-risk", `pass:${i}`) * 10)]!++;
    const sigma = Math.sqrt(20_000 * 0.1 * 0.9);
    for (const n of bins) expect(Math.abs(n - 2000)).toBeLessThanOrEqual(4 * sigma);
  });

  it("a shadow's answer never reaches the client: the response bytes are the same with and without it, and the shadow scored the request", async () => {
    const name = "c-shadow";
    const [a, b] = [variant(base, name, "0000000a"), variant(other, name, "0000000b")];
    await publish(a);
    await publish(b, true);
    const ask = async (id: string) => {
      const res = await w.post(`/models/${name}/predict`, { instances: [applicant, { ...applicant, Amount: 1500, _key: "x-1" }] }, { "x-request-id": id });
      expect(res.status).toBe(200);
      return { body: new Uint8Array(await res.arrayBuffer()), headers: [...res.headers].filter(([k]) => k !== "date") };
    };
    const without = await ask("same-request");
    expect((await models(w.s3, ["shadow", b.version, "--model", name])).code).toBe(0);
    await settle(w, name, "challenger_loaded", "shadow");
    const withShadow = await ask("same-request");
    expect(withShadow.body).toEqual(without.body);
    expect(withShadow.headers).toEqual(without.headers);
    const scored = await waitForLog(w, (l) => l.includes('"shadow_scored"') && l.includes('"id":"same-request"'));
    expect(JSON.parse(scored!)).toMatchObject({ model: name, version: b.version, instances: 2 });
    // The log line carries ids, version, counts and time, never a feature value.
    expect(scored).not.toMatch(/1500|rent|freelance/);
    expect((await models(w.s3, ["shadow", "--stop", "--model", name])).code).toBe(0);
    await settle(w, name, "challenger_stopped", "shadow");
  });

  it("a challenger that fails to load is not used: current answers every caller, the log and the operator's /healthz say why", async () => {
    const name = "c-broken";
    const [a, b] = [variant(base, name, "0000000a"), variant(other, name, "0000000b")];
    await publish(a);
    await answerCallers(w, name, ["first"]);
    await publish(b, true);
    expect((await models(w.s3, ["canary", b.version, "--share", "1", "--reason", "all in", "--model", name])).code).toBe(0);
    expect((await models(w.s3, ["shadow", b.version, "--model", name])).code).toBe(0);
    // Damaged after the commands verified it, before any isolate loaded it.
    await (await w.bucket()).put(keys.file(name, b.version, WEIGHTS_FILE), new Uint8Array(64));
    await settle(w, name, "challenger_load_failed", "canary");
    const seen = await answerCallers(w, name, Array.from({ length: 40 }, (_, i) => `p-${i}`));
    expect(new Set(seen.values())).toEqual(new Set([a.version]));
    const health = (await (await w.fetch("/healthz")).json()) as { ok: boolean; models: Record<string, { version: string; canary?: unknown; challengerErrors?: Record<string, { version: string; error: string }> }> };
    expect(health.ok).toBe(true);
    expect(health.models[name]).toMatchObject({ version: a.version, challengerErrors: { canary: { version: b.version }, shadow: { version: b.version } } });
    expect(health.models[name]!.challengerErrors!.canary!.error).toMatch(/weights\.bin/);
    expect(health.models[name]!.canary).toBeUndefined();
  });
});

describe("challengers at the edge (signed store)", () => {
  let key: KeyPair;
  let signing: Signing;
  let w: TestWorker;
  let base: Artifact;
  let other: Artifact;
  beforeAll(async () => {
    ({ key, signing } = await testKey());
    w = await startWorker({ MODEL_SIGNING_KEYS: key.entry, MODEL_REFRESH_SECONDS: "0" });
    base = readArtifact(fixtures().artifactDirs[0]);
    other = readArtifact(fixtures().artifactDirs[1]);
  });
  afterAll(async () => { await w.dispose(); });

  const keyEnv = () => ({ EDGESCORE_SIGNING_KEY: key.privatePem, MODEL_SIGNING_KEYS: key.entry });
  const pointerText = async (name: string) => (await (await w.bucket()).get(keys.pointer(name)))!.text();

  it("a canary or share a bucket writer adds to the signed pointer is refused; the signed canary is used as signed", async () => {
    const name = "c-forged";
    const [a, b] = [variant(base, name, "0000000a"), variant(other, name, "0000000b")];
    await publishTo(w.s3, a, { actor: "ci@example.com", reason: "nightly", signing });
    await publishTo(w.s3, b, { actor: "ci@example.com", reason: "candidate", signing, candidate: true });
    const ids = Array.from({ length: 60 }, (_, i) => `s-${i}`);
    expect(new Set((await answerCallers(w, name, ids)).values())).toEqual(new Set([a.version]));

    // A writer routes every caller to b: the signed move does not cover that canary.
    const real = parseRegistryPointer(await pointerText(name));
    if (!real.ok) throw new Error(real.error);
    const bSha = await sha256Hex(b.files.get(MANIFEST_FILE)!);
    await (await w.bucket()).put(keys.pointer(name), pointerBytes({ ...real.pointer, challengers: { canary: { version: b.version, manifestSha256: bSha, share: 1 } } }));
    expect(new Set((await answerCallers(w, name, ids)).values())).toEqual(new Set([a.version]));
    expect(await waitForLog(w, (l) => l.includes('"model_load_failed"') && l.includes(`"model":"${name}"`) && /does not verify/.test(l))).toBeDefined();
    // The commands act on no forged pointer: the canary waits until a signed move replaces it.
    const refused = await models(w.s3, ["canary", b.version, "--share", "0.2", "--reason", "signed canary", "--model", name, "--json"], keyEnv());
    expect(refused).toMatchObject({ code: 1, json: { error: { code: "signature_invalid" } } });
    expect((await models(w.s3, ["promote", a.version, "--reason", "replace the forged pointer", "--model", name], keyEnv())).code).toBe(0);

    // The key holder's canary at 0.2 is used; a writer raising its share to 1 is refused, and 0.2 stays.
    const signed = await models(w.s3, ["canary", b.version, "--share", "0.2", "--reason", "signed canary", "--model", name], keyEnv());
    expect(signed.code, signed.stderr).toBe(0);
    const routed = await answerCallers(w, name, ids);
    for (const [id, v] of routed) expect(v).toBe(inCanary(name, `pass:${id}`, 0.2) ? b.version : a.version);
    expect([...routed.values()]).toContain(b.version);
    const now = parseRegistryPointer(await pointerText(name));
    if (!now.ok) throw new Error(now.error);
    await (await w.bucket()).put(keys.pointer(name), pointerBytes({ ...now.pointer, challengers: { canary: { ...now.pointer.challengers!.canary!, share: 1 } } }));
    const after = await answerCallers(w, name, ids);
    expect(after).toEqual(routed);
  });
});
