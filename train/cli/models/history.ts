/**
 * `models history [--verify | --repair]`: every pointer move, newest first.
 * --verify checks the hash chain, the signatures and the sequence, then the
 * versions the pointer serves (current, canary, shadow: every file against its
 * manifest, the manifest against the pointer, its signature), and never
 * writes; --repair writes a record a crash left missing, only for a validly
 * signed move (on a signed store), then verifies.
 */
import { challengerList } from "../../../shared/challengers.ts";
import { verifyChain, type ChainReport } from "../../registry/chain.ts";
import { missingRecordWarning, readHistory, repairHistory } from "../../registry/history.ts";
import type { HistoryRecord } from "../../registry/records.ts";
import { UsageError } from "../args.ts";
import { readVersion, StoreError } from "../../store/versions.ts";
import { boolFlag, type ModelsCommand, type ModelsContext } from "./command.ts";
import { revision, sharePct, short, table, when } from "./format.ts";

export const historyCommand: ModelsCommand = {
  summary: "every pointer move: when, from, to, action, reason, actor, code revision, data fingerprint",
  usage: "[--verify | --repair]",
  help: [
    "  --verify  check the hash chain, each move's signature (MODEL_SIGNING_KEYS, EDGESCORE_SIGNING_KEY or the local key)",
    "            and the pointer's sequence, then the versions it serves (files, manifest hash, signature); read-only;",
    "            exit 1 naming the record where it breaks, or the version that is not what the pointer says",
    "  --repair  write the history record a crash between the pointer swap and the record left missing,",
    "            only if the pointer's move is validly signed; then verify as --verify does",
  ].join("\n"),
  options: { verify: { type: "boolean" }, repair: { type: "boolean" } },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const l = ctx.location;
    const repair = boolFlag(ctx, "repair");
    if (repair && boolFlag(ctx, "verify")) throw new UsageError("--repair verifies after repairing: give one of --verify, --repair");
    let repaired: number | undefined;
    if (repair) {
      const r = await repairHistory(l);
      ctx.state = r.state;
      repaired = r.written;
      ctx.log(repaired !== undefined
        ? `history: wrote the missing record ${repaired} (${r.state.pointer?.move?.action} to ${r.state.pointer?.version}) from the pointer, its signature checked`
        : "history: no record was missing; nothing written");
    }
    if (!repair && !boolFlag(ctx, "verify")) {
      // --verify reports it as the chain's break; plain history lists what is there and says what is not.
      const missing = await missingRecordWarning(l, ctx.state);
      if (missing) ctx.log(`warning: ${missing}`);
    }
    const stored = await readHistory(l);
    const records = stored.flatMap((s) => (s.record ? [s.record] : []));
    if (stored.length === 0) {
      ctx.print(`${l.name}: no pointer moves recorded yet${ctx.state.pointer ? ` (current ${ctx.state.pointer.version} was set before the history began)` : ""}\n`);
    } else {
      ctx.print(`${l.name} in ${ctx.store.where}: ${stored.length} move${stored.length === 1 ? "" : "s"}, newest first\n`);
      // Candidate and challenger moves keep current (from = to): the column says what they were about.
      const challengers = records.some((r) => r.candidate || r.challengers);
      const about = (r: HistoryRecord) => (challengers ? [challengerText(r)] : []);
      ctx.print(`${table(
        ["seq", "at (UTC)", "action", "from", "to", ...(challengers ? ["candidate / challengers after"] : []), "actor", "reason", "code", "data"],
        [...stored].reverse().map((s) => s.record
          ? [s.seq, when(s.record.at), s.record.action, s.record.from, s.record.to, ...about(s.record), s.record.actor, s.record.reason, revision(s.record.revision), short(s.record.dataSha256, 8)]
          : [s.seq, "–", `unreadable: ${s.problem}`, null, null, ...(challengers ? [null] : []), null, null, null, null]),
        [0],
      )}\n`);
      const signature = records.filter((r) => r.signatureChange?.length);
      for (const r of signature) ctx.print(`seq ${r.seq} changed the feature signature on purpose: ${r.signatureChange!.join("; ")}\n`);
    }
    const mark = gcMarkNote(ctx);
    if (mark) ctx.print(`${mark}\n`);
    if (!boolFlag(ctx, "verify") && !repair) return { json: { records } };
    const report = await verifyChain(l.name, stored, ctx.state, l.signing?.trusted);
    const extra = repair ? { repaired: repaired ?? null } : {};
    if (report.ok) {
      ctx.print(`chain intact: ${report.records} record${report.records === 1 ? "" : "s"}, each linked to the one before by sha256, the last matching the pointer; head sha256 ${report.headSha256 ?? "–"}\n`);
      ctx.print(`${signatureLine(report)}\n`);
      // The moves are sound; what they point at must be too: the versions serving now, as the edge would load them.
      const serving = await checkServing(ctx);
      for (const v of serving.checked) ctx.print(`${v.role} ${v.version}: every file verified against its manifest, the manifest against the pointer${l.signing?.trusted.size ? " and its signature" : ""}\n`);
      if (serving.problem) {
        ctx.log(`history of "${l.name}" is intact, but ${serving.problem.role} ${serving.problem.version} is not what the pointer says: ${serving.problem.message}`);
        return { exitCode: 1, json: { ok: false, error: { code: serving.problem.code, message: `${serving.problem.role} ${serving.problem.version}: ${serving.problem.message}` }, records, verify: report, ...extra } };
      }
      return { json: { records, verify: report, serving: serving.checked, gcMark: ctx.state.pointer?.gc ?? null, ...extra } };
    }
    const where = report.problems.map((p) => `  seq ${p.seq}: ${p.problem}`).join("\n");
    ctx.log(`history of "${l.name}" is broken:\n${where}`);
    const first = report.problems[0]!;
    return {
      exitCode: 1,
      json: { ok: false, error: { code: "history_broken", message: `the history chain breaks at record ${first.seq}: ${first.problem}` }, records, verify: report, ...extra },
    };
  },
};

