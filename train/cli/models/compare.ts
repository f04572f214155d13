/**
 * `models compare [--since 7d] [--until ...] [--outcomes csv --join-on col] [--json] [--out compare.html]`:
 * champion against challenger from the decision records the edge captured
 * (train/compare/compare.ts says what is compared and how).
 */
import { writeFileSync } from "node:fs";
import { Comparer, type Comparison, type ShadowComparison, type CanaryComparison } from "../../compare/compare.ts";
import { parseRange, TimeFlagError, TIME_FORMS } from "../../decisions/dates.ts";
import { readDecisions, ReadStats } from "../../decisions/read.ts";
import { readOutcomes } from "../../monitor/outcomes.ts";
import { renderComparison } from "../../report/compare/render.ts";
import { readManifest, StoreError } from "../../store/versions.ts";
import { unansweredChallengers } from "../../compare/unanswered.ts";
import { signatureChanges } from "../../registry/signature.ts";
import { challengerList, type ChallengerRole } from "../../../shared/challengers.ts";
import type { ModelsContext } from "./command.ts";
import { UsageError } from "../args.ts";
import { decisionsTrust } from "../signing.ts";
import { decisionsBucketOf, decisionsStoreOf } from "../decisions.ts";
import { stringFlag, type ModelsCommand } from "./command.ts";
import { fixed, table } from "./format.ts";

