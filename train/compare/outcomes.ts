/**
 * Outcomes that arrive later, for `models compare --outcomes <csv> --join-on <column>`:
 * one label per applicant, keyed by the join column's value (the pass-through
 * id the app sent, or the request id). The label is the model's target
 * column: its positive class (e.g. "bad") or 1 is 1, its negative class or 0 is 0.
 */
import { parse } from "csv-parse/sync";
import { readFileSync } from "node:fs";
import { UsageError } from "../cli/args.ts";
import type { Outcomes } from "./compare.ts";

export function readOutcomes(path: string, joinOn: string, target: string, positive: string | undefined, negative: string | undefined): Outcomes {
  let rows: Record<string, string>[];
  try {
    rows = parse(readFileSync(path), { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
  } catch (e) {
    throw new UsageError(`--outcomes ${path}: ${(e as Error).message}`);
  }
  const header = Object.keys(rows[0] ?? {});
  for (const col of [joinOn, target]) {
    if (!header.includes(col)) throw new UsageError(`--outcomes ${path}: no column "${col}" (it has ${header.join(", ") || "no rows"}); ${col === joinOn ? "--join-on names the column holding the pass-through or request id" : `the label column is the model's target, "${target}"`}`);
  }
  const byKey = new Map<string, 0 | 1>();
  rows.forEach((row, i) => {
    const v = row[target] ?? "";
    const label = v === positive || v === "1" ? 1 : v === negative || v === "0" ? 0 : undefined;
    if (label === undefined) {
      if (v === "") return; // not known yet
      throw new UsageError(`--outcomes ${path} row ${i + 2}, column "${target}": expected ${[positive, negative].filter(Boolean).map((x) => JSON.stringify(x)).join(" or ")}, 1 or 0, found ${JSON.stringify(v.slice(0, 40))}`);
    }
    const key = row[joinOn] ?? "";
    if (key) byKey.set(key, label);
  });
  return { byKey };
}
