/** Plain-text tables and number formatting for the terminal. */

export { fmt, table, type Cell } from "../train/cli/table.ts";
import { fmt } from "../train/cli/table.ts";

/** A ratio as "1.23×". */
export function times(x: number | undefined, digits = 2): string {
  return x === undefined || !Number.isFinite(x) ? "–" : `${x.toFixed(digits)}×`;
}

export function kib(bytes: number, digits = 1): string {
  return fmt(bytes / 1024, digits);
}
