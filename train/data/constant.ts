/**
 * Constant and near-constant columns. A column with one value in almost every
 * row teaches the network next to nothing and, with a rare value, lets it fit
 * a handful of rows; before this check such columns became features silently.
 * They are now left out by default and named in a warning (`--keep-constant`
 * keeps them).
 */
import type { ColumnProfile } from "./profile.ts";

/** A column is near-constant when one value (an empty cell counts as one) fills at least this share of the rows. */
export const NEAR_CONSTANT_SHARE = 0.995;

/** `value` null: the column is empty in that share of rows. */
export interface ConstantColumn { column: string; value: string | null; share: number }

/**
 * The dominant value and its share, when at least {@link NEAR_CONSTANT_SHARE}.
 * Past the tracked vocabulary (`overflow`) counts stop growing, so the share
 * is a lower bound: a column reported is near-constant for sure, one with very
 * many distinct values is never reported.
 */
export function nearConstant(col: ColumnProfile): ConstantColumn | undefined {
  const rows = col.present + col.missing;
  if (rows === 0) return undefined;
  let top: { value: string | null; count: number } = { value: null, count: col.missing };
  for (const [value, count] of col.values) if (count > top.count) top = { value, count };
  const share = top.count / rows;
  return share >= NEAR_CONSTANT_SHARE ? { column: col.name, value: top.value, share } : undefined;
}

const pct = (x: number) => `${(Math.floor(x * 1000) / 10).toFixed(1)} %`;

/** The warning, saying what happened to the column and which flag changes it. */
export function constantWarning(c: ConstantColumn, kept: boolean): string {
  const value = c.value === null ? "is empty" : `has the value "${c.value}"`;
  const what = c.share === 1 ? `${value} in every row` : `${value} in ${pct(c.share)} of rows (near-constant: ${pct(NEAR_CONSTANT_SHARE)} or more)`;
  return kept
    ? `column "${c.column}" ${what}; kept as a feature because of --keep-constant`
    : `column "${c.column}" ${what}: left out of the features, it carries almost no information; --keep-constant keeps it`;
}
