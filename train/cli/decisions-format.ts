/** What `npm run decisions` prints: records as a table, replay's summary and differences. */
import type { DecisionRecord } from "../../shared/decisions/record.ts";
import { dayOf } from "../decisions/dates.ts";
import type { ReadStats } from "../decisions/read.ts";
import type { ReplayResult } from "../decisions/replay.ts";
import { table } from "./table.ts";

/** "2026-11-06 to 2026-12-06 (31 days, 4 partitions found, 1 day's margin each side)". */
export function searched(stats: ReadStats, since: Date, until: Date): string {
  const [first, last] = stats.searched[0] ? stats.searched : [dayOf(since), dayOf(until)];
  return `${since.toISOString()} to ${until.toISOString()} (days ${first} to ${last}; ${stats.days.length} day partition${stats.days.length === 1 ? "" : "s"} with records, ${stats.objects} objects, ${stats.lines} records read)`;
}

const short = (x: unknown) => (typeof x === "number" ? String(x) : JSON.stringify(x));

function answerText(r: DecisionRecord): string {
  const a = r.answer;
  return "value" in a ? `${a.value} [${a.interval[0]}, ${a.interval[1]}]` : `${a.probability} ${a.decision}`;
}

export function formatRecords(records: DecisionRecord[]): string {
  const first = records[0] as DecisionRecord;
  const head = `request ${first.requestId}: ${records.length} record${records.length === 1 ? "" : "s"}`;
  const rows = records.map((r) => [
    r.time, r.role, r.version, r.index, r.passThrough === null ? "–" : String(r.passThrough), answerText(r),
    (r.answer.reasons ?? []).map((x) => `${x.feature}=${short(x.value)} (+${x.impact})`).join(", ") || "–",
    r.answer.warnings.map((w) => `${w.feature}: ${w.message}`).join("; ") || "–",
    r.capture, `${r.latencyMs} ms`,
  ]);
  const detail = records.flatMap((r) => (r.answer.reasons ?? []).map((x, k) => [r.id, k + 1, x.feature, short(x.value), x.impact, x.text]));
  // The output's first line is the request's, not the blank line table() puts above a title.
  return `${table(head, ["time", "role", "version", "index", "pass-through", "answer", "reasons", "warnings", "capture", "latency"], rows).replace(/^\n/, "")}\n${
    detail.length ? `${table("reasons", ["record", "#", "feature", "value", "impact", "text"], detail)}\n` : ""}`;
}

export function replayLines(r: ReplayResult, stats: ReadStats): string[] {
  const versions = Object.entries(r.versions).map(([v, n]) => `${v} (${n})`).join(", ") || "none";
  return [
    `read ${stats.objects} objects, ${stats.lines} records; ${r.records} in range after de-duplication (${stats.duplicates} duplicates dropped)`,
    `replayed ${r.replayed} with their recorded versions: ${versions}`,
    ...(r.notReplayable ? [`not replayable: ${r.notReplayable} records kept no features (captured with CAPTURE="decisions"; replay needs "full")`] : []),
    ...Object.entries(r.unavailableVersions).map(([v, u]) => `NOT REPLAYED: ${u.records} records of version ${v}, which the store cannot give (${u.code}); a version that answered decisions must be kept as long as its records are`),
    r.replayed === 0
      ? "nothing was re-scored, so nothing is verified"
      : r.differing === 0
        ? `${r.equal === 1 ? "the replayed answer equals its record" : `all ${r.equal} replayed answers equal their records`}, to the bit (probability or value, interval, decision, reasons, warnings)`
        : `${r.differing} of ${r.replayed} replayed answers DIFFER from their records (${r.equal} equal); the differences follow`,
  ];
}

export function replayTable(r: ReplayResult): string {
  const rows = r.differences.map((d) => [d.id, d.requestId, d.version, d.field, short(d.recorded), short(d.replayed)]);
  return `${table("differences (record, request, version, field: recorded → replayed)", ["id", "request", "version", "field", "recorded", "replayed"], rows)}\n`;
}