const pct = (x: number | null | undefined) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(1)} %`);

/** Champion first, as in every arrow after it (champion → shadow). */
function shadowText(c: ShadowComparison): string {
  return [
    `champion ${c.champion.version} against shadow ${c.challenger.version}: the same ${c.n} applicants`,
    `  decision agreement ${pct(c.agreement)} · approval ${pct(c.champion.approvalRate)} → ${pct(c.challenger.approvalRate)} · score PSI ${fixed(c.psi ?? undefined)} · mean |Δp| ${fixed(c.meanAbsDelta)}` +
      (c.champion.auc !== undefined ? ` · AUC ${fixed(c.champion.auc ?? undefined)} → ${fixed(c.challenger.auc ?? undefined)} (${c.champion.labelled} labelled)` : ""),
    c.flips.length ? table(["  flips: champion", "shadow", "applicants"], c.flips.map((f) => [`  ${f.from}`, f.to, f.n]), [2]) : "  no decision flips",
  ].join("\n");
}

/** Different applicants: each side's figures on a line of its own, named. */
function canaryText(c: CanaryComparison): string {
  const side = (label: string, s: CanaryComparison["champion"]) =>
    `  ${label} approval ${pct(s.approvalRate)} · mean score ${fixed(s.meanScore)}` + (s.auc !== undefined ? ` · AUC ${fixed(s.auc ?? undefined)} (${s.labelled} labelled)` : "");
  return [
    `champion ${c.champion.version} (${c.champion.n} answers) against canary ${c.challenger.version} (${c.challenger.n}): different applicants, distributions only`,
    side("champion:", c.champion),
    side("canary:  ", c.challenger),
    `  score PSI ${fixed(c.psi ?? undefined)} (the canary's scores on the champion's deciles)`,
  ].join("\n");
}

/** Each configured challenger's feature-signature changes against current; one whose manifest cannot be read is left out (unknown). */
async function challengerChanges(ctx: ModelsContext): Promise<Partial<Record<ChallengerRole, string[]>>> {
  const p = ctx.state.pointer;
  const out: Partial<Record<ChallengerRole, string[]>> = {};
  if (!p?.challengers) return out;
  const read = async (version: string, sha: string) => {
    try {
      return await readManifest(ctx.location, version, sha);
    } catch (e) {
      if (e instanceof StoreError) return undefined;
      throw e;
    }
  };
  const current = await read(p.version, p.manifestSha256);
  if (!current) return out;
  for (const c of challengerList(p.challengers)) {
    const m = await read(c.version, c.manifestSha256);
    if (m) out[c.role] = signatureChanges(current.spec, m.spec, { serving: current.task, candidate: m.task });
  }
  return out;
}

export const compareCommand: ModelsCommand = {
  summary: "champion against shadow (same applicants: agreement, flips, PSI, |Δp|) and canary (distributions), from decision records",
  usage: "[--since 7d] [--until <time>] [--outcomes <csv> --join-on <column>] [--out compare.html]",
  help: [
    `  --since <time>       from (default 7d): ${TIME_FORMS}`,
    "  --until <time>       to, exclusive (default now)",
    "  --outcomes <csv>     labels that arrived later, read as monitor --outcomes reads them: the model's target column",
    "  --join-on <column>   the CSV column holding the pass-through id the app sent; a column named request_id joins on the request id",
    "  --out <file.html>    also write the comparison as a page in the model report's style",
    "  --decisions-bucket <name>  with --store s3: the DECISIONS binding's bucket, when not the models' (or DECISIONS_BUCKET)",
  ].join("\n"),
  options: { since: { type: "string" }, until: { type: "string" }, outcomes: { type: "string" }, "join-on": { type: "string" }, out: { type: "string" }, "decisions-bucket": { type: "string" } },
  args: { min: 0, max: 0 },
  readOnly: true,
  async run(ctx) {
    const l = ctx.location;
    let since: Date, until: Date;
    try {
      ({ since, until } = parseRange({ since: stringFlag(ctx, "since"), until: stringFlag(ctx, "until") }, "7d"));
    } catch (e) {
      throw e instanceof TimeFlagError ? new UsageError(e.message) : e;
    }
    const decisionsBucket = decisionsBucketOf({ store: ctx.flags.store as string | undefined, "decisions-bucket": stringFlag(ctx, "decisions-bucket") });
    const outcomesPath = stringFlag(ctx, "outcomes");
    const joinOn = stringFlag(ctx, "join-on");
    if ((outcomesPath === undefined) !== (joinOn === undefined)) throw new UsageError("--outcomes and --join-on go together: the CSV and the column holding the pass-through (or request) id");
    let outcomes;
    const p = ctx.state.pointer;
    if (outcomesPath && joinOn) {
      if (!p) throw new UsageError(`--outcomes needs the model's target column, from its current version; "${l.name}" has none`);
      const spec = (await readManifest(l, p.version, p.manifestSha256)).spec;
      outcomes = await readOutcomes(outcomesPath, joinOn, spec);
    }
    // Streamed and de-duplicated by the decisions reader; the comparer keeps scores, not records.
    const stats = new ReadStats();
    const comparer = new Comparer(outcomes);
    const trust = await decisionsTrust(process.env);
    const decisions = decisionsStoreOf(l, decisionsBucket, trust);
    for await (const r of readDecisions(decisions, { model: l.name, since, until }, stats)) comparer.add(r);
    const result: Comparison = comparer.result(stats.duplicates);
    ctx.print(`${l.name}: ${result.records} decision records from ${since.toISOString()} to ${until.toISOString()} in ${decisions.where} (${result.duplicates} duplicates dropped)\n`);
    for (const c of result.shadows) ctx.print(`${shadowText(c)}\n`);
    for (const c of result.canaries) ctx.print(`${canaryText(c)}\n`);
    const unanswered = unansweredChallengers(p?.challengers, result, { signatureChanges: await challengerChanges(ctx) });
    for (const u of unanswered) ctx.print(`${u.role} ${u.version} is configured but has no recorded answers in this range: ${u.why}\n`);
    if (!result.shadows.length && !result.canaries.length && !unanswered.length) ctx.print("no shadow or canary answers in this range, and none is configured: start one with npm run models -- shadow|canary <version>\n");
    const out = stringFlag(ctx, "out");
    if (out) {
      writeFileSync(out, renderComparison(result, { model: l.name, since: since.toISOString(), until: until.toISOString(), current: p?.version ?? null, outcomes: outcomesPath ? `${outcomesPath} joined on ${joinOn}` : null }));
      ctx.log(`wrote ${out}`);
    }
    return { json: { since: since.toISOString(), until: until.toISOString(), ...result, unanswered } };
  },
};
