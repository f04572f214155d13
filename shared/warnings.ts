/**
 * What preprocessing did to an accepted value that the client should know:
 * a number beyond the range the model was fitted on is clipped to it, and a
 * missing value is imputed. Both change what the model saw, so each
 * prediction lists them instead of scoring silently.
 */
import { cellOf, type PreprocessState, type Row } from "./preprocess.ts";

export interface InputWarning {
  feature: string;
  code: "clipped" | "imputed";
  message: string;
}

const fmt = (x: number) => String(Number(x.toPrecision(6)));

/**
 * A range bound next to a value outside it: six significant digits, or as many more as it takes
 * for the bound to stay on its side of the value (726.135 rounded from 726.13500000004 next to
 * 726.1350000001 is fine; 123457 rounded from 123456.5 next to 123456.789 is not). At 17 digits
 * the bound is exact.
 */
function boundNear(bound: number, value: number): string {
  const above = value > bound;
  for (let p = 6; p < 17; p++) {
    const shown = Number(bound.toPrecision(p));
    if (above ? shown < value : shown > value) return String(shown);
  }
  return String(bound);
}

/** Warnings for one validated row, in feature order (empty when nothing was changed). */
export function inputWarnings(state: PreprocessState, row: Row): InputWarning[] {
  const out: InputWarning[] = [];
  for (const step of state.steps) {
    const v = cellOf(row, step.name);
    if (v === null || v === undefined) {
      const used = step.kind === "numeric" ? fmt(step.fill) : step.fallback < step.categories.length ? JSON.stringify(step.categories[step.fallback]) : "the \"other\" category";
      out.push({ feature: step.name, code: "imputed", message: `missing; scored as ${used}${step.kind === "numeric" ? " (the training median)" : ""}` });
    } else if (step.kind === "numeric" && typeof v === "number" && (v < step.lo || v > step.hi)) {
      // The value as sent: rounded, 726.1350000001 read "726.135", the bound it is outside of.
      const below = v < step.lo;
      const lo = below ? boundNear(step.lo, v) : fmt(step.lo);
      const hi = below ? fmt(step.hi) : boundNear(step.hi, v);
      out.push({ feature: step.name, code: "clipped", message: `${String(v)} is outside the range the model was fitted on (${lo} to ${hi}); scored as ${below ? lo : hi}` });
    }
  }
  return out;
}
