/** Plain-text tables and number formatting for the terminal (CLI output and the benchmarks). */

export type Cell = string | number | undefined;

/** Fixed decimals; "–" for missing or non-finite values. */
export function fmt(x: number | undefined, digits = 2): string {
  return x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits);
}

/** Columns padded to their widest cell; cells that look numeric are right-aligned. */
export function table(title: string, header: string[], rows: Cell[][]): string {
  const text = rows.map((r) => header.map((_, i) => { const c = r[i]; return c === undefined ? "" : String(c); }));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] as string).length)));
  const numeric = (s: string) => /^[-+]?[\d.,]+\s*(×|%|ms|s|KiB|MiB)?$|^–$/.test(s);
  const line = (cells: string[]) => cells.map((c, i) => (numeric(c) && i > 0 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [`\n${title}`, line(header), rule, ...text.map(line)].join("\n");
}
