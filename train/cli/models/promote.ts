/** `models promote <version> --reason "..."`: point current at an existing, verified version. */
import type { ModelsCommand } from "./command.ts";
import { makeCurrent, moveOptions, requireReason } from "./make-current.ts";
import { resolveVersion } from "../../store/versions.ts";

export const promoteCommand: ModelsCommand = {
  summary: "point current at an existing version, after re-verifying every file's sha256",
  usage: '<version> --reason "..." [--allow-signature-change]',
  help: [
    '  --reason "..."            required: why, recorded in the history with who and when',
    "  --allow-signature-change  promote even if the version accepts other features than the serving one",
  ].join("\n"),
  options: moveOptions,
  args: { min: 1, max: 1 },
  async run(ctx) {
    const reason = requireReason(ctx);
    const { version } = await resolveVersion(ctx.location, ctx.args[0] as string);
    return makeCurrent(ctx, version, "promote", reason);
  },
};
