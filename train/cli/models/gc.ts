/** `models gc --keep N [--yes]`: delete old versions; a dry run unless --yes. */
import { collectGarbage, planCollection } from "../../registry/gc.ts";
import { resolveActor } from "../../registry/provenance.ts";
import { num, rules, UsageError } from "../args.ts";
import { boolFlag, stringFlag, type ModelsCommand } from "./command.ts";
import { table } from "./format.ts";

export const gcCommand: ModelsCommand = {
  summary: "delete versions beyond the newest N, never the current one nor one current within the last N moves",
  usage: "--keep N [--yes]",
  help: "  --keep N  keep the newest N versions (N >= 1) and every version current within the last N moves\n  --yes     delete; without it gc only says what it would delete",
  options: { keep: { type: "string" }, yes: { type: "boolean" } },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const keepFlag = stringFlag(ctx, "keep");
    if (keepFlag === undefined) throw new UsageError("--keep N is required (how many of the newest versions to keep)");
    const keep = num("keep", keepFlag, 0, rules.positiveInt);
    const yes = boolFlag(ctx, "yes");
    const l = ctx.location;
    const r = yes ? await collectGarbage(l, keep, resolveActor(), ctx.log) : await planCollection(l, keep);
    ctx.print(`${l.name}: keeping ${r.keep.length}, ${yes ? "deleted" : "would delete"} ${r.remove.length}${r.resumed.length ? ` (finishing ${r.resumed.length} an interrupted gc had started)` : ""}\n`);
    ctx.print(`${table(["version", "action", "why"], [
      ...r.keep.map((k) => [k.version, "keep", k.why.join(", ")]),
      ...r.remove.map((v) => [v, yes ? "deleted" : "delete", `not among the newest ${keep}, not current within the last ${keep} moves`]),
    ])}\n`);
    if (!yes && r.remove.length) ctx.print("dry run: nothing was deleted; add --yes to delete\n");
    return { json: { dryRun: !yes, keep: r.keep, remove: r.remove, deleted: r.deleted, resumed: r.resumed } };
  },
};
