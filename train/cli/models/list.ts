/** `models list`: every version, newest first, with its headline facts and which one is current. */
import type { Manifest } from "../../../shared/artifact.ts";
import { challengerList } from "../../../shared/challengers.ts";
import { cardFacts } from "../../registry/card.ts";
import { pointerTrusted, readHistory } from "../../registry/history.ts";
import { listVersionIds, readManifest } from "../../store/versions.ts";
import type { ModelsCommand } from "./command.ts";
import { fixed, sharePct, table, when } from "./format.ts";

export const listCommand: ModelsCommand = {
  summary: "every version, newest first: created, task, test metric, rows, who published it, which is current",
  usage: "",
  args: { min: 0, max: 0 },
  readOnly: true,
  async run(ctx) {
    const l = ctx.location;
    const [ids, history] = await Promise.all([listVersionIds(l), readHistory(l)]);
    const publishedBy = new Map<string, string>();
    for (const s of history) {
      if (s.record?.action === "publish") publishedBy.set(s.record.to, s.record.actor);
      if (s.record?.action === "candidate" && s.record.candidate) publishedBy.set(s.record.candidate.version, s.record.actor);
    }
    const current = ctx.state.pointer?.version;
    const ch = ctx.state.pointer?.challengers;
    // Once current, canary or shadow in any record, a version published as a candidate is no longer one.
    const onTraffic = new Set(history.flatMap((s) => (s.record ? [s.record.to, ...challengerList(s.record.challengers).map((c) => c.version)] : [])));
    const candidates = new Set(history.flatMap((s) => (s.record?.candidate && !onTraffic.has(s.record.candidate.version) ? [s.record.candidate.version] : [])));
    /** What the version is to the pointer now: current, canary (with its share), shadow, or a candidate never put on traffic. */
    const roleOf = (v: string): string | null => {
      if (v === current) return "current";
      // One version may be both the canary and the shadow.
      const roles = challengerList(ch).filter((c) => c.version === v).map((c) => (c.role === "canary" ? `canary ${sharePct(ch!.canary!.share)}` : c.role));
      return roles.length ? roles.join(", ") : candidates.has(v) ? "candidate" : null;
    };
    const manifests = new Map<string, Manifest | Error>();
    for (let i = 0; i < ids.length; i += 8) {
      await Promise.all(ids.slice(i, i + 8).map(async (v) => {
        manifests.set(v, await readManifest(l, v).catch((e: unknown) => e as Error));
      }));
    }
    const versions = ids.map((v) => {
      const m = manifests.get(v);
      const base = { version: v, current: v === current, role: roleOf(v), publishedBy: publishedBy.get(v) ?? null };
      if (!m || m instanceof Error) return { ...base, problem: m?.message ?? "unreadable" };
      const f = cardFacts(m);
      return { ...base, createdAt: f.createdAt, task: f.task, metric: f.headline ?? null, rows: f.rows ?? null };
    });
    const metricName = versions.flatMap((v) => ("metric" in v && v.metric ? [v.metric.name] : []))[0] ?? "metric";
    ctx.print(`${l.name} in ${ctx.store.where}: ${ids.length} version${ids.length === 1 ? "" : "s"}, current ${current ?? (ctx.state.broken ? "unknown (pointer broken)" : "none")}\n`);
    const roles = versions.some((v) => v.role && v.role !== "current");
    const role = (v: { role: string | null }) => (roles ? [v.role === "current" ? null : v.role] : []);
    ctx.print(`${table(
      ["", "version", ...(roles ? ["role"] : []), "created (UTC)", "task", metricName, "rows", "published by"],
      versions.map((v) => "problem" in v
        ? [v.current ? "*" : "", v.version, ...role(v), `damaged: ${v.problem}`, null, null, null, v.publishedBy]
        : [v.current ? "*" : "", v.version, ...role(v), when(v.createdAt), v.task, fixed(v.metric?.value), v.rows, v.publishedBy]),
      roles ? [5, 6] : [4, 5],
    )}\n`);
    if (current && !ids.includes(current)) ctx.log(`warning: the pointer names ${current}, which is not in the store`);
    // A pointer no trusted key signed is what a bucket writer put there: the edge refuses it.
    const signed = await pointerTrusted(l, ctx.state);
    if (!signed) ctx.log(`warning: the pointer's move to ${current} is not validly signed by a trusted key: the edge refuses it and keeps serving its last good version; see npm run models -- history --verify, and promote the right version`);
    return { json: { store: ctx.store.where, current: current ?? null, ...(signed ? {} : { pointerSigned: false }), challengers: ch ?? null, versions } };
  },
};
