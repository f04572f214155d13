/** `models rollback [--to <version>] --reason "..."`: back to the version that was current before this one. */
import { RegistryError } from "../../registry/errors.ts";
import { readHistory, requireSignedPointer } from "../../registry/history.ts";
import { rollbackTarget } from "../../registry/rollback.ts";
import { resolveVersion } from "../../store/versions.ts";
import { stringFlag, type ModelsCommand } from "./command.ts";
import { makeCurrent, moveOptions, requireReason } from "./make-current.ts";
import { StoreError } from "../../store/versions.ts";

export const rollbackCommand: ModelsCommand = {
  summary: "back to the version that was current before this one (from the history), or --to a named one",
  usage: '[--to <version>] --reason "..." [--allow-signature-change]',
  help: [
    '  --reason "..."            required: why, recorded in the history with who and when',
    "  --to <version>            go to this version instead (a second rollback undoes the first; --to goes further back)",
    "  --allow-signature-change  roll back even if that version accepts other features than the serving one",
  ].join("\n"),
  options: { ...moveOptions, to: { type: "string" } },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const reason = requireReason(ctx);
    const to = stringFlag(ctx, "to");
    if (to) return makeCurrent(ctx, (await resolveVersion(ctx.location, to)).version, "rollback", reason);
    // The target comes from the pointer's move: only from one a trusted key signed.
    await requireSignedPointer(ctx.location, ctx.state, "Name the version to go to: rollback --to <version>");
    const records = (await readHistory(ctx.location)).flatMap((s) => (s.record ? [s.record] : []));
    const target = rollbackTarget(ctx.location.name, ctx.state, records);
    if (!target.ok) throw new RegistryError(target.message, "no_previous");
    ctx.log(`history record ${target.seq} made ${ctx.state.pointer?.version} current, coming from ${target.version}`);
    try {
      return await makeCurrent(ctx, target.version, "rollback", reason);
    } catch (e) {
      // The version before is gone or damaged: the way out is another one, named.
      if (e instanceof StoreError && (e.code === "version_damaged" || e.code === "version_not_found")) {
        throw new StoreError(`${e.message}; nothing changed. Roll back to another version with rollback --to <version> (npm run models -- list shows them, npm run models -- history what was current when)`, e.code);
      }
      throw e;
    }
  },
};
