/**
 * Protected attributes (`train --protected Age:bands=25,40,60,Marital`): columns
 * read only to measure how the model treats each group of applicants, never
 * features. A categorical column's values are its groups; a numeric one is cut
 * into bands (`:bands=`), or read as codes (`:values`, e.g. sex coded 1/2).
 * Empty cells form the group "(missing)". A value is read in Unicode NFC, so
 * "Zoë" typed two ways is one group, and a value spelt like a group the
 * project names itself ("(missing)", "(other)", "(not a number)") keeps a
 * group of its own, named in quotes (`"(missing)"`): neither merged with those
 * rows nor overwriting them where results are keyed by name.
 */
import type { ColumnProfile, DataProfile } from "./profile.ts";
import { parseNumber } from "./profile.ts";
import { shellWord } from "./shell-word.ts";

/** What the user asked for, before the data is read. */
export interface ProtectedRequest {
  column: string;
  /** Inner band edges, increasing: bands [min,e1), [e1,e2), ..., [ek,max]. */
  bands?: number[];
  /** Each distinct value is a group, even in a numeric column. */
  values?: boolean;
}

/** A protected attribute resolved against the data: its groups and how a cell maps to one. */
export interface ProtectedAttribute {
  column: string;
  /** How the groups were formed, for the card. */
  groupedBy: { bands: number[] } | "values";
  /** Group names; a cell's group is an index into this list. */
  groups: string[];
  groupOf(cell: string): number;
  /** Values not seen when the groups were formed (a separate test file's), by rows, counted in "(other)"; grouped by values only. */
  unseen?: Map<string, number>;
}

/** A protected column the flags or the data cannot accept; the CLI answers it as a usage error (exit 2). */
export class ProtectedError extends Error {}

export const MISSING_GROUP = "(missing)";
/** The group of values a by-values attribute did not have when its groups were formed. */
export const OTHER_GROUP = "(other)";
export const NOT_A_NUMBER = "(not a number)";
/** Groups the project forms itself, never a group of applicants that share a value: never the reference. */
export const CATCH_ALL_GROUPS: ReadonlySet<string> = new Set([MISSING_GROUP, OTHER_GROUP, NOT_A_NUMBER]);

/** A cell's value as a group reads it: Unicode NFC, so one name typed two ways (composed or not) is one group. */
export const groupValue = (cell: string): string => cell.normalize("NFC");

/** The group name of a value: itself, or in quotes when it is spelt like a group the project names ("(missing)"). */
export const groupName = (value: string): string => (CATCH_ALL_GROUPS.has(value) ? JSON.stringify(value) : value);

/** At most this many unseen values are named (by rows); the rest are counted. */
const MAX_UNSEEN_NAMED = 20;
/** More groups than this is not an attribute to compare groups on (an id? free text?). */
export const MAX_GROUPS = 50;

/**
 * `Age:bands=25,40,60,Marital,Sex:values` → three requests. Commas separate
 * both columns and band edges: a number right after `bands=` edges is one more edge.
 */
export function parseProtected(text: string): ProtectedRequest[] {
  const out: ProtectedRequest[] = [];
  for (const raw of text.split(",").map((t) => t.trim())) {
    const last = out.at(-1);
    if (last?.bands && parseNumber(raw) !== undefined) { last.bands.push(Number(raw)); continue; }
    if (raw === "") throw new ProtectedError(`--protected "${text}": an empty column name; expected col[,col] with col, col:bands=25,40,60 or col:values`);
    const bands = /^(.*):bands=(.*)$/.exec(raw);
    const values = /^(.*):values$/.exec(raw);
    const column = bands?.[1] ?? values?.[1] ?? raw;
    if (bands && parseNumber(bands[2] as string) === undefined) throw new ProtectedError(`--protected ${raw}: bands= takes numbers separated by commas, e.g. ${column}:bands=25,40,60`);
    if (out.some((r) => r.column === column)) throw new ProtectedError(`--protected names "${column}" twice`);
    out.push({ column, ...(bands ? { bands: [Number(bands[2])] } : {}), ...(values ? { values: true } : {}) });
  }
  for (const r of out) {
    if (r.bands?.some((e, i) => i > 0 && !(e > (r.bands as number[])[i - 1]!))) throw new ProtectedError(`--protected ${r.column}:bands=${r.bands.join(",")}: band edges must increase`);
  }
  return out;
}

/** A column whose present cells are at least 90 % numbers is numeric, for --protected (train, monitor and score alike). */
export const mostlyNumbers = (numeric: number, present: number) => numeric > 0 && numeric >= 0.9 * present;
const isNumeric = (col: ColumnProfile) => mostlyNumbers(col.numeric, col.present);

