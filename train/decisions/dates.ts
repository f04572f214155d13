/**
 * The time flags of the decisions commands and `monitor --decisions`:
 * `--since` / `--until` take a duration back from now (`7d`, `12h`, `2w`), a
 * day (`2026-12-01`, midnight UTC) or an ISO 8601 time with a zone
 * (`2026-12-01T10:00:00Z`); `--until` is exclusive. `--older-than` takes a
 * duration, months and years in calendar terms (`25mo`, `2y`), as retention
 * rules are written (US Reg B: 25 months).
 */
export const TIME_FORMS = `a duration back from now (30m, 12h, 7d, 2w, 3mo, 1y), a day (2026-12-01, midnight UTC) or an ISO 8601 time with a zone (2026-12-01T10:00:00Z)`;
export const DURATION_FORMS = "a whole number and a unit: h (hours), d (days), w (weeks), mo (calendar months), y (years), e.g. 25mo, 90d";

/** A flag value that is none of the accepted forms: the message names the flag, what came and what is accepted. */
export class TimeFlagError extends Error {}

const DURATION = /^(\d{1,6})(m|h|d|w|mo|y)$/;

/** `now` moved back by `n` units; months and years by the calendar (Jan 31 − 1mo = Dec 31; Mar 31 − 1mo = Feb 28/29). */
function back(now: Date, n: number, unit: string): Date {
  const fixed: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
  if (unit in fixed) return new Date(now.getTime() - n * (fixed[unit] as number));
  const months = unit === "y" ? 12 * n : n;
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth() - months;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(now.getUTCDate(), last), now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds(), now.getUTCMilliseconds()));
}

/** `--since` / `--until`: a duration back from `now`, a day (midnight UTC) or an ISO time with a zone. */
export function parseTime(flag: string, value: string, now = new Date()): Date {
  const v = value.trim();
  const d = DURATION.exec(v);
  if (d) return back(now, Number(d[1]), d[2] as string);
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const t = new Date(`${v}T00:00:00.000Z`);
    if (!Number.isNaN(t.getTime()) && t.toISOString().startsWith(v)) return t;
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(v)) {
    const t = new Date(v);
    if (!Number.isNaN(t.getTime())) return t;
  }
  const hint = /^\d+$/.test(v) ? ` (a number needs a unit: ${v}d?)` : /T[^Z+-]*$/.test(v) ? " (an ISO time needs its zone: Z or +hh:mm)" : "";
  throw new TimeFlagError(`--${flag}: "${value}" is not a time${hint}; expected ${TIME_FORMS}`);
}

/** `--older-than`: a duration back from `now` (minutes are not offered: retention is in days and months). */
export function parseCutoff(flag: string, value: string, now = new Date()): Date {
  const d = DURATION.exec(value.trim());
  if (!d || d[2] === "m") throw new TimeFlagError(`--${flag}: "${value}" is not a duration; expected ${DURATION_FORMS}`);
  return back(now, Number(d[1]), d[2] as string);
}

export interface TimeRange {
  since: Date;
  /** Exclusive. */
  until: Date;
}

/** `--since` (default: `defaultSince` back from now) and `--until` (default: now), checked to be in order. */
export function parseRange(a: { since?: string | undefined; until?: string | undefined }, defaultSince: string, now = new Date()): TimeRange {
  const since = parseTime("since", a.since ?? defaultSince, now);
  const until = a.until === undefined ? now : parseTime("until", a.until, now);
  if (until.getTime() <= since.getTime()) {
    // Without --until the range ends now: an empty or future --since is the mistake, not an --until nobody gave.
    if (a.until === undefined) throw new TimeFlagError(`--since ${a.since}: the range [since, now) is empty; give a time before now, e.g. --since 1h or --since 7d`);
    throw new TimeFlagError(`--until ${until.toISOString()} is not after --since ${since.toISOString()}: the range is [since, until), until exclusive`);
  }
  return { since, until };
}

/** YYYY-MM-DD of a time, UTC. */
export const dayOf = (t: Date) => t.toISOString().slice(0, 10);

/** Every day from `first` to `last` inclusive (YYYY-MM-DD). */
export function daysBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}
