/**
 * `npm run tune`: searches the model options on the training rows (successive
 * halving, k-fold cross-validation on small data, one worker thread per core),
 * trains the winner once and scores it on the test split, prints a
 * leaderboard and writes tuned.json for `npm run train -- --params tuned.json`.
 * Publishes nothing. Exit 0: tuned · 1: failed (e.g. the budget was too small
 * for one trial) · 2: usage error. Logs on stderr; `--json` prints one summary
 * object on stdout.
 */
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { runJob } from "../job.ts";
import { tunedFile } from "../tune/tuned.ts";
import { parseFlags, runCommand } from "./args.ts";
import { withCode } from "./codes.ts";
import { PROTECTED_HELP, protectedOption } from "./protected-flag.ts";
import { DATA_FLAGS, DATA_HELP, MODEL_FLAGS, MODEL_HELP, SEARCH_FLAGS, SEARCH_HELP, dataOptions, searchOptions, trainOptions, type FlagValues } from "./flags.ts";
import { jsonText, log } from "./output.ts";
import { createTuneProgress } from "./progress.ts";

const HELP = `Usage: npm run tune -- [options]

Searches the model options (below) by cross-validation on the training rows, stopping bad trials
early (successive halving), trains the winner and scores it once on the test split, and writes
tuned.json. Reproduce the winner with: npm run train -- --params tuned.json

${DATA_HELP}
${MODEL_HELP.replace("Model\n", "Model (a flag given here fixes that option; --epochs and --patience apply to every trial)\n")}
${SEARCH_HELP}
${PROTECTED_HELP.replace("on the test split (card and --json\n                                \"fairness\")", "on every trial's validation rows and the test split")}
Output
  --out <file>        the winner's options (default tuned.json)
  --json              print a JSON summary on stdout
  --quiet             no progress bar
`;

export async function main(argv: string[]): Promise<number> {
  const startedAt = Date.now() - process.uptime() * 1000;
  const { values: a } = parseFlags(argv, {
    ...DATA_FLAGS, ...MODEL_FLAGS, ...SEARCH_FLAGS,
    protected: { type: "string" }, out: { type: "string" }, json: { type: "boolean" }, quiet: { type: "boolean" }, help: { type: "boolean", short: "h" },
  });
  if (a.help) { process.stdout.write(HELP); return 0; }
  const flags = a as FlagValues;
  const data = dataOptions(flags);
  const protectedColumns = protectedOption(a.protected, data, a.spec);
  const tune = searchOptions(flags, startedAt);
  const out = a.out ?? "tuned.json";
  const result = await runJob(
    {
      ...data, ...(protectedColumns.length ? { protected: protectedColumns, taskFlags: { classification: ["protected", ...(tune.fairness ? ["fairness"] : [])] } } : {}),
      train: trainOptions(flags, undefined, true), thresholds: { refer: 0.25, decline: 0.5 }, modelName: "tuned", dryRun: false, tune },
    { log, tuneProgress: createTuneProgress(process.stderr, a.quiet ?? false) },
  );
  const tuning = result.tuning!;
  const file = tunedFile(tuning, result.spec, result.profile, result.validationShare, result.test ?? result.regression?.test);
  writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`);
  log(`wrote ${out}; train and publish the winner with: npm run train -- --params ${out}`);
  const elapsed = (Date.now() - startedAt) / 1000;
  log(`done in ${elapsed.toFixed(1)} s${tune.timeBudgetMs ? ` (budget ${(tune.timeBudgetMs / 1000).toFixed(0)} s)` : ""}`);
  if (a.json) {
    process.stdout.write(`${jsonText({
      ok: true, status: "tuned", out, seconds: elapsed, selection: tuning.selection,
      evaluated: tuning.evaluated, sampled: tuning.sampled, epochsTrained: tuning.epochsTrained, fullLengthTrials: tuning.fullLengthTrials,
      deadlineHit: tuning.deadlineHit, ...(tuning.kept ? { kept: tuning.kept, confirmation: tuning.card.confirmation } : {}), params: file.params, test: file.test, leaderboard: file.leaderboard,
      ...(tuning.fairness ? { fairness: tuning.fairness } : {}), ...(result.fairness ? { testFairness: result.fairness } : {}),
    })}\n`);
  }
  return 0;
}

export function run(argv: string[]): Promise<number> {
  return runCommand(argv, (a) => main(a).catch((e: unknown) => { throw withCode(e); }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await run(process.argv.slice(2));
}
