/**
 * The registry's pure parts: feature-signature comparison, the rollback
 * target, the gc plan, the hash-chain check, and the pointer/record formats
 * (the edge's pointer parser still accepts a pointer carrying a move).
 */
import { describe, expect, it } from "vitest";
import { parsePointer } from "../shared/artifact.ts";
import { sha256Hex } from "../shared/hash.ts";
import type { FeatureSpec } from "../shared/spec.ts";
import { verifyChain } from "../train/registry/chain.ts";
import { planGc } from "../train/registry/gc-plan.ts";
import type { PointerState, StoredRecord } from "../train/registry/history.ts";
import { historyKey, parseRegistryPointer, pointerBytes, recordBytes, recordFromPointer, type HistoryRecord, type RegistryPointer } from "../train/registry/records.ts";
import { rollbackTarget } from "../train/registry/rollback.ts";
import { signatureChanges, signatureRefusal } from "../train/registry/signature.ts";

const spec: FeatureSpec = {
  target: "Status", positive: "bad", negative: "good",
  features: [
    { name: "Income", type: "numeric", min: 0, nullable: true },
    { name: "Home", type: "categorical", values: ["owner", "rent"], nullable: false },
    { name: "Age", type: "numeric", min: 18, max: 99, nullable: false },
  ],
};
const edit = (f: (s: FeatureSpec) => void): FeatureSpec => { const s = structuredClone(spec); f(s); return s; };

describe("feature signature", () => {
  it("is compatible when only categories are added or ranges widened", () => {
    expect(signatureChanges(spec, spec)).toEqual([]);
    expect(signatureChanges(spec, edit((s) => {
      (s.features[1] as { values: string[] }).values.push("parents");
      Object.assign(s.features[2]!, { min: 16, max: 120 });
      s.features[2]!.nullable = true;
    }))).toEqual([]);
  });

  it("names every breaking change: added, removed, retyped, category removed, null refused, range narrowed, other target", () => {
    const changes = signatureChanges(spec, {
      target: "default", positive: "1", negative: "0",
      features: [
        { name: "Income", type: "numeric", min: 0, nullable: false },
        { name: "Home", type: "categorical", values: ["owner"], nullable: false },
        { name: "Age", type: "categorical", values: ["young", "old"], nullable: false },
        { name: "customer_id", type: "numeric", nullable: false },
      ],
    });
    expect(changes).toEqual([
      'output changed: probability of Status = "bad" → default = "1"',
      'feature "customer_id" added (numeric, required)',
      'feature "Income": null no longer accepted',
      'feature "Home": categories removed: "rent"',
      'feature "Age" retyped: numeric → categorical',
    ]);
    expect(signatureChanges(spec, edit((s) => { s.features.splice(0, 1); }))).toEqual(['feature "Income" removed']);
    expect(signatureChanges(spec, edit((s) => { Object.assign(s.features[2]!, { max: 70 }); }))).toEqual(['feature "Age": range narrowed: 18 to 99 → 18 to 70']);
  });

  it("refuses with the differences and both ways out", () => {
    const text = signatureRefusal({ name: "credit-risk", serving: "A", candidate: "B", changes: ['feature "x" removed'], command: "train" });
    expect(text).toContain('  - feature "x" removed');
    expect(text).toContain("--model-name <new>");
    expect(text).toContain("--allow-signature-change");
  });
});

const V = (n: number) => `2026110${n}T000000Z-0000000${n}`;
const rec = (seq: number, from: string | null, to: string, action: HistoryRecord["action"] = "publish"): HistoryRecord => ({
  format: "edgescore.history/v1", name: "m", seq, at: `2026-11-0${seq}T00:00:00.000Z`, action, from, to, manifestSha256: "a".repeat(64),
  reason: "r", actor: "x@y", revision: null, dataSha256: null, prevSha256: null,
});
const pointerAt = (r: HistoryRecord, prevRecordSha256: string | null): RegistryPointer => ({
  name: r.name, version: r.to, manifestSha256: r.manifestSha256, publishedAt: r.at,
  move: { seq: r.seq, action: r.action, from: r.from, reason: r.reason, actor: r.actor, revision: r.revision, dataSha256: r.dataSha256, prevRecordSha256 },
});