function bandsOf(r: ProtectedRequest & { bands: number[] }, col: ColumnProfile, source: string): ProtectedAttribute {
  if (!isNumeric(col)) {
    throw new ProtectedError(`${source}: --protected ${r.column}:bands=... cuts numbers into bands, but "${r.column}" holds text${col.firstText ? ` (e.g. "${col.firstText.value}" on line ${col.firstText.line})` : ""}; use --protected ${shellWord(r.column)} to take its values as groups`);
  }
  const e = r.bands;
  return { column: r.column, groupedBy: { bands: [...e] }, groups: bandNames(e, col.min, col.max), groupOf: (cell) => bandOf(e, cell) };
}

/** The groups of a banded column: `[min,e1)` … `[ek,max]` (min and max as seen), then "(missing)" and "(not a number)". */
export function bandNames(e: readonly number[], min: number, max: number): string[] {
  const lo = min < e[0]! ? String(min) : "-∞";
  const hi = max >= e.at(-1)! ? `${max}]` : "∞)";
  return [`[${lo},${e[0]})`, ...e.slice(1).map((x, i) => `[${e[i]},${x})`), `[${e.at(-1)},${hi}`, MISSING_GROUP, NOT_A_NUMBER];
}

/** A cell's index into {@link bandNames}. */
export function bandOf(e: readonly number[], cell: string): number {
  if (cell === "") return e.length + 1;
  const x = parseNumber(cell);
  if (x === undefined) return e.length + 2;
  let i = 0;
  while (i < e.length && x >= e[i]!) i++;
  return i;
}

/**
 * Up to three round band edges inside (min, max), for a message's example: a
 * step of 1, 2, 2.5 or 5 times a power of ten, at least a quarter of the range.
 */
export function exampleBands(min: number, max: number): number[] {
  if (!(max > min)) return [min];
  const quarter = (max - min) / 4;
  const power = 10 ** Math.floor(Math.log10(quarter));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= quarter) as number);
  const edges: number[] = [];
  for (let e = Math.floor(min / step) * step + step; e < max && edges.length < 3; e += step) if (e > min) edges.push(Number(e.toPrecision(12)));
  return edges.length ? edges : [Number(((min + max) / 2).toPrecision(3))];
}

/** The refusal of a numeric column grouped by its values without :values (train, monitor and score alike). */
export function numericWithoutBands(source: string, column: string, min: number, max: number): ProtectedError {
  return new ProtectedError(
    `${source}: --protected ${column}: "${column}" is numeric (${min} to ${max}); compare groups of it in bands, e.g. --protected ${shellWord(`${column}:bands=${exampleBands(min, max).join(",")}`)}, ` +
      `or, if its numbers are codes (e.g. 1/2), take each as a group with --protected ${shellWord(`${column}:values`)}`,
  );
}

function valuesOf(r: ProtectedRequest, col: ColumnProfile, source: string): ProtectedAttribute {
  if (isNumeric(col) && !r.values) throw numericWithoutBands(source, r.column, col.min, col.max);
  if (col.overflow || col.values.size > MAX_GROUPS) {
    throw new ProtectedError(`${source}: --protected ${r.column}: "${r.column}" has ${col.overflow ? "over 1000" : col.values.size} distinct values, too many groups to compare (max ${MAX_GROUPS})${isNumeric(col) ? `; use bands, e.g. --protected ${shellWord(`${r.column}:bands=${exampleBands(col.min, col.max).join(",")}`)}` : ""}`);
  }
  const values = [...new Set([...col.values.keys()].map(groupValue))].sort();
  const index = new Map(values.map((v, i) => [v, i]));
  const unseen = new Map<string, number>();
  return {
    column: r.column, groupedBy: "values", groups: [...values.map(groupName), MISSING_GROUP, OTHER_GROUP], unseen,
    groupOf: (cell) => {
      if (cell === "") return values.length;
      const value = groupValue(cell);
      const i = index.get(value);
      if (i !== undefined) return i;
      if (unseen.has(value) || unseen.size < MAX_UNSEEN_NAMED) unseen.set(value, (unseen.get(value) ?? 0) + 1);
      return values.length + 1;
    },
  };
}

/** Resolves each request against the profiled data; a column not in it, or the target, is refused. */
export function resolveProtected(requests: ProtectedRequest[], profile: DataProfile, target: string): ProtectedAttribute[] {
  return requests.map((r) => {
    if (r.column === target) throw new ProtectedError(`--protected ${r.column}: "${r.column}" is the target; name the columns that describe applicants`);
    const col = profile.columns.find((c) => c.name === r.column);
    if (!col) throw new ProtectedError(`${profile.source}: --protected names "${r.column}", which is not a column of the data; columns are: ${profile.header.join(", ")}`);
    return r.bands ? bandsOf({ ...r, bands: r.bands }, col, profile.source) : valuesOf(r, col, profile.source);
  });
}

/** One line for the log: which columns are protected and how they are grouped. */
export function describeProtected(attrs: ProtectedAttribute[]): string {
  return attrs.map((a) => `${a.column} (${a.groupedBy === "values" ? "its values" : `bands at ${a.groupedBy.bands.join(", ")}`})`).join(", ");
}
