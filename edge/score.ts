/** Validation and scoring of a whole batch against one model version; synchronous, so it runs inside the registry's `use()`. */
import type { Role } from "../shared/decisions/record.ts";
import { predict, withPassThrough, type ApiPrediction } from "../shared/predict.ts";
import type { Row } from "../shared/preprocess.ts";
import type { Answers } from "./capture/capture.ts";
import type { ErrorDetail } from "./errors.ts";
import type { LoadedModel } from "./loader.ts";

const MAX_DETAILS = 20;

export type Scored =
  | { ok: true; predictions: ApiPrediction[]; model: { name: string; version: string }; answers: Answers }
  | { ok: false; invalid: number; details: ErrorDetail[]; strictRanges: boolean; version: string };

/** Nothing in a batch is scored unless every instance is valid. `role` is who answers, for the decision records. */
export function score(model: LoadedModel, instances: unknown[], topK: number, role: Role): Scored {
  const rows: Row[] = [];
  const echoes: (string | number | undefined)[] = [];
  const details: ErrorDetail[] = [];
  let invalid = 0;
  instances.forEach((instance, i) => {
    const r = model.instances.check(instance, i, MAX_DETAILS - details.length);
    if (r.ok) {
      rows.push(r.row);
      echoes.push(r.passThrough);
    } else {
      invalid++;
      details.push(...r.details);
    }
  });
  if (invalid) {
    const training = (model.manifest.card as { training?: { strictRanges?: unknown } }).training;
    return { ok: false, invalid, details, strictRanges: training?.strictRanges === true, version: model.version };
  }
  const raw = predict(model, rows, topK);
  const predictions = withPassThrough(raw, model.instances.passThroughKey, echoes);
  const answers: Answers = { model: model.name, version: model.version, manifestSha256: model.manifestSha256, role, rows, passThroughKey: model.instances.passThroughKey, passThrough: echoes, predictions: raw, topK };
  return { ok: true, predictions, model: { name: model.name, version: model.version }, answers };
}