describe("rollback target", () => {
  it("is the version current before this one by the history, not the previous by time", () => {
    // 1 → 2 → 3 published, then 1 promoted again: before 1 was 3, though by time 1 has nothing before it.
    const records = [rec(1, null, V(1)), rec(2, V(1), V(2)), rec(3, V(2), V(3)), rec(4, V(3), V(1), "promote")];
    const state: PointerState = { pointer: pointerAt(records[3]!, null) };
    expect(rollbackTarget("m", state, records)).toEqual({ ok: true, version: V(3), seq: 4 });
  });

  it("uses the log for a pointer written before the log, and says when there is nowhere to go", () => {
    const records = [rec(1, V(1), V(2))];
    expect(rollbackTarget("m", { pointer: { name: "m", version: V(2), manifestSha256: "a".repeat(64), publishedAt: "t" } }, records)).toMatchObject({ ok: true, version: V(1) });
    const first = rollbackTarget("m", { pointer: pointerAt(rec(1, null, V(1)), null) }, [rec(1, null, V(1))]);
    expect(first).toMatchObject({ ok: false, message: expect.stringMatching(/first version .* --to <version>/) });
    expect(rollbackTarget("m", { pointer: { name: "m", version: V(5), manifestSha256: "a".repeat(64), publishedAt: "t" } }, [])).toMatchObject({ ok: false, message: expect.stringMatching(/rollback --to <version>/) });
    expect(rollbackTarget("m", {}, [])).toMatchObject({ ok: false, message: expect.stringMatching(/nothing to roll back/) });
  });
});

describe("gc plan", () => {
  const versions = [V(6), V(5), V(4), V(3), V(2), V(1)];
  it("keeps the newest N, the current version and every version current within the last N moves", () => {
    const records = [rec(1, null, V(1)), rec(2, V(1), V(2)), rec(3, V(2), V(3)), rec(4, V(3), V(1), "rollback")];
    const plan = planGc({ versions, current: V(1), records, keep: 2 });
    // Moves 3 and 4 are the last two: V2 (before 3), V3 (after 3, before 4) and V1 (after 4) were current in them.
    expect(plan.keep.map((k) => k.version)).toEqual([V(6), V(5), V(3), V(2), V(1)]);
    expect(plan.remove).toEqual([V(4)]);
    expect(plan.keep.find((k) => k.version === V(3))?.why).toEqual(["current after move 3", "current before move 4"]);
  });

  it("never removes the current version, even with --keep 1 and no history", () => {
    const plan = planGc({ versions, current: V(2), records: [], keep: 1 });
    expect(plan.remove).toEqual([V(5), V(4), V(3), V(1)]);
  });

  it("a mark overrides no keep rule: a marked version is deleted only if these rules delete it now", () => {
    // An interrupted `gc --keep 1` marked V2..V5; this run keeps 3 and is not bound by that.
    const plan = planGc({ versions, current: V(6), records: [], keep: 3, marked: [V(5), V(4), V(3), V(2)] });
    expect(plan.keep.map((k) => k.version)).toEqual([V(6), V(5), V(4)]);
    expect(plan.remove).toEqual([V(3), V(2), V(1)]);
    expect(plan).toMatchObject({ finishing: [], released: [V(5), V(4)] });
  });

  it("finishes a marked version the interrupted gc had begun deleting, whatever the keep rules, but never the current one", () => {
    const plan = planGc({ versions, current: V(6), records: [], keep: 6, marked: [V(2), V(6)], partial: [V(2), V(6)] });
    expect(plan.remove).toEqual([V(2)]);
    expect(plan.finishing).toEqual([V(2)]);
    expect(plan.released).toEqual([V(6)]);
    expect(plan.keep.find((k) => k.version === V(6))?.why).toContain("partly deleted by an interrupted gc, yet serving: not deleted; promote a sound version, then run gc again");
    // A version with its manifest gone but never marked is not gc's doing: left alone.
    expect(planGc({ versions, current: V(6), records: [], keep: 6, partial: [V(2)] }).remove).toEqual([]);
  });
});

