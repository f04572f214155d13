/**
 * POST /predict (the default model) and POST /models/:name/predict: strict
 * JSON, the envelope, then validation and scoring of the whole batch against
 * one model version. Nothing in a batch is scored unless every instance is
 * valid.
 */
import type { Context } from "hono";
import { answerBytes, type AnswerInput } from "../../shared/answer-json.ts";
import { predictionsOf, scoreWithImpacts, withPassThrough, type ApiPrediction } from "../../shared/predict.ts";
import type { Row } from "../../shared/preprocess.ts";
import { parseJsonBody } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { readEnvelope } from "../envelope.ts";
import { describeValue, fail, type ErrorDetail } from "../errors.ts";
import type { LoadedModel } from "../loader.ts";
import { deferTo, modelFailure, modelNameParam, models } from "../models.ts";

const MAX_DETAILS = 20;

type Scored =
  | { ok: true; body: Uint8Array<ArrayBuffer>; predictions: () => ApiPrediction[]; model: { name: string; version: string } }
  | { ok: false; invalid: number; details: ErrorDetail[]; strictRanges: boolean; version: string };

const JSON_TYPE = { "Content-Type": "application/json" };

/**
 * Validates every instance and scores them all; synchronous, so it runs inside
 * the registry's `use()`. The answer is written as JSON bytes straight from the
 * scores (shared/answer-json.ts); `predictions()` builds the same answers as
 * objects, for whoever needs them after the response (they are not built otherwise).
 */
function score(model: LoadedModel, instances: unknown[], topK: number, id: string | undefined): Scored {
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
  const answer: AnswerInput = { rows, scored: scoreWithImpacts(model, rows, topK > 0), topK, passThroughKey: model.instances.passThroughKey, echoes };
  const head = { ...(id !== undefined ? { id } : {}), model: { name: model.name, version: model.version } };
  return {
    ok: true, body: answerBytes(model, head, answer), model: head.model,
    predictions: () => withPassThrough(predictionsOf(model, rows, answer.scored, topK), answer.passThroughKey ?? "", echoes),
  };
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
  const r = await models(c).use(name, deferTo(c), (model) => score(model, envelope.instances, explain === "false" ? 0 : s.topK, envelope.id));
  if (!r.ok) return modelFailure(c, name, r);
  const scored = r.value;
  c.set("modelVersion", scored.ok ? scored.model.version : scored.version);
  if (!scored.ok) {
    const n = envelope.instances.length;
    const strict = scored.strictRanges ? " (this model refuses values outside its training range)" : "";
    return fail(c, 422, "invalid_instance", `${scored.invalid} of ${n} instance${n > 1 ? "s are" : " is"} invalid; nothing was scored${strict}`, scored.details);
  }
  // The same bytes and headers as c.json() of {id?, model, predictions}.
  return c.body(scored.body, undefined, JSON_TYPE);
}

export const predictDefault = (c: Context<AppEnv>) => handlePredict(c, c.var.settings.modelName);

export function predictNamed(c: Context<AppEnv>): Promise<Response> | Response {
  const name = modelNameParam(c);
  return typeof name === "string" ? handlePredict(c, name) : name;
}
