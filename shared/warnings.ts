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

/** Warnings for one validated row, in feature order (empty when nothing was changed). */
export function inputWarnings(state: PreprocessState, row: Row): InputWarning[] {
  const out: InputWarning[] = [];
  for (const step of state.steps) {
    const v = cellOf(row, step.name);
    if (v === null || v === undefined) {
      const used = step.kind === "numeric" ? fmt(step.fill) : step.fallback < step.categories.length ? JSON.stringify(step.categories[step.fallback]) : "the \"other\" category";
      out.push({ feature: step.name, code: "imputed", message: `missing; scored as ${used}${step.kind === "numeric" ? " (the training median)" : ""}` });
    } else if (step.kind === "numeric" && typeof v === "number" && (v < step.lo || v > step.hi)) {
      const bound = v < step.lo ? step.lo : step.hi;
      out.push({ feature: step.name, code: "clipped", message: `${fmt(v)} is outside the range the model was fitted on (${fmt(step.lo)} to ${fmt(step.hi)}); scored as ${fmt(bound)}` });
    }
  }
  return out;
}
