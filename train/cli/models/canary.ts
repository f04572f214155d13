/** `models canary <version> --share 0.1 --reason "..."` and `canary --stop`: a stable share of callers answered by another version. */
import { num, UsageError } from "../args.ts";
import { changeChallenger } from "./challenge.ts";
import { boolFlag, stringFlag, type ModelsCommand } from "./command.ts";
import { requireReason } from "./make-current.ts";

export const canaryCommand: ModelsCommand = {
  summary: "let another version answer a stable share of callers (hashed caller id), or --stop; current stays",
  usage: '<version> --share <0..1> --reason "..." | --stop [--reason "..."]',
  help: [
    "  --share <x>               the share of callers it answers, above 0 and at most 1 (0.1 = 10 %); a caller is",
    "                            the JWT subject, else the API key, else the first instance's pass-through id, else the request",
    '  --reason "..."            why, recorded in the history (required to start or change a canary)',
    "  --stop                    every caller back to the current version",
    "  --allow-signature-change  even if the version accepts other features than the current one",
    "  promote <canary's version> makes it current and ends the canary in the same move",
  ].join("\n"),
  options: { share: { type: "string" }, stop: { type: "boolean" }, reason: { type: "string" }, "allow-signature-change": { type: "boolean" } },
  args: { min: 0, max: 1 },
  async run(ctx) {
    const version = ctx.args[0];
    if (boolFlag(ctx, "stop")) {
      if (version !== undefined || stringFlag(ctx, "share") !== undefined) throw new UsageError("canary --stop takes no version and no --share");
      return changeChallenger(ctx, { role: "canary", reason: stringFlag(ctx, "reason")?.trim() || "canary stopped" });
    }
    if (version === undefined) throw new UsageError('canary needs a version: npm run models -- canary <version> --share 0.1 --reason "..." (or --stop)');
    const shareText = stringFlag(ctx, "share");
    if (shareText === undefined) throw new UsageError("canary needs --share <x>: the share of callers it answers, e.g. --share 0.1 for 10 %");
    const share = num("share", shareText, 0, { ok: (x) => x > 0 && x <= 1, text: "a share above 0 and at most 1 (0.1 = 10 % of callers; 1 = all, or promote it)" });
    return changeChallenger(ctx, { role: "canary", version, share, reason: requireReason(ctx), allowSignatureChange: boolFlag(ctx, "allow-signature-change") });
  },
};