async function stored(records: HistoryRecord[]): Promise<{ stored: StoredRecord[]; state: PointerState }> {
  const out: StoredRecord[] = [];
  let prev: string | null = null;
  for (const r of records) {
    const linked = { ...r, prevSha256: prev };
    const bytes = recordBytes(linked);
    out.push({ seq: r.seq, key: historyKey("m", r.seq), bytes, record: linked });
    prev = await sha256Hex(bytes);
  }
  const last = out.at(-1)!;
  return { stored: out, state: { pointer: pointerAt(last.record!, last.record!.prevSha256) } };
}

describe("hash chain", () => {
  const log = [rec(1, null, V(1)), rec(2, V(1), V(2)), rec(3, V(2), V(3), "promote"), rec(4, V(3), V(2), "rollback")];

  it("verifies an intact log whose last record is the pointer's move", async () => {
    const { stored: s, state } = await stored(log);
    const report = await verifyChain("m", s, state);
    expect(report).toMatchObject({ ok: true, records: 4, problems: [] });
    expect(report.headSha256).toBe(await sha256Hex(s[3]!.bytes));
  });

  it("says where an edited record breaks the chain", async () => {
    const { stored: s, state } = await stored(log);
    const edited = { ...s[1]!.record!, reason: "something else" };
    s[1] = { ...s[1]!, bytes: recordBytes(edited), record: edited };
    expect((await verifyChain("m", s, state)).problems).toEqual([{ seq: 3, problem: expect.stringMatching(/^record 2 was changed after record 3 was written/) }]);
  });

  it("says which record was deleted, and when the last one differs from the pointer", async () => {
    const { stored: s, state } = await stored(log);
    expect((await verifyChain("m", [s[0]!, s[2]!, s[3]!], state)).problems).toEqual([{ seq: 2, problem: "record 2 is missing (deleted)" }]);
    const tail = { ...s[3]!.record!, actor: "someone-else" };
    const changed = [...s.slice(0, 3), { ...s[3]!, bytes: recordBytes(tail), record: tail }];
    expect((await verifyChain("m", changed, state)).problems).toEqual([{ seq: 4, problem: expect.stringMatching(/record 4 does not match the move the pointer carries/) }]);
  });

  it("notices a move outside the registry (a pointer or record that does not continue from the last one)", async () => {
    const { stored: s } = await stored(log);
    const outside: PointerState = { pointer: { name: "m", version: V(6), manifestSha256: "a".repeat(64), publishedAt: "t" } };
    expect((await verifyChain("m", s, outside)).problems).toEqual([{ seq: 5, problem: expect.stringMatching(/pointer names .* changed outside the registry/) }]);
    const { stored: gap, state } = await stored([rec(1, null, V(1)), rec(2, V(5), V(2))]);
    expect((await verifyChain("m", gap, state)).problems).toEqual([{ seq: 2, problem: expect.stringMatching(/moves from .*, but record 1 left the pointer at .*: a move in between was not recorded/) }]);
  });
});

describe("pointer and record formats", () => {
  const p = pointerAt(rec(3, V(2), V(3), "promote"), "b".repeat(64));

  it("the edge's pointer parser accepts a pointer carrying a move and a gc mark", () => {
    const text = new TextDecoder().decode(pointerBytes({ ...p, gc: { deleting: [V(1)], startedAt: "t", actor: "a" } }));
    const edge = parsePointer(text);
    expect(edge.ok && edge.value.version).toBe(V(3));
    const registry = parseRegistryPointer(text);
    expect(registry.ok && registry.pointer.move?.seq).toBe(3);
    expect(registry.ok && registry.pointer.gc?.deleting).toEqual([V(1)]);
  });

  it("derives the record from the pointer byte for byte, whoever derives it", () => {
    const a = recordBytes(recordFromPointer({ ...p, move: p.move! }));
    const reparsed = parseRegistryPointer(new TextDecoder().decode(pointerBytes(p)));
    if (!reparsed.ok) throw new Error(reparsed.error);
    expect(recordBytes(recordFromPointer({ ...reparsed.pointer, move: reparsed.pointer.move! }))).toEqual(a);
    expect(historyKey("credit-risk", 7)).toBe("credit-risk/history/0000000007.json");
  });

  it("drops a malformed move with a warning instead of trusting it", () => {
    const r = parseRegistryPointer(JSON.stringify({ ...p, move: { seq: "three" } }));
    expect(r.ok && r.pointer.move).toBeUndefined();
    expect(r.ok && r.warning).toMatch(/"move" is malformed/);
  });
});
