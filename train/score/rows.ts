/**
 * Rows in and out of batch scoring. In: a CSV record as the JSON instance the
 * edge would receive (a numeric feature's cell parsed as a number, or passed
 * on as text for the validator to refuse; an empty cell as null), so the
 * same arktype definition (shared/validate.ts) accepts or refuses it with the
 * same words. Out: one CSV row per prediction, the columns fixed by the task.
 */
import type { ErrorDetail } from "../../shared/validate.ts";
import type { Prediction } from "../../shared/predict.ts";
import type { FeatureSpec } from "../../shared/spec.ts";
import type { TaskKind } from "../../shared/task.ts";
import { delimiterHint } from "../data/csv.ts";
import { parseNumber } from "../data/profile.ts";
import type { Cell } from "./sink.ts";

/** Maps a header to the spec's feature columns once; names every missing one. */
export function instanceReader(spec: FeatureSpec, header: string[], source: string): (fields: string[]) => Record<string, unknown> {
  const missing = spec.features.filter((f) => !header.includes(f.name)).map((f) => `"${f.name}"`);
  if (missing.length) {
    throw new Error(`${source}: the model's feature column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} missing; columns are: ${header.join(", ")}${delimiterHint(header)}`);
  }
  const cols = spec.features.map((f) => ({ name: f.name, numeric: f.type === "numeric", i: header.indexOf(f.name) }));
  return (fields) => {
    const o: Record<string, unknown> = {};
    for (const c of cols) {
      const cell = fields[c.i] as string;
      if (cell === "") o[c.name] = null;
      else if (c.numeric) o[c.name] = parseNumber(cell) ?? cell;
      else o[c.name] = cell;
    }
    return o;
  };
}

/** A validator's details as one line: "Income: expected a number >= 0, or null, received \"abc\"". */
export function rejectReason(details: ErrorDetail[]): string {
  return details.map((d) => `${d.path.replace(/^instances\[\d+\]\.?/, "") || "row"}: expected ${d.expected}, received ${d.received}`).join("; ");
}

/** The output columns after the id: a classifier's probability and decision, or a regression's value and interval; reasons when asked for. */
export function predictionColumns(task: TaskKind, reasons: number): string[] {
  const answer = task === "regression" ? ["value", "lower", "upper"] : ["probability", "decision"];
  const why = Array.from({ length: reasons }, (_, k) => [`reason_${k + 1}`, `impact_${k + 1}`]).flat();
  return [...answer, ...why, "warnings"];
}

/** One output row (after the id cell) for a prediction, in `predictionColumns` order. */
export function predictionCells(p: Prediction, reasons: number): Cell[] {
  const answer: Cell[] = "value" in p ? [p.value, p.interval[0], p.interval[1]] : [p.probability, p.decision];
  const why: Cell[] = [];
  for (let k = 0; k < reasons; k++) {
    const r = p.reasons?.[k];
    why.push(r ? r.feature : "", r ? r.impact : "");
  }
  return [...answer, ...why, p.warnings.map((w) => `${w.feature}: ${w.message}`).join("; ")];
}
