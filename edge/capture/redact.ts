/**
 * "decisions" capture keeps no feature value anywhere. An answer carries
 * some: each reason names the applicant's value, and a clipped warning's
 * message quotes it. Both are removed here (a reason's `value` becomes null,
 * a clipped warning's message loses the number); what was decided, by how
 * much each feature moved it and the reason texts stay.
 */
import type { Prediction, Reason } from "../../shared/predict.ts";
import type { InputWarning } from "../../shared/warnings.ts";

const withoutValue = (r: Reason): Reason => ({ ...r, value: null });

/** The clipped warning's message without the applicant's number ("1e+06 is outside ... (lo to hi); scored as hi" → "outside ... (lo to hi)"). */
function warningWithoutValue(w: InputWarning): InputWarning {
  if (w.code !== "clipped") return w;
  const range = /\(([^()]*)\)/.exec(w.message)?.[1];
  return { ...w, message: `outside the range the model was fitted on${range ? ` (${range})` : ""}; clipped to it` };
}

export function withoutFeatureValues(p: Prediction): Prediction {
  const reasons = p.reasons ? { reasons: p.reasons.map(withoutValue) } : {};
  return { ...p, ...reasons, warnings: p.warnings.map(warningWithoutValue) };
}
