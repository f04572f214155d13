/** Terminal rendering for the models commands: borderless aligned tables (cli-table3), short hashes, UTC times. */
import Table from "cli-table3";

const borderless = {
  top: "", "top-mid": "", "top-left": "", "top-right": "", bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
  left: "", "left-mid": "", mid: "", "mid-mid": "", right: "", "right-mid": "", middle: "  ",
};

export type Cell = string | number | null | undefined;

/** Columns padded to their widest cell; `right` lists the right-aligned columns. */
export function table(head: string[], rows: Cell[][], right: number[] = []): string {
  const t = new Table({
    head,
    chars: borderless,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
    colAligns: head.map((_, i) => (right.includes(i) ? "right" : "left")),
  });
  for (const r of rows) t.push(r.map((c) => (c === null || c === undefined ? "–" : String(c))));
  return t.toString().split("\n").map((l) => l.trimEnd()).join("\n");
}

/** `2026-11-30T10:15:00.123Z` → `2026-11-30 10:15:00`. */
export function when(iso: string | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "");
}

export const short = (hex: string | null | undefined, n = 12) => (hex ? hex.slice(0, n) : "–");

/** Fixed decimals; counts (whole numbers) as they are; "–" when missing. */
export function fixed(x: number | undefined, digits = 4): string {
  if (x === undefined || !Number.isFinite(x)) return "–";
  return Number.isInteger(x) && Math.abs(x) >= 1 ? String(x) : x.toFixed(digits);
}

export function signed(x: number | undefined, digits = 4): string {
  return x === undefined || !Number.isFinite(x) ? "" : `${x >= 0 ? "+" : ""}${fixed(x, digits)}`;
}

/** A revision as 8 hex digits, keeping "-dirty". */
export function revision(rev: string | null | undefined): string {
  return rev ? `${rev.slice(0, 8)}${rev.endsWith("-dirty") ? "-dirty" : ""}` : "–";
}

/** A canary's share of callers as the commands print it: 0.3 → "30 %", 0.125 → "12.5 %". */
export function sharePct(share: number): string {
  return `${Math.round(share * 1000) / 10} %`;
}
