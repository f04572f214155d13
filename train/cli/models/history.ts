/** `models history [--verify]`: every pointer move, newest first; --verify checks the hash chain. */
import { verifyChain } from "../../registry/chain.ts";
import { readHistory } from "../../registry/history.ts";
import { boolFlag, type ModelsCommand } from "./command.ts";
import { revision, short, table, when } from "./format.ts";

export const historyCommand: ModelsCommand = {
  summary: "every pointer move: when, from, to, action, reason, actor, code revision, data fingerprint",
  usage: "[--verify]",
  help: "  --verify  check the hash chain and the pointer; exit 1 and name the record where it breaks",
  options: { verify: { type: "boolean" } },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const l = ctx.location;
    const stored = await readHistory(l);
    const records = stored.flatMap((s) => (s.record ? [s.record] : []));
    if (stored.length === 0) {
      ctx.print(`${l.name}: no pointer moves recorded yet${ctx.state.pointer ? ` (current ${ctx.state.pointer.version} was set before the history began)` : ""}\n`);
    } else {
      ctx.print(`${l.name} in ${ctx.store.where}: ${stored.length} move${stored.length === 1 ? "" : "s"}, newest first\n`);
      ctx.print(`${table(
        ["seq", "at (UTC)", "action", "from", "to", "actor", "reason", "code", "data"],
        [...stored].reverse().map((s) => s.record
          ? [s.seq, when(s.record.at), s.record.action, s.record.from, s.record.to, s.record.actor, s.record.reason, revision(s.record.revision), short(s.record.dataSha256, 8)]
          : [s.seq, "–", `unreadable: ${s.problem}`, null, null, null, null, null, null]),
        [0],
      )}\n`);
      const signature = records.filter((r) => r.signatureChange?.length);
      for (const r of signature) ctx.print(`seq ${r.seq} changed the feature signature on purpose: ${r.signatureChange!.join("; ")}\n`);
    }
    if (!boolFlag(ctx, "verify")) return { json: { records } };
    const report = await verifyChain(l.name, stored, ctx.state);
    if (report.ok) {
      ctx.print(`chain intact: ${report.records} record${report.records === 1 ? "" : "s"}, each linked to the one before by sha256, the last matching the pointer; head sha256 ${report.headSha256 ?? "–"}\n`);
      return { json: { records, verify: report } };
    }
    const where = report.problems.map((p) => `  seq ${p.seq}: ${p.problem}`).join("\n");
    ctx.log(`history of "${l.name}" is broken:\n${where}`);
    const first = report.problems[0]!;
    return {
      exitCode: 1,
      json: { ok: false, error: { code: "history_broken", message: `the history chain breaks at record ${first.seq}: ${first.problem}` }, records, verify: report },
    };
  },
};
