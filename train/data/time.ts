/**
 * The time column of an out-of-time split: every cell a number (a year, a
 * month index, a Unix time) or every cell an ISO 8601 date or date-time, read
 * strictly, so "03/04/2020" (March or April?) is refused with its line
 * instead of guessed. Values become numbers that sort in time order (dates:
 * milliseconds since 1970, UTC).
 */

export type TimeKind = "number" | "date";

const DATE = /^(\d{4})-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?$/;

/** Milliseconds since 1970 (UTC) of an ISO date (`2020-01-31`, `2020-01`, `2020-01-31T08:15:00Z`), or undefined. */
export function parseDate(text: string): number | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3] ?? "01", m[4] ?? "00", m[5] ?? "00", m[6] ?? "00"].map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 2020-02-31 over to March: a day the month does not have is not a date.
  if (new Date(t).getUTCDate() !== day) return undefined;
  const zone = m[8];
  if (!zone || zone === "Z") return t;
  const sign = zone[0] === "-" ? -1 : 1;
  const [zh, zm] = zone.slice(1).split(":").map(Number) as [number, number];
  if (zh > 23 || zm > 59) return undefined;
  return t - sign * (zh * 60 + zm) * 60_000;
}

export function parseNumberCell(text: string): number | undefined {
  if (text.trim() === "") return undefined;
  const x = Number(text);
  return Number.isFinite(x) ? x : undefined;
}

/** A time value given on the command line (`--test-from`), read as the column's kind. */
export function parseTimeValue(kind: TimeKind, text: string): number | undefined {
  return kind === "number" ? parseNumberCell(text) : parseDate(text.trim());
}

/** A time value for people: a date as YYYY-MM-DD (with the time when it is not midnight), a number as is. */
export function formatTime(kind: TimeKind, v: number): string {
  if (kind === "number") return String(v);
  const iso = new Date(v).toISOString();
  return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso.replace(".000Z", "Z");
}

export class TimeError extends Error {}

/**
 * Reads one column's cells in file order. The first cell decides the kind (a
 * number, else a date); every later cell must be of that kind. Throws a
 * TimeError naming the line for an empty cell or one that is neither.
 */
export class TimeReader {
  kind?: TimeKind;
  private first?: { line: number; value: string };

  constructor(readonly column: string, readonly source: string) {}

  read(cell: string, line: number): number {
    const where = `${this.source} line ${line}: column "${this.column}" (--time-column)`;
    if (cell === "") throw new TimeError(`${where} is empty; an out-of-time split needs a time in every row`);
    if (!this.kind) {
      this.kind = parseNumberCell(cell) !== undefined ? "number" : "date";
      this.first = { line, value: cell };
    }
    const v = parseTimeValue(this.kind, cell);
    if (v !== undefined) return v;
    const like = this.kind === "date" ? "a date like 2020-01-31 or 2020-01-31T08:15:00Z (ISO 8601)" : "a number";
    const first = this.first!.line === line ? "" : `, the kind of the column's first value ("${this.first!.value.slice(0, 40)}" on line ${this.first!.line})`;
    throw new TimeError(`${where}: "${cell.slice(0, 40)}" is not ${like}${first}; fix the cell or choose another --time-column`);
  }
}
