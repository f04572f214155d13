/**
 * POST /predict (the default model) and POST /models/:name/predict: strict
 * JSON, the envelope, then validation and scoring of the whole batch against
 * one model version. Nothing in a batch is scored unless every instance is
 * valid.
 */
import type { Context } from "hono";
import { predict, withPassThrough, type ApiPrediction } from "../../shared/predict.ts";
import type { Row } from "../../shared/preprocess.ts";
import { parseJsonBody } from "../body.ts";
import { captureAnswers, type Answers } from "../capture/capture.ts";
import type { AppEnv } from "../context.ts";
import { readEnvelope } from "../envelope.ts";
import { describeValue, fail, type ErrorDetail } from "../errors.ts";
import type { LoadedModel } from "../loader.ts";
import { deferTo, modelFailure, modelNameParam, models } from "../models.ts";

const MAX_DETAILS = 20;

type Scored =
  | { ok: true; predictions: ApiPrediction[]; model: { name: string; version: string }; answers: Answers }
  | { ok: false; invalid: number; details: ErrorDetail[]; strictRanges: boolean; version: string };

/** Validates every instance and scores them all; synchronous, so it runs inside the registry's `use()`. */
function score(model: LoadedModel, instances: unknown[], topK: number): Scored {
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
  const answers: Answers = { model: model.name, version: model.version, manifestSha256: model.manifestSha256, role: "champion", rows, passThrough: echoes, predictions: raw, topK };
  return { ok: true, predictions, model: { name: model.name, version: model.version }, answers };
}

async function handlePredict(c: Context<AppEnv>, name: string): Promise<Response> {
  const s = c.var.settings;
  if (!/^application\/json\s*(;|$)/i.test(c.req.header("content-type") ?? "")) {
    return fail(c, 415, "unsupported_media_type", "send the body as JSON with Content-Type: application/json");
  }
  const parsed = parseJsonBody(await c.req.arrayBuffer());
  if (!parsed.ok) return fail(c, 400, parsed.code, parsed.message);
  const envelope = readEnvelope(parsed.value, s.maxBatch);
  if (!envelope.ok) return envelope.status === 413 ? fail(c, 413, envelope.code as "batch_too_large", envelope.message, envelope.details) : fail(c, 400, "invalid_request", envelope.message, envelope.details);
  const explain = c.req.query("explain");
  if (explain !== undefined && explain !== "true" && explain !== "false") {
    return fail(c, 400, "invalid_request", "explain must be true or false", [{ path: "?explain", expected: "true or false", received: describeValue(explain) }]);
  }

  // A loaded model implies a live backend: the registry's first load starts it and awaits it before building.
  const r = await models(c).use(name, deferTo(c), (model) => score(model, envelope.instances, explain === "false" ? 0 : s.topK));
  if (!r.ok) return modelFailure(c, name, r);
  const scored = r.value;
  c.set("modelVersion", scored.ok ? scored.model.version : scored.version);
  if (!scored.ok) {
    const n = envelope.instances.length;
    const strict = scored.strictRanges ? " (this model refuses values outside its training range)" : "";
    return fail(c, 422, "invalid_instance", `${scored.invalid} of ${n} instance${n > 1 ? "s are" : " is"} invalid; nothing was scored${strict}`, scored.details);
  }
  // Records are built and sent after the response, in waitUntil (edge/capture/).
  captureAnswers(c, scored.answers);
  return c.json({ ...(envelope.id !== undefined ? { id: envelope.id } : {}), model: scored.model, predictions: scored.predictions });
}

export const predictDefault = (c: Context<AppEnv>) => handlePredict(c, c.var.settings.modelName);

export function predictNamed(c: Context<AppEnv>): Promise<Response> | Response {
  const name = modelNameParam(c);
  return typeof name === "string" ? handlePredict(c, name) : name;
}
