/**
 * Numbers for people: thousands separators, a fixed number of decimals per
 * kind of quantity, a real minus sign, percentages with their sign.
 */
const MINUS = "\u2212";

function grouped(x: number, digits: number): string {
  return new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x);
}

function minus(s: string): string {
  return s.replace(/^-/, MINUS);
}

export const fmt = {
  /** 4454 → "4,454". */
  int: (x: number): string => minus(grouped(Math.round(x), 0)),
  /** 1234.5678, 2 → "1,234.57". */
  num: (x: number, digits = 2): string => (Number.isFinite(x) ? minus(grouped(x, digits)) : "–"),
  /** A value between 0 and 1 as a percentage: 0.2823 → "28.2%". */
  pct: (x: number, digits = 1): string => (Number.isFinite(x) ? `${minus(grouped(x * 100, digits))}%` : "–"),
  /** A metric like AUC or Brier: 0.85183 → "0.852" (3 decimals by default). */
  metric: (x: number, digits = 3): string => (Number.isFinite(x) ? minus(x.toFixed(digits)) : "–"),
  /** A difference with its sign: +0.012 / −0.004. */
  signed: (x: number, digits = 3): string => (!Number.isFinite(x) ? "–" : x > 0 ? `+${x.toFixed(digits)}` : x < 0 ? `${MINUS}${(-x).toFixed(digits)}` : (0).toFixed(digits)),
  /** A difference in percentage points: 0.012 → "+1.2 pp". */
  points: (x: number, digits = 1): string => `${fmt.signed(x * 100, digits)} pp`,
  /** 183_412 → "179 KB" (1024-based, as file tools show it). */
  bytes: (n: number): string => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${Math.round(n / 1024)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`),
  /** Seconds: 0.4321 → "0.43 s", 83 → "1 min 23 s". */
  seconds: (s: number): string => (s < 60 ? `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`),
  /** ISO timestamp → "2026-11-29 08:15 UTC". */
  dateTime: (iso: string): string => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  },
  /** A value from the data (number or category): numbers grouped with up to 2 decimals. */
  value: (v: number | string | null | undefined): string => {
    if (v === null || v === undefined) return "missing";
    if (typeof v === "string") return v;
    return Number.isInteger(v) ? fmt.int(v) : minus(new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 }).format(v));
  },
};
