/**
 * Protected attributes for the commands that read a file once, without a
 * profile first (`monitor`, `score`): each row's group is coded as the row
 * streams past, and the groups are named at the end. Groups are formed as
 * `train --protected` forms them (values in NFC, sorted, then "(missing)", a
 * value spelt like that named in quotes; bands named `[min,e1)` … `[ek,max]`),
 * and a band takes the card's name when the
 * version was trained with the same bands, so the monitor's groups read as
 * the card's.
 */
import { parseNumber } from "./profile.ts";
import { shellWord } from "./shell-word.ts";
import { bandNames, bandOf, groupName, groupValue, MAX_GROUPS, MISSING_GROUP, mostlyNumbers, numericWithoutBands, ProtectedError, type ProtectedRequest } from "./protected.ts";

/** What a card says about an attribute (card.fairness.<column>), when it has one. */
export interface KnownGrouping { groupedBy: { bands: number[] } | "values"; groups: Record<string, unknown> }

export interface NamedGroups {
  column: string;
  groupedBy: { bands: number[] } | "values";
  /** Final group names; `remap[code]` is a provisional code's index into them. */
  names: string[];
  remap: Uint16Array;
}

/** A card's band name's index: `[25,40)` with edges 25,40,60 → 1 (the number of edges at or below its lower end). */
function bandIndexOfName(name: string, edges: readonly number[]): number | undefined {
  const m = /^\[([^,]+),/.exec(name);
  if (!m) return undefined;
  const lo = Number(m[1]);
  return edges.filter((e) => e <= lo).length;
}

/**
 * Whether a card's outer band name (`[18,25)`, `[60,68]`: the training data's min and max) still holds the
 * data's `min` (first band) or `max` (last band): a row of age 999 in "[60,68]" would misstate the group, so
 * the band is then named from this data (`[60,999]`).
 */
function holds(name: string, min: number | undefined, max: number | undefined): boolean {
  const m = /^\[([^,]+),(.+)[\])]$/.exec(name);
  if (!m) return false;
  const [lo, hi] = [Number(m[1]), Number(m[2])];
  return (min === undefined || !Number.isFinite(min) || !(min < lo)) && (max === undefined || !Number.isFinite(max) || !(max > hi));
}

const sameBands = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

class StreamingAttribute {
  private readonly index: number;
  private readonly values = new Map<string, number>();
  /** Rows per value code: whether a column is numeric counts cells, as train's profile does. */
  private counts: number[] = [];
  private min = Infinity;
  private max = -Infinity;

  constructor(readonly request: ProtectedRequest, header: readonly string[], private readonly known: KnownGrouping | undefined) {
    this.index = header.indexOf(request.column);
  }

  code(fields: readonly string[]): number {
    const cell = fields[this.index] ?? "";
    const e = this.request.bands;
    if (e) {
      const x = parseNumber(cell);
      if (x !== undefined) { this.min = Math.min(this.min, x); this.max = Math.max(this.max, x); }
      return bandOf(e, cell);
    }
    let c = this.values.get(cell);
    if (c === undefined) {
      c = this.values.size;
      if (c >= 1000) throw new ProtectedError(`--protected ${this.request.column}: over 1000 distinct values, too many groups to compare (max ${MAX_GROUPS}); if it is a number, compare groups of it in bands (--protected ${shellWord(`${this.request.column}:bands=<edges>`)}); an identifier or free text is no attribute to compare groups on`);
      this.values.set(cell, c);
      this.counts.push(0);
    }
    this.counts[c]!++;
    return c;
  }

  finish(source: string): NamedGroups {
    const { column, bands } = this.request;
    if (bands) {
      const names = bandNames(bands, Number.isFinite(this.min) ? this.min : bands[0]!, Number.isFinite(this.max) ? this.max : bands.at(-1)!);
      const k = this.known;
      if (k && k.groupedBy !== "values" && sameBands(k.groupedBy.bands, bands)) {
        for (const name of Object.keys(k.groups)) {
          const i = bandIndexOfName(name, bands);
          if (i !== undefined && holds(name, i === 0 ? this.min : undefined, i === bands.length ? this.max : undefined)) names[i] = name;
        }
      }
      return { column, groupedBy: { bands: [...bands] }, names, remap: Uint16Array.from(names, (_, i) => i) };
    }
    const present = [...this.values.keys()].filter((v) => v !== "");
    // A numeric column grouped by its values needs :values (or the card's grouping by values), as train --protected does.
    if (!this.request.values && this.known?.groupedBy !== "values") {
      let cells = 0;
      let numeric = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (const [v, c] of this.values) {
        if (v === "") continue;
        const n = this.counts[c] as number;
        cells += n;
        const x = parseNumber(v);
        if (x === undefined) continue;
        numeric += n;
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
      if (mostlyNumbers(numeric, cells)) throw numericWithoutBands(source, column, lo, hi);
    }
    // Raw cells that read as one value in NFC are one group.
    const sorted = [...new Set(present.map(groupValue))].sort();
    if (sorted.length > MAX_GROUPS) {
      // Numbers read as codes (:values) can be banded instead; text with this many values is an id or free text.
      const fix = this.request.values ? `compare groups of it in bands instead (--protected ${shellWord(`${column}:bands=<edges>`)})` : "it looks like an identifier or free text, not an attribute to compare groups on: leave it out of --protected";
      throw new ProtectedError(`${source}: --protected ${column}: "${column}" has ${sorted.length} distinct values, too many groups to compare (max ${MAX_GROUPS}); ${fix}`);
    }
    const at = new Map(sorted.map((v, i) => [v, i]));
    const names = [...sorted.map(groupName), MISSING_GROUP];
    const remap = new Uint16Array(this.values.size);
    for (const [v, c] of this.values) remap[c] = v === "" ? sorted.length : at.get(groupValue(v)) as number;
    return { column, groupedBy: "values", names, remap };
  }
}

/** Every protected attribute of a file: refused (naming the column) when the header lacks it or it is the target. */
export class StreamGroups {
  private readonly attributes: StreamingAttribute[];

  constructor(requests: readonly ProtectedRequest[], header: readonly string[], source: string, target: string | undefined, known: Record<string, KnownGrouping> = {}) {
    for (const r of requests) {
      if (r.column === target) throw new ProtectedError(`--protected ${r.column}: "${r.column}" is the target; name the columns that describe applicants`);
      if (!header.includes(r.column)) throw new ProtectedError(`${source}: --protected names "${r.column}", which is not a column of the data; add the column to the file or leave it out of --protected; columns are: ${header.join(", ")}`);
    }
    this.attributes = requests.map((r) => new StreamingAttribute(r, header, Object.hasOwn(known, r.column) ? known[r.column] : undefined));
  }

  get columns(): string[] { return this.attributes.map((a) => a.request.column); }

  /** The row's provisional group code under each attribute. */
  codes(fields: readonly string[]): number[] { return this.attributes.map((a) => a.code(fields)); }

  finish(source: string): NamedGroups[] { return this.attributes.map((a) => a.finish(source)); }
}
