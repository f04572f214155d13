/**
 * `npm run decisions` against records made from real answers of the Worker in
 * workerd (test/helpers/decision-fixtures.ts writes them as the capture consumer
 * does: gzip NDJSON under decisions/<model>/dt=<day>/), read back through
 * Miniflare's S3 endpoint (`--store s3`, the R2 API): show finds a request's
 * records and says what it searched when it finds none; replay reproduces
 * every answer to the bit and names an edited record; export writes one row
 * per instance whatever the duplicates; gc deletes only old days, and only
 * with --yes, keeping (and naming) an object whose delete is refused, as an
 * R2 bucket lock refuses; the time flags say what they accept.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DecisionRecord } from "../shared/decisions/record.ts";
import { run } from "../train/cli/decisions.ts";
import { publishTo } from "../train/job.ts";
import { createS3Client } from "../train/store/storage.ts";
import { listVersionIds } from "../train/store/versions.ts";
import { runInProcess } from "./helpers/cli.ts";
import { refusingS3 } from "./helpers/refusing-s3.ts";
import { editDecisions, putDecisions, recordsFromEdge } from "./helpers/decision-fixtures.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const lines = readFileSync("data/credit_data.csv", "utf8").trim().split("\n");
const header = lines[0]!.split(",");
const DAY = 86_400_000;

describe("npm run decisions", () => {
  let w: TestWorker;
  let dir: string;
  const artifact = readArtifact(fixtures().artifactDirs[0]);
  const features = artifact.manifest.spec.features;
  /** The CSV's rows `from`..`to` as the mobile app sends them, with a pass-through id. */
  const instances = (from: number, to: number) => lines.slice(from, to).map((l, i) => {
    const cells = l.split(",");
    return {
      _key: `app-${from + i}`,
      ...Object.fromEntries(features.map((f) => {
        const cell = cells[header.indexOf(f.name)]!;
        return [f.name, cell === "" ? null : f.type === "numeric" ? Number(cell) : cell];
      })),
    };
  });
  const decisions = (argv: string[]) => runInProcess(run, w.s3, ["--model", "credit-risk", ...argv]);
  const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
  /** Three days ago: one request of 5 applicants (explained), one of 3 without reasons; two days ago: one of 4; yesterday: 2 kept without features. */
  let day3: DecisionRecord[];
  let day3b: DecisionRecord[];
  let day2: DecisionRecord[];
  let bare: DecisionRecord[];
  let day2Key: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "edgescore-decisions-"));
    w = await startWorker();
    await publishTo(w.s3, artifact);
    day3 = await recordsFromEdge(w, artifact, instances(1, 6), { time: iso(3 * DAY), requestId: "req-three-days" });
    day3b = await recordsFromEdge(w, artifact, instances(6, 9), { time: iso(3 * DAY - 1000), explain: false });
    day2 = await recordsFromEdge(w, artifact, instances(20, 24), { time: iso(2 * DAY), requestId: "req-two-days" });
    bare = await recordsFromEdge(w, artifact, instances(40, 42), { time: iso(DAY), capture: "decisions", requestId: "req-bare" });
    await putDecisions(w.s3, [...day3, ...day3b]);
    day2Key = await putDecisions(w.s3, day2);
    await putDecisions(w.s3, bare);
    // At-least-once: a retried batch wrote two of day 3's records again, in another object.
    await putDecisions(w.s3, [day3[1]!, day3[4]!]);
  }, 120_000);
  afterAll(async () => { await w.dispose(); });

  it("show <request-id>: every instance's record, as a table and as JSON", async () => {
    const r = await decisions(["show", "req-three-days"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("request req-three-days: 5 records");
    for (const rec of day3) expect(r.stdout).toContain(String(rec.passThrough));
    const j = await decisions(["show", "req-three-days", "--json"]);
    expect(j.code).toBe(0);
    // De-duplicated: the retried copies do not show twice.
    expect(j.json!.records).toEqual(day3);
  });

  it("show of an unknown request: exit 1, naming the days searched and --since", async () => {
    const r = await decisions(["show", "no-such-request", "--json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no decision record for request "no-such-request"/);
    expect(r.stderr).toMatch(/days \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}/);
    expect(r.stderr).toContain("the last 30d; --since <time> searches further back");
    expect((r.json!.error as { code: string }).code).toBe("not_found");
  });

  it("replay of real records: every answer equal to the bit, exit 0; records without features counted as not replayable", async () => {
    const one = await decisions(["replay", "req-two-days", "--json"]);
    expect(one.code).toBe(0);
    expect(one.json).toMatchObject({ ok: true, records: 4, replayed: 4, equal: 4, differing: 0, notReplayable: 0, versions: { [artifact.version]: 4 } });
    const all = await decisions(["replay", "--since", "4d", "--json"]);
    expect(all.code).toBe(0);
    expect(all.json).toMatchObject({ records: 14, replayed: 12, equal: 12, differing: 0, notReplayable: 2 });
    expect(all.stderr).toContain("not replayable: 2 records kept no features");
    expect(all.stderr).toContain("all 12 replayed answers equal their records, to the bit");
    const bareOnly = await decisions(["replay", "req-bare"]);
    expect(bareOnly.code).toBe(1);
    expect(bareOnly.stderr).toContain("nothing was re-scored, so nothing is verified");
    // A failure, like every other, carries an error a scheduled job can branch on; the counts stay beside it.
    const bareJson = await decisions(["replay", "req-bare", "--json"]);
    expect(bareJson).toMatchObject({ code: 1, json: { ok: false, error: { code: "nothing_replayed", message: expect.stringContaining('2 kept no features: captured with CAPTURE="decisions"') }, records: 2, replayed: 0, notReplayable: 2 } });
  });

  it("replay of an edited record (its probability changed in the gzip object): exit 1, naming the record and field", async () => {
    const target = day2[2]!;
    const p = (target.answer as { probability: number }).probability;
    const edited = p + 1e-9;
    await editDecisions(w.s3, day2Key, (rs) => rs.map((r) => (r.id === target.id ? { ...r, answer: { ...r.answer, probability: edited } } : r)));
    try {
      const r = await decisions(["replay", "req-two-days", "--json"]);
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ ok: false, error: { code: "replay_differs", message: expect.stringMatching(/^1 of 4 replayed answers differ/) }, replayed: 4, equal: 3, differing: 1 });
      expect(r.json!.differences).toEqual([{ id: target.id, requestId: "req-two-days", version: artifact.version, field: "probability", recorded: edited, replayed: p }]);
      const text = await decisions(["replay", "req-two-days"]);
      expect(text.stdout).toContain(target.id);
      expect(text.stderr).toContain("1 of 4 replayed answers DIFFER");
    } finally {
      await editDecisions(w.s3, day2Key, (rs) => rs.map((r) => (r.id === target.id ? target : r)));
    }
  });

  it("replay of records whose version is gone from the store (models gc): the others still replayed, those counted and named, exit 1", async () => {
    const gone = "20200101T000000Z-deadbeef";
    const orphans = day2.map((r) => ({ ...r, id: `gone-${r.id}`, requestId: "req-gone", version: gone }));
    const key = await putDecisions(w.s3, orphans);
    const client = createS3Client(w.s3);
    try {
      const r = await decisions(["replay", "--since", "4d", "--json"]);
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ ok: false, error: { code: "versions_unavailable", message: expect.stringContaining(`${gone} (version_not_found)`) }, records: 18, replayed: 12, equal: 12, differing: 0, notReplayable: 2, unavailable: 4, unavailableVersions: { [gone]: { records: 4, code: "version_not_found" } } });
      const text = await decisions(["replay", "req-gone"]);
      expect(text.code).toBe(1);
      expect(text.stderr).toContain(`NOT REPLAYED: 4 records of version ${gone}, which the store cannot give (version_not_found)`);
      expect(text.stderr).not.toContain(`loaded credit-risk ${gone}`);
    } finally {
      await client.send(new DeleteObjectCommand({ Bucket: w.s3.bucket, Key: key }));
      client.destroy();
    }
  });

  it("export: one row per instance, duplicates across objects removed, every feature and the answer in its own column", async () => {
    const out = join(dir, "decisions.csv");
    const r = await decisions(["export", "--since", "4d", "--out", out, "--json"]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ rows: 14, withoutFeatures: 2 });
    expect((r.json!.read as { duplicates: number }).duplicates).toBe(2);
    const rows = parse(readFileSync(out), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(14);
    expect(new Set(rows.map((x) => x.id)).size).toBe(14);
    expect(Object.keys(rows[0]!)).toEqual([
      "time", "request_id", "id", "model", "version", "role", "caller", "pass_through", "capture", ...features.map((f) => f.name),
      "probability", "decision", "reason_1", "impact_1", "reason_2", "impact_2", "reason_3", "impact_3", "reason_4", "impact_4", "warnings",
    ]);
    const rec = day3[0]!;
    const row = rows.find((x) => x.id === rec.id)!;
    expect(row).toMatchObject({ request_id: "req-three-days", version: artifact.version, role: "champion", pass_through: String(rec.passThrough), Income: String(rec.features!.Income ?? "") });
    expect(Number(row.probability)).toBe((rec.answer as { probability: number }).probability);
    expect(row.reason_1).toBe(rec.answer.reasons![0]!.feature);
    const bareRow = rows.find((x) => x.id === bare[0]!.id)!;
    expect(bareRow.Income).toBe("");
    expect(bareRow.capture).toBe("decisions");
    // More reasons than features: as many as an answer can have, said on stderr.
    const many = await decisions(["export", "--since", "4d", "--out", join(dir, "many.csv"), "--reasons", "99"]);
    expect(many.code).toBe(0);
    expect(many.stderr).toContain(`--reasons 99: the model's versions have ${features.length} features, so at most ${features.length} reasons per answer; writing ${features.length}`);
    const header = (parse(readFileSync(join(dir, "many.csv")), { to: 1 }) as string[][])[0]!;
    expect(header.filter((c) => c.startsWith("reason_"))).toHaveLength(features.length);
  });

  it("export --until is exclusive, and to s3:// through a multipart upload", async () => {
    const until = new Date(Date.parse(day2[0]!.time)).toISOString();
    const r = await decisions(["export", "--since", "4d", "--until", until, "--out", `s3://${w.s3.bucket}/exports/d.csv`, "--json"]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ rows: 8 });
    const client = createS3Client(w.s3);
    try {
      const text = await (await client.send(new GetObjectCommand({ Bucket: w.s3.bucket, Key: "exports/d.csv" }))).Body!.transformToString();
      expect(parse(text, { columns: true })).toHaveLength(8);
    } finally {
      client.destroy();
    }
  });

  it("time flags: a wrong form names the flag and the accepted forms (exit 2)", async () => {
    const bad = await decisions(["export", "--since", "yesterday", "--out", join(dir, "x.csv")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--since: "yesterday" is not a time; expected a duration back from now (30m, 12h, 7d, 2w, 3mo, 1y), a day (2026-12-01, midnight UTC) or an ISO 8601 time with a zone`);
    expect((await decisions(["export", "--since", "7", "--out", join(dir, "x.csv")])).stderr).toContain("a number needs a unit: 7d?");
    expect((await decisions(["replay", "--since", "2026-12-01T10:00"])).stderr).toContain("an ISO time needs its zone");
    const order = await decisions(["replay", "--since", "2d", "--until", "3d"]);
    expect(order.code).toBe(2);
    expect(order.stderr).toMatch(/--until .* is not after --since/);
    const empty = await decisions(["replay", "--since", "0h"]);
    expect([empty.code, empty.stderr]).toEqual([2, expect.stringContaining("--since 0h: the range [since, now) is empty; give a time before now, e.g. --since 1h or --since 7d")]);
    const gc = await decisions(["gc", "--older-than", "25"]);
    expect(gc.code).toBe(2);
    expect(gc.stderr).toContain(`--older-than: "25" is not a duration; expected a whole number and a unit`);
    expect((await decisions(["export", "--out", join(dir, "x.csv")])).stderr).toContain("export needs --since");
  });

  it("a flag its command does not read is refused (exit 2, naming the commands it goes with), not silently ignored", async () => {
    const cases: [string[], string][] = [
      [["show", "r-1", "--role", "shadow"], "--role goes with export or replay"],
      [["replay", "r-1", "--out", join(dir, "never.csv")], "--out goes with export"],
      [["show", "r-1", "--reasons", "2"], "--reasons goes with export"],
      [["verify", "--since", "1d", "--older-than", "30d"], "--older-than goes with gc"],
      [["export", "--since", "1d", "--out", join(dir, "never.csv"), "--yes"], "--yes goes with gc"],
      [["gc", "--inventory", dir], "--inventory goes with verify"],
    ];
    for (const [argv, message] of cases) {
      const r = await decisions([...argv, "--json"]);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.json).toMatchObject({ ok: false });
    }
    expect(existsSync(join(dir, "never.csv"))).toBe(false);
  });

  it("--bucket without --store s3 is refused by every command (exit 2), as models refuses it: the local store is one bucket, and a command must not act on another than the one named", async () => {
    const commands = [["show", "r-1"], ["replay", "r-1"], ["export", "--since", "1d", "--out", join(dir, "never.csv")], ["verify", "--since", "1d"], ["gc"]];
    for (const argv of commands) {
      const r = await runInProcess(run, null, ["--model", "credit-risk", ...argv, "--bucket", "some-other-bucket", "--json"]);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toContain("--bucket goes with --store s3");
      expect(r.json).toMatchObject({ ok: false, error: { code: "usage" } });
    }
    expect(existsSync(join(dir, "never.csv"))).toBe(false);
  });

  it("gc: a dry run lists the days older than 25 months and deletes nothing; --yes deletes only them, never the model", async () => {
    const old = await recordsFromEdge(w, artifact, instances(60, 62), { time: iso(800 * DAY) });
    const older = await recordsFromEdge(w, artifact, instances(62, 63), { time: iso(801 * DAY) });
    const recent = await recordsFromEdge(w, artifact, instances(63, 64), { time: iso(700 * DAY) });
    for (const rs of [old, older, recent]) await putDecisions(w.s3, rs);
    const dry = await decisions(["gc", "--json"]);
    expect(dry.code).toBe(0);
    const plan = dry.json!.plan as { delete: { day: string; objects: number }[] };
    expect(plan.delete.map((d) => d.day)).toEqual([older[0]!.time.slice(0, 10), old[0]!.time.slice(0, 10)]);
    expect(dry.json!.dryRun).toBe(true);
    expect((await decisions(["gc"])).stdout).toContain(`would delete decisions/credit-risk/dt=${old[0]!.time.slice(0, 10)}/`);
    // Nothing was deleted by the dry runs.
    expect((await decisions(["export", "--since", "802d", "--out", join(dir, "all.csv"), "--json"])).json).toMatchObject({ rows: 18 });
    const yes = await decisions(["gc", "--yes", "--json"]);
    expect(yes.code).toBe(0);
    expect(yes.json!.deleted).toBe(2);
    expect((await decisions(["export", "--since", "802d", "--out", join(dir, "all.csv"), "--json"])).json).toMatchObject({ rows: 15 });
    const client = createS3Client(w.s3);
    try {
      expect(await listVersionIds({ client, bucket: w.s3.bucket, name: "credit-risk" })).toEqual([artifact.version]);
    } finally {
      client.destroy();
    }
    const again = await decisions(["gc", "--older-than", "650d", "--json"]);
    expect((again.json!.plan as { delete: { day: string }[] }).delete.map((d) => d.day)).toEqual([recent[0]!.time.slice(0, 10)]);
  });
  it("gc: an object whose delete is refused (a bucket lock) is kept and named, every other expired object still goes; exit 1", async () => {
    const early = await recordsFromEdge(w, artifact, instances(70, 71), { time: iso(900 * DAY) });
    const late = await recordsFromEdge(w, artifact, instances(71, 72), { time: iso(900 * DAY + 60_000) });
    const after = await recordsFromEdge(w, artifact, instances(72, 73), { time: iso(899 * DAY) });
    const lockedKey = await putDecisions(w.s3, late, "zz-late-dead-letter");
    for (const rs of [early, after]) await putDecisions(w.s3, rs);
    const proxy = await refusingS3(w.s3, (key) => key === lockedKey);
    try {
      const gc = await runInProcess(run, proxy.s3, ["--model", "credit-risk", "gc", "--older-than", "850d", "--yes", "--json"]);
      expect(gc.code).toBe(1);
      expect(proxy.refused).toEqual([lockedKey]);
      expect(gc.json).toMatchObject({ ok: false, error: { code: "delete_refused", message: expect.stringContaining(lockedKey) }, deleted: 2, refused: [{ key: lockedKey }] });
      expect(gc.stderr).toContain(`kept: deleting s3://${w.s3.bucket}/${lockedKey} failed: AccessDenied (HTTP 403)`);
      expect(gc.stderr).toContain("1 expired object was refused and kept");
      // The later day went although the locked object came first.
      const left = await decisions(["export", "--since", "901d", "--until", "850d", "--out", join(dir, "left.csv"), "--json"]);
      expect(left.json).toMatchObject({ rows: 1 });
      expect(parse(readFileSync(join(dir, "left.csv"), "utf8"), { columns: true })).toMatchObject([{ id: late[0]!.id }]);
    } finally {
      await proxy.close();
    }
    // Released (no proxy), the next run finishes the job.
    const again = await decisions(["gc", "--older-than", "850d", "--yes", "--json"]);
    expect(again.json).toMatchObject({ ok: true, deleted: 1, refused: [] });
  });

  it("gc: a run whose first deletes are all refused stops (a token that may not delete), nothing deleted", async () => {
    const rs = await recordsFromEdge(w, artifact, instances(80, 81), { time: iso(950 * DAY) });
    const keys = [];
    for (let i = 0; i < 12; i++) keys.push(await putDecisions(w.s3, rs, `batch-${String(i).padStart(2, "0")}`));
    const proxy = await refusingS3(w.s3, () => true);
    try {
      const gc = await runInProcess(run, proxy.s3, ["--model", "credit-risk", "gc", "--older-than", "940d", "--yes", "--json"]);
      expect(gc.code).toBe(1);
      expect(proxy.refused).toHaveLength(10);
      expect(gc.json).toMatchObject({ ok: false, error: { code: "storage" } });
      expect(gc.stderr).toContain("the first 10 deletes were all refused");
      expect(gc.stderr).toContain("may this token delete objects under decisions/credit-risk/?");
    } finally {
      await proxy.close();
    }
    const gc = await decisions(["gc", "--older-than", "940d", "--yes", "--json"]);
    expect(gc.json).toMatchObject({ ok: true, deleted: 12 });
  });
});
