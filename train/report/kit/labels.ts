/**
 * Room for category labels on a chart's left axis. Plot draws tick labels
 * into a fixed left margin and cuts off whatever does not fit, so feature
 * names of any length used to vanish at the chart's left edge: the margin is
 * sized from the longest label (at the axis font's average glyph width), and
 * labels too long for a 440-px chart are shortened with "…", the full name
 * kept in a tooltip (<title>).
 */
import * as Plot from "@observablehq/plot";

/** Average advance of a 12-px system-ui glyph (digits and lower case), a little generous. */
const CHAR_PX = 7.6;
const TICK_PX = 14;

export function shorten(label: string, max: number): string {
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

/** The left margin for `labels` (never under `min`), a chart width that leaves the plot its usual room, and an axis mark that shortens past `maxChars` with the full label as tooltip. */
export function labelAxis(labels: readonly string[], o: { maxChars?: number; min?: number } = {}): { marginLeft: number; width: number; axis: Plot.Markish } {
  const maxChars = o.maxChars ?? 30;
  const longest = Math.max(0, ...labels.map((l) => Math.min(l.length, maxChars)));
  const marginLeft = Math.max(o.min ?? 40, Math.ceil(longest * CHAR_PX + TICK_PX));
  return {
    marginLeft,
    // Wider than the usual 440 px by what the labels take beyond 110 px, so the bars keep their room.
    width: 440 + Math.max(0, marginLeft - 110),
    axis: Plot.axisY({ tickFormat: (d: string) => shorten(String(d), maxChars), title: (d: string) => String(d), label: null }),
  };
}