/**
 * A mark an interrupted gc left: not a break in the chain (exit 0), but it
 * blocks every move onto the versions it names until a gc run finishes or drops it.
 */
function gcMarkNote(ctx: ModelsContext): string | undefined {
  const m = ctx.state.pointer?.gc;
  if (!m) return undefined;
  const one = m.deleting.length === 1;
  return `an interrupted gc (started ${m.startedAt} by ${m.actor}) marked ${m.deleting.join(", ") || "nothing"} for deletion and did not finish: no move may point at ${one ? "it" : "them"} until \`npm run models -- gc --keep N --yes\` finishes or clears the mark`;
}

/** A version the pointer serves, with every role it has (a version may be both the canary and the shadow). */
interface Serving { role: string; version: string; manifestSha256: string }

/** Reads and verifies current and its challengers as the pointer names them, each version once; stops at the first that fails. */
async function checkServing(ctx: ModelsContext): Promise<{ checked: Serving[]; problem?: Serving & { code: string; message: string } }> {
  const p = ctx.state.pointer;
  if (!p) return { checked: [] };
  const all: Serving[] = [];
  for (const s of [{ role: "current", version: p.version, manifestSha256: p.manifestSha256 }, ...challengerList(p.challengers)]) {
    const same = all.find((x) => x.version === s.version && x.manifestSha256 === s.manifestSha256);
    if (same) same.role = `${same.role} and ${s.role}`;
    else all.push({ ...s });
  }
  const checked: Serving[] = [];
  for (const v of all) {
    try {
      await readVersion(ctx.location, v.version, v.manifestSha256);
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      return { checked, problem: { ...v, code: e.code, message: e.message } };
    }
    checked.push(v);
  }
  return { checked };
}

function challengerText(r: HistoryRecord): string {
  const parts = [
    ...(r.candidate ? [`candidate ${r.candidate.version}`] : []),
    ...(r.challengers?.canary ? [`canary ${r.challengers.canary.version} ${sharePct(r.challengers.canary.share)}`] : []),
    ...(r.challengers?.shadow ? [`shadow ${r.challengers.shadow.version}`] : []),
  ];
  return parts.join(", ") || "–";
}

function signatureLine(r: ChainReport): string {
  const s = r.signatures;
  if (!s.checked) {
    return s.signed
      ? `signatures: ${s.signed} signed record${s.signed === 1 ? "" : "s"} NOT checked: no trusted keys (set MODEL_SIGNING_KEYS as the Worker has it)`
      : "signatures: none (an unsigned store: anyone who can write the bucket can move the pointer; see the README's Signing section)";
  }
  const before = s.unsigned ? `; ${s.unsigned} older record${s.unsigned === 1 ? "" : "s"} from before signing began` : "";
  return `signatures: ${s.signed} record${s.signed === 1 ? "" : "s"} and the pointer's move signed by trusted key${s.keys.length === 1 ? "" : "s"} ${s.keys.join(", ") || "–"}${before}`;
}
