/**
 * `models report <version|current> [--out file]`: the HTML report of a
 * published version, verified against its manifest (train/report/export.ts).
 * Without --out the HTML goes to stdout (then --json is refused: one stream, one format).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { exportReport, ReportMissingError } from "../../report/export.ts";
import { CommandError, UsageError } from "../args.ts";
import { checkOutFile } from "../out-paths.ts";
import { stringFlag, type ModelsCommand } from "./command.ts";

export const reportCommand: ModelsCommand = {
  summary: "write the HTML model report of a version (verified against its manifest)",
  usage: "<version|current> [--out file]",
  help: "  --out <file>   write the report here (default: stdout; --json needs --out)",
  options: { out: { type: "string" } },
  args: { min: 1, max: 1 },
  readOnly: true,
  async run(ctx) {
    const out = stringFlag(ctx, "out");
    if (ctx.json && !out) throw new UsageError("--json prints a summary on stdout, so the report needs --out <file>");
    if (out) checkOutFile("out", out, { example: "report.html", makesFolders: true });
    let report;
    try {
      report = await exportReport(ctx.location, ctx.args[0] as string);
    } catch (e) {
      if (e instanceof ReportMissingError) throw new CommandError(e.message, e.code);
      throw e;
    }
    if (out) {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, report.bytes);
      ctx.log(`wrote ${out}: report of ${ctx.location.name} version ${report.version}${report.current ? " (current)" : ""}, ${(report.bytes.byteLength / 1024).toFixed(0)} KB, sha256 ${report.sha256.slice(0, 12)}… matches the manifest`);
    } else {
      process.stdout.write(report.bytes);
    }
    return { json: { version: report.version, current: report.current, file: out ?? null, bytes: report.bytes.byteLength, sha256: report.sha256 } };
  },
};
