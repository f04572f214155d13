/**
 * `npm run models` and the registry against Miniflare's S3 endpoint (SigV4,
 * conditional writes), with the Worker reading the same bucket: the audit log's
 * invariants, rollback by history, promote's verification, the signature
 * guard, gc's protections, and the operator's view of the versions.
 * Each case uses its own model name, so the cases do not see each other's moves.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../shared/artifact.ts";
import { run as train } from "../train/cli/train.ts";
import { publishTo, runJob } from "../train/job.ts";
import { verifyChain } from "../train/registry/chain.ts";
import { RegistryError } from "../train/registry/errors.ts";
import { listHistorySeqs, readHistory, readPointerState } from "../train/registry/history.ts";
import { markOf, movePointer, type MoveIntent } from "../train/registry/move.ts";
import { publishArtifact } from "../train/registry/publish.ts";
import { pointerBytes, recordBytes, recordFromPointer } from "../train/registry/records.ts";
import type { Artifact } from "../train/store/package.ts";
import { writeVersionObjects } from "../train/store/publish.ts";
import { createS3Client, objectName } from "../train/store/storage.ts";
import { listVersionIds, type Location } from "../train/store/versions.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { models, variant } from "./helpers/registry.ts";
import { quickJob } from "./helpers/train-fixture.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

describe("model registry over S3 (npm run models)", () => {
  let w: TestWorker;
  let base: Artifact;
  let other: Artifact;
  /** The same data without the Price column: another feature signature. */
  let noPrice: Artifact;
  const clients: ReturnType<typeof createS3Client>[] = [];

  beforeAll(async () => {
    w = await startWorker();
    base = readArtifact(fixtures().artifactDirs[0]);
    other = readArtifact(fixtures().artifactDirs[1]);
    noPrice = (await runJob(quickJob({ ignore: ["Price"], train: { ...quickJob().train, epochs: 1 } }), { log: () => {} })).artifact!;
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await w.dispose();
  });

  const loc = (name: string): Location => {
    const client = createS3Client(w.s3);
    clients.push(client);
    return { client, bucket: w.s3.bucket, name };
  };
  /** Version `n` of model `name` (network bytes from the seed-42 or seed-7 fixture). */
  const v = (name: string, n: number, from = n % 2 ? base : other) => variant(from, name, n.toString(16).padStart(8, "0"));
  const publish = (a: Artifact, o: Parameters<typeof publishTo>[2] = {}) => publishTo(w.s3, a, { actor: "ci@example.com", reason: "nightly", ...o });
  const current = async (name: string) => (await readPointerState(loc(name))).pointer?.version;
  const records = async (name: string) => (await readHistory(loc(name))).map((s) => s.record!);
  const verified = async (name: string) => verifyChain(name, await readHistory(loc(name)), await readPointerState(loc(name)));

  it("says the store is empty, or which models it has, instead of failing obscurely", async () => {
    const empty = await models(w.s3, ["list", "--json"]);
    expect(empty).toMatchObject({ code: 1, json: { ok: false, error: { code: "model_not_found", message: expect.stringMatching(/holds no models yet; publish one with npm run train/) } } });
    await publish(v("m-one", 1));
    // Decision records share the bucket, under decisions/: a folder, not a model.
    await loc("m-one").client.send(new PutObjectCommand({ Bucket: w.s3.bucket, Key: "decisions/m-one/dt=2026-12-07/10-x.ndjson.gz", Body: new Uint8Array([0x1f, 0x8b]) }));
    const unknown = await models(w.s3, ["list", "--model", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no model named "nope" in s3:\/\/edgescore-models; it has: m-one \(--model <name>\)/);
    const reserved = await models(w.s3, ["list", "--model", "decisions"]);
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toMatch(/--model: "decisions" is not a model name: .*not "decisions" \(the decision records' folder\)/);
  });

  it("records every publish; list, show and history --verify show it", async () => {
    const [a, b] = [v("m-list", 1), v("m-list", 2)];
    await publish(a);
    await publish(b, { actor: "ana@example.com" });
    const list = await models(w.s3, ["list", "--model", "m-list", "--json"]);
    expect(list.code).toBe(0);
    expect(list.json).toMatchObject({
      ok: true, command: "list", model: "m-list", current: b.version,
      versions: [
        { version: b.version, current: true, publishedBy: "ana@example.com", task: "classification", rows: 4454, metric: { name: "test AUC", value: expect.any(Number) } },
        { version: a.version, current: false, publishedBy: "ci@example.com" },
      ],
    });
    const history = await models(w.s3, ["history", "--verify", "--model", "m-list", "--json"]);
    expect(history.json).toMatchObject({
      ok: true,
      records: [
        { seq: 1, action: "publish", from: null, to: a.version, actor: "ci@example.com", reason: "nightly", dataSha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
        { seq: 2, action: "publish", from: a.version, to: b.version, actor: "ana@example.com" },
      ],
      verify: { ok: true, records: 2 },
    });
    const show = await models(w.s3, ["show", "current", "--model", "m-list", "--json"]);
    // Every object of the version: the files the manifest lists, plus the manifest itself.
    const files = b.files.size;
    expect(files).toBe(Object.keys(b.manifest.files).length + 1);
    expect(show.json).toMatchObject({ version: b.version, current: true, integrity: { ok: true, files }, thresholds: { refer: 0.25, decline: 0.5 } });
    const text = await models(w.s3, ["show", a.version, "--model", "m-list"]);
    expect(text.stdout).toMatch(new RegExp(`integrity {3}${a.files.size} files verified`));
    expect(text.stdout).toMatch(/auc\s+0\.\d{4}\s+0\.5000/);
    // diff: a count's change is a whole number, a metric's has four decimals.
    const diff = await models(w.s3, ["diff", a.version, "current", "--model", "m-list"]);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain(`m-list: ${a.version} (a) → ${b.version} (b)`);
    expect(diff.stdout).toMatch(/\n\s*n\s+891\s+891\s+\+0\s/);
    expect(diff.stdout).toMatch(/\n\s*auc\s+0\.\d{4}\s+0\.\d{4}\s+[+-]\d\.\d{4}\s/);
  });

  it("rolls back to the version current before this one by the history, not the previous by time; --to goes elsewhere", async () => {
    const [v1, v2, v3] = [1, 2, 3].map((n) => v("m-roll", n)) as [Artifact, Artifact, Artifact];
    for (const a of [v1, v2, v3]) await publish(a);
    expect((await models(w.s3, ["promote", v1.version, "--reason", "v3 and v2 misbehave", "--model", "m-roll"])).code).toBe(0);
    // By time, nothing precedes v1; by the history, v3 was current before it.
    const back = await models(w.s3, ["rollback", "--reason", "v1 was worse", "--model", "m-roll", "--json"]);
    expect(back.json).toMatchObject({ ok: true, status: "moved", action: "rollback", version: v3.version, previous: v1.version, record: { seq: 5, actor: "tester@example.com", reason: "v1 was worse" } });
    expect(await current("m-roll")).toBe(v3.version);
    const to = await models(w.s3, ["rollback", "--to", v2.version, "--reason", "pin v2", "--model", "m-roll", "--json"]);
    expect(to.json).toMatchObject({ version: v2.version, previous: v3.version });
    expect((await records("m-roll")).map((r) => `${r.action}:${r.to.slice(-1)}`)).toEqual(["publish:1", "publish:2", "publish:3", "promote:1", "rollback:3", "rollback:2"]);
    expect((await verified("m-roll")).ok).toBe(true);
    const noop = await models(w.s3, ["promote", "current", "--reason", "again", "--model", "m-roll", "--json"]);
    expect(noop.json).toMatchObject({ ok: true, status: "unchanged" });
    expect(await listHistorySeqs(loc("m-roll"))).toHaveLength(6);
    // The version before (v3) damaged: refused, and the way out named.
    await (await w.bucket()).put(keys.file("m-roll", v3.version, "weights.bin"), new Uint8Array(100));
    const damaged = await models(w.s3, ["rollback", "--reason", "again", "--model", "m-roll", "--json"]);
    expect(damaged).toMatchObject({ code: 1, json: { ok: false, error: { code: "version_damaged", message: expect.stringMatching(/nothing changed\. Roll back to another version with rollback --to <version>/) } } });
    expect(await current("m-roll")).toBe(v2.version);
  });

  it("promote of the current version verifies it too: unchanged only when sound, exit 1 naming the damage when a file or the manifest was altered", async () => {
    const name = "m-promote-current";
    const a = v(name, 1);
    await publish(a);
    const bucket = await w.bucket();
    const promote = () => models(w.s3, ["promote", a.version, "--reason", "again", "--model", name, "--json"]);
    const sound = await promote();
    expect(sound).toMatchObject({ code: 0, json: { ok: true, status: "unchanged", version: a.version } });
    expect(sound.stderr).toContain(`verified ${name} ${a.version}: every file's sha256 against its manifest, the manifest against the pointer`);

    const weights = keys.file(name, a.version, "weights.bin");
    await bucket.put(weights, new Uint8Array(a.files.get("weights.bin")!.byteLength));
    const zeroed = await promote();
    expect(zeroed.code).toBe(1);
    expect(zeroed.json).toMatchObject({ ok: false, error: { code: "version_damaged", message: expect.stringMatching(new RegExp(`^${a.version} is the current version of "${name}" and is damaged: .*weights\\.bin: size or sha256 does not match the manifest`)) } });
    await bucket.put(weights, a.files.get("weights.bin")!);

    // A manifest edited in place (its own hashes still consistent) no longer matches the pointer's hash.
    const manifestKey = keys.file(name, a.version, "manifest.json");
    await bucket.put(manifestKey, new TextEncoder().encode(JSON.stringify({ ...a.manifest, thresholds: { refer: 0.9, decline: 0.95 } })));
    const edited = await promote();
    expect(edited.code).toBe(1);
    expect(edited.json).toMatchObject({ ok: false, error: { code: "version_damaged", message: expect.stringContaining("is the current version") } });
    expect(await listHistorySeqs(loc(name))).toEqual([1]);
  });

  it("reports a record a crash left missing between the pointer swap and the record; history --repair writes it, nothing else does", async () => {
    await publish(v("m-crash", 1));
    const next = v("m-crash", 2);
    await expect(publish(next, { afterSwap: () => { throw new Error("simulated crash after the swap"); } })).rejects.toThrow("simulated crash");
    expect(await current("m-crash")).toBe(next.version);
    expect(await listHistorySeqs(loc("m-crash"))).toEqual([1]);
    // Read-only commands, --verify included, never write; they say the record is missing and how to write it.
    for (const argv of [["list"], ["show", "current"], ["diff", v("m-crash", 1).version, "current"], ["history"]]) {
      const r = await models(w.s3, [...argv, "--model", "m-crash"]);
      expect(r.code, argv.join(" ")).toBe(0);
      expect(r.stderr, argv.join(" ")).toContain(`warning: the pointer's move 2 (publish to ${next.version}) has no history record (a crash between the pointer swap and its record, or a pointer written outside the registry); this command does not write: \`npm run models -- history --repair\` writes it`);
    }
    const check = await models(w.s3, ["history", "--verify", "--model", "m-crash", "--json"]);
    expect(check).toMatchObject({ code: 1, json: { ok: false, error: { code: "history_broken", message: expect.stringMatching(/the pointer records move 2, but the log ends at 1: its record is missing .*history --repair/) } } });
    expect(await listHistorySeqs(loc("m-crash"))).toEqual([1]);
    const repair = await models(w.s3, ["history", "--repair", "--model", "m-crash", "--json"]);
    expect(repair).toMatchObject({ code: 0, json: { ok: true, repaired: 2, verify: { ok: true } } });
    expect(repair.stderr).toMatch(/history: wrote the missing record 2 \(publish to .*\) from the pointer/);
    const state = await readPointerState(loc("m-crash"));
    const stored = await readHistory(loc("m-crash"));
    expect(stored.map((s) => s.seq)).toEqual([1, 2]);
    expect(stored[1]!.bytes).toEqual(recordBytes(recordFromPointer({ ...state.pointer!, move: state.pointer!.move! })));
    expect(stored[1]!.record).toMatchObject({ action: "publish", from: v("m-crash", 1).version, to: next.version, actor: "ci@example.com" });
    expect((await verified("m-crash")).ok).toBe(true);
    expect((await models(w.s3, ["list", "--model", "m-crash"])).stderr).not.toContain("has no history record");
  });

  it("never records a move that did not happen: damaged version, signature refused, stale pointer", async () => {
    const l = loc("m-refuse");
    const v1 = v("m-refuse", 1);
    await publish(v1);
    const damaged = v("m-refuse", 2);
    await writeVersionObjects(l, damaged);
    await (await w.bucket()).put(keys.file("m-refuse", damaged.version, "weights.bin"), new Uint8Array(damaged.files.get("weights.bin")!.byteLength));
    const bad = await models(w.s3, ["promote", damaged.version, "--reason", "try", "--model", "m-refuse", "--json"]);
    expect(bad.json).toMatchObject({ ok: false, error: { code: "version_damaged", message: expect.stringMatching(/weights\.bin: size or sha256 does not match the manifest/) } });
    // A version argument that is no version id is a usage error (exit 2), in every command that takes one.
    for (const argv of [["promote", "latest", "--reason", "x"], ["rollback", "--to", "v2", "--reason", "x"], ["show", "2026"]]) {
      const r = await models(w.s3, [...argv, "--model", "m-refuse", "--json"]);
      expect({ argv, code: r.code, error: r.json!.error }).toMatchObject({ argv, code: 2, error: { code: "usage", message: expect.stringMatching(/is not a version id .*npm run models -- list shows the versions/) } });
    }
    // show still prints the card of a damaged version, and says so with exit 1, as history --verify does.
    const shown = await models(w.s3, ["show", damaged.version, "--model", "m-refuse", "--json"]);
    expect(shown.code).toBe(1);
    expect(shown.json).toMatchObject({ ok: false, error: { code: "version_damaged", message: expect.stringMatching(new RegExp(`^${damaged.version} is damaged: .*weights\\.bin`)) }, version: damaged.version, integrity: { ok: false, problem: expect.stringMatching(/weights\.bin/) } });

    const narrow = variant(noPrice, "m-refuse", "00000003");
    await writeVersionObjects(l, narrow);
    const refused = await models(w.s3, ["promote", narrow.version, "--reason", "try", "--model", "m-refuse", "--json"]);
    expect(refused.json).toMatchObject({ ok: false, error: { code: "signature_changed" } });
    const message = (refused.json!.error as { message: string }).message;
    expect(message).toContain('- feature "Price" removed');
    expect(message).toContain("--allow-signature-change");
    expect(message).toContain("--model-name <new>");

    const intent: MoveIntent = { to: narrow.version, manifestSha256: "0".repeat(64), action: "promote", reason: "stale", actor: "x", revision: null, dataSha256: null };
    const stale = { version: "20200101T000000Z-00000000", seq: 1 };
    await expect(movePointer(l, intent, { expected: stale })).rejects.toMatchObject({ code: "pointer_moved" });
    // The same version after another move: the message says so, rather than "it was X, now X".
    const sameVersion = { version: v1.version, seq: 0 };
    await expect(movePointer(l, intent, { expected: sameVersion })).rejects.toMatchObject({
      code: "pointer_moved", message: expect.stringContaining(`it was ${v1.version} (history seq 0), still ${v1.version} but after another move (publish by`),
    });

    expect(await current("m-refuse")).toBe(v1.version);
    expect(await listHistorySeqs(l)).toEqual([1]);
    const allowed = await models(w.s3, ["promote", narrow.version, "--reason", "Price dropped on purpose", "--allow-signature-change", "--model", "m-refuse", "--json"]);
    expect(allowed.json).toMatchObject({ ok: true, record: { seq: 2, signatureChange: ['feature "Price" removed'] } });
    expect((await verified("m-refuse")).ok).toBe(true);
  });

  it("never loses a move when promotes, rollbacks and publishes race: each one lands and is recorded, or fails saying so", async () => {
    const l = loc("m-race");
    await publish(v("m-race", 1));
    const stored = [2, 3, 4, 5, 6, 7].map((n) => v("m-race", n));
    for (const a of stored) await writeVersionObjects(l, a);
    const intentFor = (a: Artifact, action: MoveIntent["action"]): MoveIntent => ({
      to: a.version, manifestSha256: "", action, reason: "race", actor: "racer", revision: null, dataSha256: null,
    });
    const { sha256Hex } = await import("../shared/hash.ts");
    let landed = 0;
    for (let round = 0; round < 3; round++) {
      const contenders = await Promise.all(stored.slice(round * 2, round * 2 + 2).map(async (a, i) => ({
        ...intentFor(a, i ? "rollback" : "promote"), manifestSha256: await sha256Hex(a.files.get("manifest.json")!),
      })));
      const state = await readPointerState(l);
      const results = await Promise.allSettled([
        ...contenders.map((c) => movePointer(loc("m-race"), c, { expected: markOf(state) })),
        publishArtifact(loc("m-race"), v("m-race", 16 + round), { state, actor: "trainer", reason: "race" }),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(RegistryError);
      expect(won.length).toBe(1);
      landed += won.length;
      const seqs = await listHistorySeqs(l);
      expect(seqs).toEqual(Array.from({ length: 1 + landed }, (_, i) => i + 1));
      const last = (await readHistory(l)).at(-1)!.record!;
      expect(last.to).toBe(await current("m-race"));
    }
    expect((await verified("m-race")).ok).toBe(true);
  });

  it("gc deletes only beyond the newest N, never the current version nor one current within the last N moves; dry run by default", async () => {
    const vs = [1, 2, 3, 4, 5].map((n) => v("m-gc", n, base)); // one source: ids then sort by n
    for (const a of vs) await publish(a);
    await models(w.s3, ["promote", vs[1]!.version, "--reason", "back to 2", "--model", "m-gc"]);
    // The --keep rule alone: every version here answered requests minutes ago (the served rule is the next test's).
    const dry = await models(w.s3, ["gc", "--keep", "1", "--keep-served-within", "0d", "--model", "m-gc", "--json"]);
    expect(dry.json).toMatchObject({ ok: true, dryRun: true, remove: [vs[3]!.version, vs[2]!.version, vs[0]!.version], deleted: [] });
    expect(dry.json!.keep).toEqual([
      { version: vs[4]!.version, why: ["newest 1 of 1", "current before move 6"] },
      { version: vs[1]!.version, why: ["current", "current after move 6"] },
    ]);
    expect(await listVersionIds(loc("m-gc"))).toHaveLength(5);
    const yes = await models(w.s3, ["gc", "--keep", "1", "--keep-served-within", "0d", "--yes", "--model", "m-gc", "--json"]);
    expect(yes.json).toMatchObject({ ok: true, dryRun: false, deleted: [vs[3]!.version, vs[2]!.version, vs[0]!.version] });
    expect(await listVersionIds(loc("m-gc"))).toEqual([vs[4]!.version, vs[1]!.version]);
    const state = await readPointerState(loc("m-gc"));
    expect(state.pointer).toMatchObject({ version: vs[1]!.version });
    expect(state.pointer!.gc).toBeUndefined();
    expect((await verified("m-gc")).ok).toBe(true);
    // The edge still serves the current version.
    const res = await w.post("/models/m-gc/predict?explain=false", { instances: [applicant] });
    expect(((await res.json()) as { model: { version: string } }).model.version).toBe(vs[1]!.version);
  });

  it("gc keeps, by default, every version that answered requests within 25 months (its decision records are replayed with it), and deletes one that never served", async () => {
    const [v1, v2, v3] = [1, 2, 3].map((n) => v("m-gc-served", n, base)) as [Artifact, Artifact, Artifact];
    await publish(v1);
    await publish(v2, { reason: "candidate", candidate: true });
    await publish(v3);
    const plan = await models(w.s3, ["gc", "--keep", "1", "--model", "m-gc-served", "--json"]);
    expect(plan.code, plan.stderr).toBe(0);
    const since = new Date(plan.json!.keepServedSince as string);
    // 25 calendar months back, give or take a day for month lengths.
    expect(Math.abs((Date.now() - since.getTime()) / 86_400_000 - 761)).toBeLessThan(4);
    const day = since.toISOString().slice(0, 10);
    expect(plan.json!.keep).toEqual([
      { version: v3.version, why: ["current", "newest 1 of 1", "current after move 3", `answered requests since ${day} (decision records to replay)`] },
      { version: v1.version, why: ["current before move 3", `answered requests since ${day} (decision records to replay)`] },
    ]);
    expect(plan.json!.remove).toEqual([v2.version]);
    // A shorter retention than the moves' age lets the old one go; a malformed duration is a usage error.
    expect((await models(w.s3, ["gc", "--keep", "1", "--keep-served-within", "0d", "--model", "m-gc-served", "--json"])).json).toMatchObject({ remove: [v2.version] });
    const bad = await models(w.s3, ["gc", "--keep", "1", "--keep-served-within", "25", "--model", "m-gc-served", "--json"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--keep-served-within: "25" is not a duration');
  });

  it("while gc marks a version for deletion, no move may point at it; the next gc finishes what was partly deleted, keeps what its own rules keep, and clears the mark", async () => {
    const l = loc("m-mark");
    const [v1, v2, v3] = [1, 2, 3].map((n) => v("m-mark", n, base)) as [Artifact, Artifact, Artifact]; // one source: ids sort by n
    await publish(v1);
    await writeVersionObjects(l, v2);
    await writeVersionObjects(l, v3);
    const bucket = await w.bucket();
    // The interrupted gc had deleted v3's manifest (gc deletes it first) and not yet touched v2.
    await bucket.delete(keys.file("m-mark", v3.version, "manifest.json"));
    const state = await readPointerState(l);
    await bucket.put(keys.pointer("m-mark"), pointerBytes({ ...state.pointer!, gc: { deleting: [v3.version, v2.version], startedAt: "2026-11-30T00:00:00Z", actor: "gc" } }));
    const blocked = await models(w.s3, ["promote", v2.version, "--reason", "x", "--model", "m-mark", "--json"]);
    expect(blocked.json).toMatchObject({ ok: false, error: { code: "version_being_deleted" } });

    // --keep 5 keeps all three by its rules: only the partly deleted v3 goes, for that reason alone.
    const dry = await models(w.s3, ["gc", "--keep", "5", "--keep-served-within", "0d", "--model", "m-mark"]);
    expect(dry.stdout).toContain("m-mark: keeping 2, would delete 1 (finishing 1 an interrupted gc had partly deleted)");
    expect(dry.stdout).toMatch(new RegExp(`${v3.version}\\s+delete\\s+partly deleted by an interrupted gc \\(its manifest is gone`));
    expect(dry.stdout).toMatch(new RegExp(`${v2.version}\\s+keep\\s+newest 2 of 5`));
    expect(dry.stdout).toContain(`an interrupted gc (started 2026-11-30T00:00:00Z by gc) had marked ${v3.version}, ${v2.version} for deletion; to delete: ${v3.version}; kept by these rules: ${v2.version}; --yes clears the mark`);
    const finish = await models(w.s3, ["gc", "--keep", "5", "--keep-served-within", "0d", "--yes", "--model", "m-mark", "--json"]);
    expect(finish.json).toMatchObject({ ok: true, resumed: [v3.version], finishing: [v3.version], released: [v2.version], deleted: [v3.version] });
    expect(await listVersionIds(l)).toEqual([v2.version, v1.version]);
    expect((await readPointerState(l)).pointer).toMatchObject({ version: v1.version });
    expect((await readPointerState(l)).pointer!.gc).toBeUndefined();
    // The mark is gone: v2 may be promoted again.
    expect((await models(w.s3, ["promote", v2.version, "--reason", "x", "--model", "m-mark", "--json"])).json).toMatchObject({ ok: true, status: "moved" });
  });

  it("a mark on a version the keep rules protect deletes nothing: gc says so truthfully and --yes only clears the mark", async () => {
    const name = "m-mark-kept";
    const l = loc(name);
    const vs = [1, 2, 3].map((n) => v(name, n, base));
    for (const a of vs) await publish(a);
    const state = await readPointerState(l);
    await (await w.bucket()).put(keys.pointer(name), pointerBytes({ ...state.pointer!, gc: { deleting: [vs[0]!.version], startedAt: "2026-11-30T00:00:00Z", actor: "gc" } }));
    const verify = await models(w.s3, ["history", "--verify", "--model", name]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain(`an interrupted gc (started 2026-11-30T00:00:00Z by gc) marked ${vs[0]!.version} for deletion and did not finish: no move may point at it until \`npm run models -- gc --keep N --yes\` finishes or clears the mark`);
    const dry = await models(w.s3, ["gc", "--keep", "5", "--model", name]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`${name}: keeping 3, would delete 0\n`);
    expect(dry.stdout).not.toContain("not among the newest");
    expect(dry.stdout).toContain(`kept by these rules: ${vs[0]!.version}; --yes clears the mark`);
    const yes = await models(w.s3, ["gc", "--keep", "5", "--yes", "--model", name, "--json"]);
    expect(yes.json).toMatchObject({ ok: true, remove: [], deleted: [], resumed: [], released: [vs[0]!.version] });
    expect(await listVersionIds(l)).toHaveLength(3);
    expect((await readPointerState(l)).pointer!.gc).toBeUndefined();
    expect((await verified(name)).ok).toBe(true);
  });

  it("history --verify exits 1 and names the record where an edited or deleted record breaks the chain", async () => {
    for (const n of [1, 2, 3]) await publish(v("m-tamper", n));
    const bucket = await w.bucket();
    const key = "m-tamper/history/0000000002.json";
    const text = (await (await bucket.get(key))!.text()).replace('"reason":"nightly"', '"reason":"approved by the board"');
    await bucket.put(key, text);
    const edited = await models(w.s3, ["history", "--verify", "--model", "m-tamper", "--json"]);
    expect(edited.code).toBe(1);
    expect(edited.json).toMatchObject({ ok: false, error: { code: "history_broken", message: expect.stringMatching(/breaks at record 3: record 2 was changed after record 3 was written/) } });
    await bucket.delete(key);
    const deleted = await models(w.s3, ["history", "--verify", "--model", "m-tamper"]);
    expect(deleted.code).toBe(1);
    expect(deleted.stderr).toMatch(/seq 2: record 2 is missing \(deleted\)/);
  });

  it("history --verify also checks the versions the pointer serves: an edited manifest or file is exit 1 naming it", async () => {
    const [a] = [v("m-served", 1)];
    await publish(a);
    const ok = await models(w.s3, ["history", "--verify", "--model", "m-served"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`current ${a.version}: every file verified against its manifest, the manifest against the pointer`);
    const bucket = await w.bucket();
    const manifestKey = `m-served/versions/${a.version}/manifest.json`;
    const original = await (await bucket.get(manifestKey))!.text();
    await bucket.put(manifestKey, original.replace('"decline":0.5', '"decline":0.9'));
    const edited = await models(w.s3, ["history", "--verify", "--model", "m-served", "--json"]);
    expect(edited.code).toBe(1);
    expect(edited.json).toMatchObject({ ok: false, error: { message: expect.stringMatching(new RegExp(`^current ${a.version}: .*sha256`)) }, verify: { ok: true } });
    // show prints the card as stored, the edit visible beside the DAMAGED line, and exits 1.
    const shown = await models(w.s3, ["show", "current", "--model", "m-served"]);
    expect(shown.code).toBe(1);
    expect(shown.stdout).toMatch(/integrity {3}DAMAGED: .*manifest\.json.*sha256/);
    expect(shown.stdout).toContain("decline at p ≥ 0.9");
    await bucket.put(manifestKey, original);
    const weightsKey = `m-served/versions/${a.version}/weights.bin`;
    const weights = new Uint8Array(await (await bucket.get(weightsKey))!.arrayBuffer());
    weights[0] = weights[0]! ^ 1;
    await bucket.put(weightsKey, weights);
    const damaged = await models(w.s3, ["history", "--verify", "--model", "m-served", "--json"]);
    expect(damaged.code).toBe(1);
    expect(damaged.json).toMatchObject({ ok: false, error: { code: "version_damaged", message: expect.stringMatching(/weights\.bin/) } });
  });

  it("refuses, under the same model name, a training run whose features differ; --model-name or --allow-signature-change go ahead", async () => {
    await publish(v("m-sig", 1));
    const before = await listVersionIds(loc("m-sig"));
    const env = { S3_ENDPOINT: w.s3.endpoint, S3_BUCKET: w.s3.bucket, AWS_ACCESS_KEY_ID: w.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: w.s3.secretAccessKey, S3_FORCE_PATH_STYLE: "true" };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const { vi } = await import("vitest");
    let stdout = "";
    let stderr = "";
    const o = vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => { stdout += String(c); return true; });
    const e = vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => { stderr += String(c); return true; });
    const args = ["--ignore", "Price", "--epochs", "1", "--backend", "cpu", "--publish", "s3", "--quiet", "--json"];
    try {
      expect(await train([...args, "--model-name", "m-sig"])).toBe(1);
      expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toMatchObject({ ok: false, error: { code: "signature_changed" } });
      expect(stderr).toMatch(/feature signature differs from the serving version .* of "m-sig":\n {2}- feature "Price" removed\n/);
      expect(await listVersionIds(loc("m-sig"))).toEqual(before);
      expect(await train([...args, "--model-name", "m-sig-2"])).toBe(0);
      expect(await train([...args, "--model-name", "m-sig", "--allow-signature-change", "--reason", "Price is no longer collected"])).toBe(0);
      // A nightly run over a pointer deleted outside the registry: the warning is in --json, where the job reads it.
      await (await w.bucket()).delete(keys.pointer("m-sig-2"));
      stdout = "";
      expect(await train([...args, "--model-name", "m-sig-2"])).toBe(0);
      expect(JSON.parse(stdout.trim().split("\n").at(-1)!).warnings).toContainEqual(expect.stringMatching(/^the pointer .*current\.json is missing \(deleted outside the registry\): this move replaces it and follows history record 1/));
    } finally {
      o.mockRestore();
      e.mockRestore();
      process.env = saved;
    }
    expect((await records("m-sig")).at(-1)).toMatchObject({ seq: 2, action: "publish", reason: "Price is no longer collected", signatureChange: ['feature "Price" removed'] });
  });

  it("history --verify fails on a pointer deleted outside the registry; the next move (a promote or a nightly publish) puts one back without breaking the chain", async () => {
    await publish(v("m-gone", 1));
    await publish(v("m-gone", 2));
    await (await w.bucket()).delete(keys.pointer("m-gone"));
    const check = await models(w.s3, ["history", "--verify", "--model", "m-gone", "--json"]);
    expect(check).toMatchObject({ code: 1, json: { ok: false, error: { code: "history_broken", message: expect.stringMatching(new RegExp(`the pointer is missing, but record 2 left it at ${v("m-gone", 2).version}: it was deleted outside the registry and nothing is served`)) } } });
    expect((await models(w.s3, ["show", "current", "--model", "m-gone", "--json"])).json).toMatchObject({ ok: false, error: { code: "pointer_missing", message: expect.stringMatching(/"m-gone" has 2 published versions but no pointer .*nothing is served\. Put it back with npm run models -- promote <version>/) } });
    const promoted = await models(w.s3, ["promote", v("m-gone", 2).version, "--reason", "put the pointer back", "--model", "m-gone", "--json"]);
    expect(promoted.json).toMatchObject({ ok: true, record: { seq: 3, from: v("m-gone", 2).version, to: v("m-gone", 2).version } });
    expect(promoted.stderr).toMatch(/warning: the pointer .*current\.json is missing \(deleted outside the registry\): this move replaces it and follows history record 2/);
    // Nothing was served before it: the message does not say a version "was" current.
    expect((await models(w.s3, ["history", "--model", "m-gone"])).code).toBe(0);
    expect(await models(w.s3, ["history", "--verify", "--model", "m-gone"])).toMatchObject({ code: 0 });
    // A nightly publish over a deleted pointer keeps the chain too.
    await (await w.bucket()).delete(keys.pointer("m-gone"));
    await publish(v("m-gone", 4));
    expect((await records("m-gone")).at(-1)).toMatchObject({ seq: 4, from: v("m-gone", 2).version, to: v("m-gone", 4).version });
    expect((await verified("m-gone")).ok).toBe(true);
  });

  it("answers unknown versions, a broken pointer and bad usage with a clear message and exit code, never a stack trace", async () => {
    await publish(v("m-err", 1));
    const missing = await models(w.s3, ["show", "20990101T000000Z-deadbeef", "--model", "m-err", "--json"]);
    expect(missing.json).toMatchObject({ ok: false, error: { code: "version_not_found", message: expect.stringMatching(/version 20990101T000000Z-deadbeef of "m-err" does not exist/) } });
    expect((await models(w.s3, ["promote", "--reason", "x", "--model", "m-err"])).code).toBe(2);
    expect((await models(w.s3, ["promote", v("m-err", 1).version, "--model", "m-err"])).stderr).toMatch(/--reason "\.\.\." is required/);
    expect((await models(w.s3, ["gc", "--keep", "0", "--model", "m-err"])).code).toBe(2);
    expect((await models(w.s3, ["histroy", "--model", "m-err"])).stderr).toMatch(/unknown command "histroy"; did you mean "history"\?/);

    await (await w.bucket()).put(keys.pointer("m-err"), "{ not a pointer\nsecond line");
    const broken = await models(w.s3, ["history", "--verify", "--model", "m-err", "--json"]);
    // One line, and what it means for callers: nothing is served.
    expect((broken.json!.error as { message: string }).message).toMatch(/is not a valid pointer: [^\n]*: nothing is served \(promote a version, or roll back, to put it back\)/);
    const show = await models(w.s3, ["show", "current", "--model", "m-err", "--json"]);
    expect(show.json).toMatchObject({ ok: false, error: { code: "pointer_broken" } });
    const back = await models(w.s3, ["rollback", "--reason", "x", "--model", "m-err", "--json"]);
    expect(back.json).toMatchObject({ ok: false, error: { code: "no_previous", message: expect.stringMatching(/is not a valid pointer.*rollback --to <version>/) } });
    const repairedText = await models(w.s3, ["promote", v("m-err", 1).version, "--reason", "repair the pointer", "--model", "m-err"]);
    expect(repairedText.stdout).toContain(`promoted "m-err" to ${v("m-err", 1).version} (the pointer was passed over; the history left ${v("m-err", 1).version} current); history record 2`);
    await (await w.bucket()).put(keys.pointer("m-err"), "{ not a pointer");
    const repaired = await models(w.s3, ["promote", v("m-err", 1).version, "--reason", "repair the pointer", "--model", "m-err", "--json"]);
    // The move follows the last record (it moves from where that record left the pointer): the chain stays whole.
    expect(repaired.json).toMatchObject({ ok: true, record: { seq: 3, from: v("m-err", 1).version } });
    expect(repaired.stderr).toMatch(/warning: the pointer is damaged \(.*is not a valid pointer.*\): this move replaces it and follows history record 2, which left .* current/);
    expect(await models(w.s3, ["history", "--verify", "--model", "m-err"])).toMatchObject({ code: 0 });

    // The real script in its own process: exit code, one JSON object on stdout, no stack trace.
    const child = await promisify(execFile)(process.execPath, ["node_modules/tsx/dist/cli.mjs", "train/cli/models.ts", "show", "20990101T000000Z-deadbeef", "--model", "m-err", "--store", "s3", "--json"], {
      env: { ...process.env, S3_ENDPOINT: w.s3.endpoint, S3_BUCKET: w.s3.bucket, AWS_ACCESS_KEY_ID: w.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: w.s3.secretAccessKey, S3_FORCE_PATH_STYLE: "true" },
    }).then(() => ({ code: 0, stdout: "", stderr: "" }), (e: { code: number; stdout: string; stderr: string }) => e);
    expect(child.code).toBe(1);
    expect(JSON.parse(child.stdout)).toMatchObject({ ok: false, error: { code: "version_not_found" } });
    expect(child.stderr).not.toMatch(/^\s+at /m);
  });
});

const applicant = { Seniority: 9, Home: "rent", Time: 60, Age: 30, Marital: "married", Records: "no", Job: "freelance", Expenses: 73, Income: 129, Assets: 0, Debt: 0, Amount: 800, Price: 846 };

describe("how messages name the store", () => {
  it("an object in the local store by its key in the local R2 bucket, one in S3 by its s3:// address", () => {
    const local = { bucket: "edgescore-models", where: 'local R2 bucket "edgescore-models" (.wrangler/state/v3)' };
    expect(objectName(local, "credit-risk/current.json")).toBe('credit-risk/current.json in the local R2 bucket "edgescore-models" (.wrangler/state/v3)');
    expect(objectName(local, "")).toBe('the local R2 bucket "edgescore-models" (.wrangler/state/v3)');
    expect(objectName({ bucket: "prod-models", where: "s3://prod-models" }, "credit-risk/current.json")).toBe("s3://prod-models/credit-risk/current.json");
    expect(objectName({ bucket: "prod-models" }, "")).toBe("s3://prod-models/");
  });
});
