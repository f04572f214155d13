/**
 * Issue 20 end to end, no record made by hand: the built Worker in workerd
 * with CAPTURE = "full" and its queue consumer (Miniflare's Queues), a canary
 * and a shadow set by the real `models` commands on the test store, callers
 * with distinct pass-through ids. The records land with roles champion /
 * canary / shadow; each shadow record pairs with the answer's record by id;
 * `models compare` reads them from R2 and its counts equal the ones worked out
 * here from the records; `decisions replay` reproduces every record, the
 * challengers' included, with the version each names.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DecisionRecord } from "../shared/decisions/record.ts";
import { run as decisions } from "../train/cli/decisions.ts";
import { publishTo } from "../train/job.ts";
import type { Artifact } from "../train/store/package.ts";
import { settle } from "./helpers/challengers.ts";
import { runInProcess } from "./helpers/cli.ts";
import { distinct, waitForDecisions } from "./helpers/decisions.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { models, variant } from "./helpers/registry.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const NAME = "credit-risk";
const CALLERS = 120;
const lines = readFileSync("data/credit_data.csv", "utf8").trim().split("\n");
const header = lines[0]!.split(",");

describe("capture + canary + shadow → models compare and decisions replay", () => {
  let w: TestWorker;
  let champion: Artifact, canary: Artifact, shadow: Artifact;
  /** Pass-through id → the version that answered it. */
  const answeredBy = new Map<string, string>();
  let records: DecisionRecord[] = [];

  beforeAll(async () => {
    w = await startWorker({ CAPTURE: "full", MODEL_REFRESH_SECONDS: "1" }, { capture: { batchTimeout: 0.5 } });
    const [base, other] = [readArtifact(fixtures().artifactDirs[0]), readArtifact(fixtures().artifactDirs[1])];
    [champion, canary, shadow] = [variant(base, NAME, "0000000a"), variant(other, NAME, "0000000b"), variant(other, NAME, "0000000c")];
    await publishTo(w.s3, champion, { actor: "ci@example.com", reason: "e2e" });
    for (const c of [canary, shadow]) await publishTo(w.s3, c, { actor: "ci@example.com", reason: "e2e", candidate: true });
    const features = champion.manifest.spec.features;
    const applicant = (row: number) => {
      const cells = lines[row]!.split(",");
      return Object.fromEntries(features.map((f) => { const c = cells[header.indexOf(f.name)]!; return [f.name, c === "" ? null : f.type === "numeric" ? Number(c) : c]; }));
    };
    for (const argv of [["canary", canary.version, "--share", "0.3", "--reason", "e2e"], ["shadow", shadow.version]]) {
      const r = await models(w.s3, [...argv, "--model", NAME]);
      expect(r.code, r.stderr).toBe(0);
    }
    await settle(w, NAME, "challenger_loaded", "canary", applicant(1));
    await settle(w, NAME, "challenger_loaded", "shadow", applicant(1));
    const ids = Array.from({ length: CALLERS }, (_, i) => `app-${i + 1}`);
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < ids.length) {
        const row = ++next;
        const res = await w.post(`/models/${NAME}/predict`, { instances: [{ ...applicant(row), _key: `app-${row}` }] });
        expect(res.status).toBe(200);
        answeredBy.set(`app-${row}`, ((await res.json()) as { model: { version: string } }).model.version);
      }
    }));
    // Every caller's answer and its shadow score recorded (the settle requests' records may come along).
    const done = (rs: DecisionRecord[]) => ids.every((id) => rs.filter((r) => r.passThrough === id).length === 2);
    records = [...distinct(await waitForDecisions(w, (ws) => done([...distinct(ws).values()]), 30_000)).values()];
    expect(done(records)).toBe(true);
  }, 60_000);
  afterAll(async () => { await w?.dispose(); });

  const callers = () => records.filter((r) => typeof r.passThrough === "string" && r.passThrough.startsWith("app-"));

  it("records the answer with the role and version that gave it, and the shadow's score of every request beside it; features never hold the pass-through id", () => {
    const mine = callers();
    for (const [id, version] of answeredBy) {
      const answer = mine.filter((r) => r.passThrough === id && r.role !== "shadow");
      expect(answer).toHaveLength(1);
      expect(answer[0]).toMatchObject({ version, role: version === canary.version ? "canary" : "champion" });
      const s = mine.filter((r) => r.passThrough === id && r.role === "shadow");
      expect(s).toHaveLength(1);
      expect(s[0]).toMatchObject({ version: shadow.version, id: `${answer[0]!.id}:shadow`, requestId: answer[0]!.requestId });
    }
    // The pass-through id is the record's passThrough, never a feature: features are the spec's, for every role.
    const names = champion.manifest.spec.features.map((f) => f.name).sort();
    for (const r of mine) expect(Object.keys(r.features ?? {}).sort()).toEqual(names);
    // A canary at 0.3 of 120 distinct callers: both sides answer some (P(none) < 1e-18).
    const onCanary = [...answeredBy.values()].filter((v) => v === canary.version).length;
    expect(onCanary).toBeGreaterThan(0);
    expect(onCanary).toBeLessThan(CALLERS);
    expect([...answeredBy.values()].every((v) => v === canary.version || v === champion.version)).toBe(true);
  });

  it("models compare reads the records from R2: its pairs, agreement, flips and canary count equal the records'", async () => {
    const r = await models(w.s3, ["compare", "--model", NAME, "--since", "1h", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const byId = new Map(records.map((x) => [x.id, x]));
    const pairs = records.filter((x) => x.role === "shadow").flatMap((s) => {
      const c = byId.get(s.id.replace(/:shadow$/, ""));
      return c?.role === "champion" ? [{ c, s }] : [];
    });
    const decision = (x: DecisionRecord) => ("decision" in x.answer ? x.answer.decision : null);
    const flips = new Map<string, number>();
    for (const { c, s } of pairs) if (decision(c) !== decision(s)) flips.set(`${decision(c)}>${decision(s)}`, (flips.get(`${decision(c)}>${decision(s)}`) ?? 0) + 1);
    const shadows = r.json!.shadows as { n: number; agreement: number; flips: { from: string; to: string; n: number }[]; champion: { version: string }; challenger: { version: string } }[];
    expect(shadows).toHaveLength(1);
    expect(shadows[0]).toMatchObject({ n: pairs.length, champion: { version: champion.version }, challenger: { version: shadow.version } });
    expect(pairs.length).toBeGreaterThan(0);
    expect(shadows[0]!.agreement).toBeCloseTo(pairs.filter((p) => decision(p.c) === decision(p.s)).length / pairs.length, 12);
    expect(Object.fromEntries(shadows[0]!.flips.map((f) => [`${f.from}>${f.to}`, f.n]))).toEqual(Object.fromEntries(flips));
    // Shadow scores of requests the canary answered have no champion record: unpaired.
    expect(r.json).toMatchObject({ records: records.length + (r.json!.duplicates as number), unpaired: records.filter((x) => x.role === "shadow").length - pairs.length });
    const canaries = r.json!.canaries as { challenger: { version: string; n: number }; champion: { n: number } }[];
    expect(canaries).toHaveLength(1);
    expect(canaries[0]).toMatchObject({
      challenger: { version: canary.version, n: records.filter((x) => x.role === "canary").length },
      champion: { n: records.filter((x) => x.role === "champion").length },
    });
  });

  it("models compare reads the bucket --decisions-bucket names (a DECISIONS binding of its own), as the decisions commands do", async () => {
    const same = await models(w.s3, ["compare", "--model", NAME, "--since", "1h", "--decisions-bucket", w.s3.bucket, "--json"]);
    expect(same.code, same.stderr).toBe(0);
    expect((same.json!.shadows as { n: number }[])[0]!.n).toBeGreaterThan(0);
    const text = await models(w.s3, ["compare", "--model", NAME, "--since", "1h", "--decisions-bucket", w.s3.bucket]);
    expect(text.stdout).toContain(`in s3://${w.s3.bucket} `);
    // Another bucket: not the models' one, so none of these records.
    const other = await models(w.s3, ["compare", "--model", NAME, "--since", "1h", "--decisions-bucket", "edgescore-decisions-elsewhere", "--json"]);
    expect(other.json?.records ?? 0).toBe(0);
    expect(`${other.stdout}${other.stderr}`).toContain("edgescore-decisions-elsewhere");
  });

  it("decisions replay reproduces every record, champion, canary and shadow, with the version it names (exit 0)", async () => {
    const r = await runInProcess(decisions, w.s3, ["replay", "--since", "1h", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const count = (role: string) => records.filter((x) => x.role === role).length;
    expect(r.json).toMatchObject({
      records: records.length, replayed: records.length, equal: records.length, differing: 0, notReplayable: 0,
      versions: { [champion.version]: count("champion"), [canary.version]: count("canary"), [shadow.version]: count("shadow") },
    });
  });
});
