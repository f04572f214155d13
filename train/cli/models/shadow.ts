/** `models shadow <version> [--reason "..."]` and `shadow --stop`: score every request with another version too, never returning it. */
import { UsageError } from "../args.ts";
import { changeChallenger } from "./challenge.ts";
import { boolFlag, stringFlag, type ModelsCommand } from "./command.ts";

export const shadowCommand: ModelsCommand = {
  summary: "score every request with another version too, after the answer is sent (recorded, never returned), or --stop",
  usage: '<version> [--reason "..."] [--allow-signature-change] | --stop [--reason "..."]',
  help: [
    '  --reason "..."  why, recorded in the history (default: "shadow <version>" / "shadow stopped")',
    "  --stop          stop scoring with the shadow",
    "  --allow-signature-change  even if the version accepts other features than the current one (the edge refuses",
    "                  the requests it cannot score: shadow_refused, no records to compare)",
  ].join("\n"),
  options: { stop: { type: "boolean" }, reason: { type: "string" }, "allow-signature-change": { type: "boolean" } },
  args: { min: 0, max: 1 },
  async run(ctx) {
    const version = ctx.args[0];
    const reason = stringFlag(ctx, "reason")?.trim();
    if (reason && reason.length > 1000) throw new UsageError(`--reason: at most 1000 characters, found ${reason.length}`);
    if (boolFlag(ctx, "stop")) {
      if (version !== undefined || boolFlag(ctx, "allow-signature-change")) throw new UsageError("shadow --stop takes no version and no --allow-signature-change");
      return changeChallenger(ctx, { role: "shadow", reason: reason || "shadow stopped" });
    }
    if (version === undefined) throw new UsageError("shadow needs a version: npm run models -- shadow <version> (or --stop)");
    return changeChallenger(ctx, { role: "shadow", version, reason: reason || `shadow ${version}`, allowSignatureChange: boolFlag(ctx, "allow-signature-change") });
  },
};
