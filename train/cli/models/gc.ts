/** `models gc --keep N [--keep-served-within <duration>] [--yes]`: delete old versions; a dry run unless --yes. */
import { parseCutoff, TimeFlagError } from "../../decisions/dates.ts";
import { collectGarbage, planCollection, type GcResult } from "../../registry/gc.ts";
import { PARTLY_DELETED } from "../../registry/gc-plan.ts";
import { resolveActor } from "../../registry/provenance.ts";
import { num, rules, UsageError } from "../args.ts";
import { boolFlag, stringFlag, type ModelsCommand } from "./command.ts";
import { table } from "./format.ts";

/** As long as `decisions gc` keeps records by default: a version is kept while records it answered may be replayed. */
export const SERVED_WITHIN_DEFAULT = "25mo";

export const gcCommand: ModelsCommand = {
  summary: "delete versions beyond the newest N, never the current one, one current within the last N moves, nor one that answered requests within 25 months",
  usage: "--keep N [--keep-served-within <duration>] [--yes]",
  help: "  --keep N  keep the newest N versions (N >= 1) and every version current within the last N moves\n"
    + `  --keep-served-within <duration>  and every version that answered requests (current, canary, shadow) within it, by the history's times (default ${SERVED_WITHIN_DEFAULT}, as decision records are kept: replay needs the version; 0d keeps none for this reason)\n`
    + "  --yes     delete; without it gc only says what it would delete",
  options: { keep: { type: "string" }, "keep-served-within": { type: "string" }, yes: { type: "boolean" } },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const keepFlag = stringFlag(ctx, "keep");
    if (keepFlag === undefined) throw new UsageError("--keep N is required (how many of the newest versions to keep)");
    const keep = num("keep", keepFlag, 0, rules.positiveInt);
    const within = stringFlag(ctx, "keep-served-within") ?? SERVED_WITHIN_DEFAULT;
    const now = new Date();
    let cutoff: Date;
    try {
      cutoff = parseCutoff("keep-served-within", within, now);
    } catch (e) {
      throw e instanceof TimeFlagError ? new UsageError(e.message) : e;
    }
    // A zero duration (0d) turns the rule off.
    const servedSince = cutoff.getTime() < now.getTime() ? cutoff : undefined;
    const yes = boolFlag(ctx, "yes");
    const l = ctx.location;
    const rule = { keep, ...(servedSince ? { servedSince } : {}) };
    const r = yes ? await collectGarbage(l, rule, resolveActor(), ctx.log) : await planCollection(l, rule);
    ctx.print(`${l.name}: keeping ${r.keep.length}, ${yes ? "deleted" : "would delete"} ${r.remove.length}${r.finishing.length ? ` (finishing ${r.finishing.length} an interrupted gc had partly deleted)` : ""}\n`);
    const ruled = `not among the newest ${keep}, not current within the last ${keep} moves, not current, canary or shadow${servedSince ? `, no requests answered since ${servedSince.toISOString().slice(0, 10)}` : ""}`;
    ctx.print(`${table(["version", "action", "why"], [
      ...r.keep.map((k) => [k.version, "keep", k.why.join(", ")]),
      ...r.remove.map((v) => [v, yes ? "deleted" : "delete", r.finishing.includes(v) ? PARTLY_DELETED : ruled]),
    ])}\n`);
    if (r.mark) ctx.print(`${markLine(r, yes)}\n`);
    if (!yes && (r.remove.length || r.mark)) ctx.print(`dry run: nothing was ${r.mark ? "changed" : "deleted"}; add --yes to ${r.remove.length ? "delete" : "clear the mark"}\n`);
    return { json: { dryRun: !yes, keepServedSince: servedSince?.toISOString() ?? null, keep: r.keep, remove: r.remove, deleted: r.deleted, resumed: r.resumed, finishing: r.finishing, released: r.released, mark: r.mark } };
  },
};

/** What became of the mark an interrupted gc left: the rules of this run decide, the mark only names what was under way. */
function markLine(r: GcResult, yes: boolean): string {
  const m = r.mark!;
  const parts = [`an interrupted gc (started ${m.startedAt} by ${m.actor}) had marked ${m.deleting.join(", ") || "nothing"} for deletion`];
  if (r.resumed.length) parts.push(`${yes ? "deleted" : "to delete"}: ${r.resumed.join(", ")}`);
  if (r.released.length) parts.push(`kept by these rules: ${r.released.join(", ")}`);
  parts.push(yes ? "the mark is cleared" : "--yes clears the mark");
  return parts.join("; ");
}
