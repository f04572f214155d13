/**
 * Candidate publishes and challenger moves in the registry, against
 * Miniflare's S3 endpoint and a signing key: a candidate publish leaves current
 * where it is and is a signed history record; canary and shadow are signed
 * compare-and-swap moves the history verifies; promote of the canary's version
 * ends the canary in the same move; nonsense is refused with exit 2 and
 * nothing moves; gc never deletes a challenger.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../shared/artifact.ts";
import type { Signing } from "../shared/signing.ts";
import type { FeatureSpec } from "../shared/spec.ts";
import { publishTo } from "../train/job.ts";
import { readHistory, readPointerState } from "../train/registry/history.ts";
import type { KeyPair } from "../train/registry/keys.ts";
import type { Artifact } from "../train/store/package.ts";
import { createS3Client } from "../train/store/storage.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { models, variant } from "./helpers/registry.ts";
import { testKey } from "./helpers/signing.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

describe("candidates, canaries and shadows in the registry (signed store)", () => {
  let key: KeyPair;
  let signing: Signing;
  let w: TestWorker;
  let base: Artifact;
  let client: ReturnType<typeof createS3Client>;

  beforeAll(async () => {
    ({ key, signing } = await testKey());
    w = await startWorker({ MODEL_SIGNING_KEYS: key.entry });
    base = readArtifact(fixtures().artifactDirs[0]);
    client = createS3Client(w.s3);
  });
  afterAll(async () => {
    client.destroy();
    await w.dispose();
  });

  const v = (name: string, n: number) => variant(base, name, n.toString(16).padStart(8, "0"));
  const publish = (a: Artifact, candidate = false) => publishTo(w.s3, a, { actor: "ci@example.com", reason: candidate ? "seed 7 candidate" : "nightly", signing, candidate });
  const env = () => ({ EDGESCORE_SIGNING_KEY: key.privatePem, MODEL_SIGNING_KEYS: key.entry });
  const cli = (name: string, argv: string[]) => models(w.s3, [...argv, "--model", name, "--json"], env());
  const pointerText = async (name: string) => (await (await w.bucket()).get(keys.pointer(name)))!.text();
  const state = (name: string) => readPointerState({ client, bucket: w.s3.bucket, name });
  const records = async (name: string) => (await readHistory({ client, bucket: w.s3.bucket, name })).map((s) => s.record!);

  it("a candidate publish leaves current where it is, is a signed history record, and list shows it as a candidate", async () => {
    const name = "r-candidate";
    const [a, b] = [v(name, 1), v(name, 2)];
    await publish(a);
    const before = (await state(name)).pointer!;
    const res = await publish(b, true);
    const after = (await state(name)).pointer!;
    expect({ version: after.version, manifestSha256: after.manifestSha256 }).toEqual({ version: a.version, manifestSha256: before.manifestSha256 });
    expect(res.record).toMatchObject({ seq: 2, action: "candidate", from: a.version, to: a.version, candidate: { version: b.version }, signatures: [{ keyid: key.keyid }] });
    expect((await records(name)).map((r) => r.action)).toEqual(["publish", "candidate"]);
    const verify = await cli(name, ["history", "--verify"]);
    expect(verify.code, verify.stderr).toBe(0);
    const list = await cli(name, ["list"]);
    expect(list.json!.versions).toEqual(expect.arrayContaining([
      expect.objectContaining({ version: b.version, current: false, role: "candidate", publishedBy: "ci@example.com" }),
      expect.objectContaining({ version: a.version, current: true, role: "current" }),
    ]));
    // The edge still answers with current.
    const answer = await w.post(`/models/${name}/predict?explain=false`, { instances: [fixtures().parity[0]!.instance] });
    expect(((await answer.json()) as { model: { version: string } }).model.version).toBe(a.version);
  });

  it("rollback after a candidate, a canary, a shadow and their stops goes to the version current before this one, skipping the moves that left current in place", async () => {
    const name = "r-rollback";
    const [a, b, c] = [v(name, 1), v(name, 2), v(name, 3)];
    await publish(a);
    await publish(b);
    await publish(c, true);
    expect((await cli(name, ["canary", c.version, "--share", "0.2", "--reason", "try"])).code).toBe(0);
    expect((await cli(name, ["shadow", c.version, "--reason", "watch"])).code).toBe(0);
    // One version as both canary and shadow: list and show name both roles.
    expect((await cli(name, ["show", c.version])).json).toMatchObject({ role: "canary, 20 % of callers; shadow" });
    expect((await cli(name, ["list"])).json!.versions).toEqual(expect.arrayContaining([expect.objectContaining({ version: c.version, role: "canary 20 %, shadow" })]));
    expect((await cli(name, ["history", "--verify"])).json!.serving).toEqual([
      { role: "current", version: b.version, manifestSha256: expect.any(String) },
      { role: "canary and shadow", version: c.version, manifestSha256: expect.any(String) },
    ]);
    expect((await cli(name, ["shadow", "--stop", "--reason", "enough"])).code).toBe(0);
    const back = await cli(name, ["rollback", "--reason", "b misbehaves"]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.json).toMatchObject({ status: "moved", action: "rollback", version: a.version, previous: b.version });
    // The canary outlives the rollback, as any move keeps the challengers; a second rollback undoes the first.
    expect((await state(name)).pointer!.challengers?.canary?.version).toBe(c.version);
    expect((await cli(name, ["canary", "--stop", "--reason", "done"])).code).toBe(0);
    const again = await cli(name, ["rollback", "--reason", "undo"]);
    expect(again.json).toMatchObject({ status: "moved", version: b.version, previous: a.version });
    expect((await records(name)).map((r) => r.action)).toEqual(["publish", "publish", "candidate", "canary", "shadow", "shadow-stop", "rollback", "canary-stop", "rollback"]);
    expect((await cli(name, ["history", "--verify"])).code).toBe(0);
  });

  it("refuses nonsense with exit 2 and the fix, and moves nothing", async () => {
    const name = "r-refuse";
    const [a, b] = [v(name, 1), v(name, 2)];
    await publish(a);
    await publish(b, true);
    const pointer = await pointerText(name);
    const cases: [string[], RegExp][] = [
      [["canary", b.version, "--share", "0", "--reason", "x"], /--share: expected a share above 0 and at most 1/],
      [["canary", b.version, "--share", "1.5", "--reason", "x"], /--share: expected a share above 0 and at most 1/],
      [["canary", b.version, "--reason", "x"], /canary needs --share/],
      [["canary", b.version, "--share", "0.1"], /--reason "\.\.\." is required/],
      [["canary", a.version, "--share", "0.1", "--reason", "x"], /is the current version .* Name another version/],
      [["canary", "20261129T081500Z-deadbeef", "--share", "0.1", "--reason", "x"], /has no version 20261129T081500Z-deadbeef; npm run models -- list/],
      [["canary", "latest", "--share", "0.1", "--reason", "x"], /"latest" is not a version id/],
      [["shadow", a.version], /is the current version/],
      [["canary", "--stop", "--share", "0.2"], /--stop takes no version and no --share/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(name, argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.json, argv.join(" ")).toMatchObject({ ok: false, error: { code: "usage", message: expect.stringMatching(message) } });
    }
    expect(await pointerText(name)).toBe(pointer);
    expect((await records(name)).length).toBe(2);
  });

  it("canary, shadow and their stops are signed moves that keep current; promote of the canary's version ends it in the same move; history verifies", async () => {
    const name = "r-moves";
    const [a, b, c] = [v(name, 1), v(name, 2), v(name, 3)];
    await publish(a);
    await publish(b, true);
    await publish(c, true);
    const canary = await cli(name, ["canary", b.version, "--share", "0.1", "--reason", "first look"]);
    expect(canary.code, canary.stderr).toBe(0);
    expect(canary.json).toMatchObject({ status: "moved", action: "canary", current: a.version, challengers: { canary: { version: b.version, share: 0.1 } } });
    expect((await cli(name, ["canary", b.version, "--share", "0.1", "--reason", "again"])).json).toMatchObject({ status: "unchanged" });
    expect((await cli(name, ["canary", b.version, "--share", "0.3", "--reason", "wider"])).json).toMatchObject({ challengers: { canary: { share: 0.3 } } });
    expect((await cli(name, ["shadow", c.version])).json).toMatchObject({ challengers: { canary: { version: b.version, share: 0.3 }, shadow: { version: c.version } } });
    expect((await cli(name, ["show", b.version])).json).toMatchObject({ role: "canary, 30 % of callers" });
    expect((await state(name)).pointer).toMatchObject({ version: a.version, challengers: { canary: { version: b.version, share: 0.3 }, shadow: { version: c.version } } });

    const promoted = await cli(name, ["promote", b.version, "--reason", "canary looked right"]);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.json).toMatchObject({ version: b.version, ended: ["canary"], challengers: { shadow: { version: c.version } } });
    expect((await state(name)).pointer!.challengers).toEqual({ shadow: { version: c.version, manifestSha256: expect.any(String) } });
    expect((await cli(name, ["shadow", "--stop"])).json).toMatchObject({ action: "shadow-stop", challengers: null });
    expect((await cli(name, ["canary", "--stop"])).json).toMatchObject({ status: "unchanged" });
    // Published as candidates, then put on traffic: b is current, c (the shadow, stopped) is no longer a candidate.
    expect((await cli(name, ["list"])).json!.versions).toEqual(expect.arrayContaining([
      expect.objectContaining({ version: b.version, role: "current" }),
      expect.objectContaining({ version: c.version, role: null }),
      expect.objectContaining({ version: a.version, role: null }),
    ]));

    const all = await records(name);
    expect(all.map((r) => r.action)).toEqual(["publish", "candidate", "candidate", "canary", "canary", "shadow", "promote", "shadow-stop"]);
    expect(all.every((r) => r.signatures?.[0]?.keyid === key.keyid)).toBe(true);
    const verify = await models(w.s3, ["history", "--verify", "--model", name], env());
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/ shadow +20\d+T\d+Z-00000001 +20\d+T\d+Z-00000001 +canary 20\d+T\d+Z-00000002 30 %, shadow 20\d+T\d+Z-00000003 /);
    expect(verify.stdout).toMatch(/chain intact: 8 records/);
  });

  it("gc never deletes the canary or the shadow, however old", async () => {
    const name = "r-gc";
    const vs = [1, 2, 3, 4, 5, 6].map((n) => v(name, n));
    await publish(vs[0]!);
    await publish(vs[1]!, true);
    await publish(vs[2]!, true);
    expect((await cli(name, ["canary", vs[1]!.version, "--share", "0.5", "--reason", "x"])).code).toBe(0);
    expect((await cli(name, ["shadow", vs[2]!.version])).code).toBe(0);
    for (const x of vs.slice(3)) await publish(x);
    // The roles alone, not the versions that answered requests recently (kept by default; test/models.test.ts).
    const plan = await cli(name, ["gc", "--keep", "1", "--keep-served-within", "0d"]);
    expect(plan.code, plan.stderr).toBe(0);
    const kept = (plan.json!.keep as { version: string; why: string[] }[]);
    expect(kept.find((k) => k.version === vs[1]!.version)?.why).toContain("canary");
    expect(kept.find((k) => k.version === vs[2]!.version)?.why).toContain("shadow");
    // Kept: the newest (current), the one current before the last move, the canary and the shadow.
    expect(plan.json!.remove).toEqual([vs[3]!.version, vs[0]!.version]);
  });
  it("a shadow whose features differ from current's is refused as a canary is (signature_changed, --allow-signature-change to go ahead); compare then says it is configured but has no answers, and why", async () => {
    const name = "r-shadow-sig";
    const a = v(name, 1);
    // Another feature signature on the same network: one numeric feature's accepted range narrowed.
    const narrowed = (s: FeatureSpec): FeatureSpec => {
      const f = s.features.find((x) => x.type === "numeric")!;
      Object.assign(f, { min: 0, max: 1 });
      return s;
    };
    const b = variant(base, name, "00000002", narrowed);
    const feature = b.manifest.spec.features.find((x) => x.type === "numeric")!.name;
    await publish(a);
    await publish(b, true);
    const refused = await cli(name, ["shadow", b.version]);
    expect(refused.code).toBe(1);
    expect(refused.json).toMatchObject({ ok: false, error: { code: "signature_changed" } });
    const message = (refused.json!.error as { message: string }).message;
    expect(message).toContain(`feature "${feature}": range narrowed`);
    expect(message).toContain("the shadow would refuse requests the serving version accepts (shadow_refused");
    expect(message).toContain("--allow-signature-change");
    expect((await state(name)).pointer!.challengers).toBeUndefined();
    expect((await records(name)).map((r) => r.action)).toEqual(["publish", "candidate"]);

    const allowed = await cli(name, ["shadow", b.version, "--allow-signature-change", "--reason", "see how it scores anyway"]);
    expect(allowed.json).toMatchObject({ ok: true, status: "moved", challengers: { shadow: { version: b.version } }, record: { signatureChange: [expect.stringContaining(`feature "${feature}": range narrowed`)] } });

    // No decision records for this model: compare does not advise starting a shadow that is running.
    const compare = await cli(name, ["compare"]);
    expect(compare.code).toBe(0);
    expect(compare.json).toMatchObject({ shadows: [], canaries: [], unanswered: [{ role: "shadow", version: b.version, why: expect.stringContaining("its features differ from the current version's") }] });
    const text = await models(w.s3, ["compare", "--model", name], env());
    expect(text.stdout).toContain(`shadow ${b.version} is configured but has no recorded answers in this range: its features differ from the current version's (feature "${feature}": range narrowed`);
    expect(text.stdout).toContain("shadow_refused in the Worker's log");
    expect(text.stdout).not.toContain("start one with");
    // A compatible canary with no records either: the reason is what the records say.
    const c = v(name, 3);
    await publish(c, true);
    expect((await cli(name, ["canary", c.version, "--share", "0.1", "--reason", "try"])).code).toBe(0);
    expect((await cli(name, ["compare"])).json!.unanswered).toEqual([
      { role: "canary", version: c.version, why: "there are no decision records at all in this range: no traffic, or the Worker does not capture them (CAPTURE)" },
      { role: "shadow", version: b.version, why: expect.stringContaining("its features differ") },
    ]);
  });
});
