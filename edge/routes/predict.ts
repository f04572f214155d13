/**
 * POST /predict (the default model) and POST /models/:name/predict: strict
 * JSON, the envelope, then validation and scoring of the whole batch against
 * one model version. Nothing in a batch is scored unless every instance is
 * valid. A canary, when the pointer names one, answers a stable share of
 * callers (edge/canary.ts); a shadow scores the request after the answer
 * (edge/shadow.ts), never changing it.
 */
import type { Context } from "hono";
import { inCanary } from "../../shared/challengers.ts";
import { parseJsonBody } from "../body.ts";
import { captureAnswers } from "../capture/capture.ts";
import { canaryCallerKey } from "../canary.ts";
import { log, type AppEnv } from "../context.ts";
import { readEnvelope } from "../envelope.ts";
import { describeKey, describeValue, fail } from "../errors.ts";
import { readBody } from "../limits.ts";
import { deferTo, modelFailure, modelNameParam, models } from "../models.ts";
import { score } from "../score.ts";
import { scoreShadow } from "../shadow.ts";

const JSON_TYPE = { "Content-Type": "application/json" };

/** The query parameters scoring reads: a misspelt one (`?explian=false`) is refused, as an unknown field in an applicant is, not ignored. */
const QUERY = new Set(["explain"]);

/** The first query parameter scoring does not read, from the names the app read once (rejectRepeatedQuery). */
function unknownQuery(c: Context<AppEnv>): string | undefined {
  for (const k of c.get("queryKeys") ?? []) if (!QUERY.has(k)) return k;
  return undefined;
}

/** "1 of 1000 instances is invalid", "2 of 1000 instances are invalid", "1 of 1 instance is invalid". */
export function invalidCount(invalid: number, n: number): string {
  return `${invalid} of ${n} instance${n === 1 ? "" : "s"} ${invalid === 1 ? "is" : "are"} invalid`;
}

async function handlePredict(c: Context<AppEnv>, name: string): Promise<Response> {
  const s = c.get("settings");
  const type = c.req.header("content-type");
  if (!/^application\/json\s*(;|$)/i.test(type ?? "")) {
    return fail(c, 415, "unsupported_media_type", "send the body as JSON with Content-Type: application/json",
      [{ path: "Content-Type", expected: "application/json", received: type === undefined ? "no Content-Type" : describeValue(type) }]);
  }
  // JSON is UTF-8 (RFC 8259): a body declared in another charset would be read as something it is not.
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type ?? "")?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    return fail(c, 415, "unsupported_media_type", "send the JSON body as UTF-8 (Content-Type: application/json, or with charset=utf-8)",
      [{ path: "Content-Type", expected: "charset utf-8", received: describeValue(charset) }]);
  }
  // A compressed body would otherwise be read as text and called invalid UTF-8, which sends a developer the wrong way.
  const encoding = c.req.header("content-encoding");
  if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") {
    return fail(c, 415, "unsupported_media_type", "send the JSON body uncompressed (no Content-Encoding)",
      [{ path: "Content-Encoding", expected: "none (identity)", received: describeValue(encoding) }]);
  }
  const stray = unknownQuery(c);
  if (stray !== undefined) {
    return fail(c, 400, "invalid_request", `unknown query parameter "${describeKey(stray)}": scoring takes ?explain=true|false`, [{ path: `?${describeKey(stray)}`, expected: "explain", received: "an unknown parameter" }]);
  }
  const bytes = await readBody(c);
  if (bytes instanceof Response) return bytes;
  const parsed = parseJsonBody(bytes);
  if (!parsed.ok) return fail(c, 400, parsed.code, parsed.message);
  const envelope = readEnvelope(parsed.value, s.maxBatch);
  if (!envelope.ok) return envelope.status === 413 ? fail(c, 413, envelope.code as "batch_too_large", envelope.message, envelope.details) : fail(c, 400, "invalid_request", envelope.message, envelope.details);
  const explain = c.req.query("explain");
  if (explain !== undefined && explain !== "true" && explain !== "false") {
    return fail(c, 400, "invalid_request", "explain must be true or false", [{ path: "?explain", expected: "true or false", received: describeValue(explain) }]);
  }

  const topK = explain === "false" ? 0 : s.topK;
  const registry = models(c);
  // A loaded model implies a live backend: the registry's first load starts it and awaits it before building.
  const r = await registry.use(name, deferTo(c), (model, role) => ({ role, scored: score(model, envelope.instances, topK, role, envelope.id) }),
    (share) => inCanary(name, canaryCallerKey(c, envelope.instances), share));
  if (!r.ok) return modelFailure(c, name, r);
  const { scored, role } = r.value;
  c.set("modelVersion", scored.ok ? scored.model.version : scored.version);
  if (role === "canary") c.set("modelRole", role);
  if (!scored.ok) {
    const n = envelope.instances.length;
    const strict = scored.strictRanges ? " (this model refuses values outside its training range)" : "";
    return fail(c, 422, "invalid_instance", `${invalidCount(scored.invalid, n)}; nothing was scored${strict}`, scored.details);
  }
  // Records are built and sent after the response, in waitUntil (edge/capture/); the shadow's too, with role "shadow".
  // Their features are copied from the body's text, where its scan found each instance.
  const source = { text: parsed.text, ascii: parsed.ascii, spans: parsed.instances, instances: envelope.instances };
  captureAnswers(c, scored.answers, source);
  if (registry.hasShadow(name)) {
    c.executionCtx.waitUntil(scoreShadow(registry, { model: name, requestId: c.get("requestId"), instances: envelope.instances, topK }, log, (shadow) => captureAnswers(c, shadow.answers, source)));
  }
  // The same bytes and headers as c.json() of {id?, model, predictions}.
  return c.body(scored.body(), undefined, JSON_TYPE);
}

export const predictDefault = (c: Context<AppEnv>) => handlePredict(c, c.get("settings").modelName);

export function predictNamed(c: Context<AppEnv>): Promise<Response> | Response {
  const name = modelNameParam(c);
  return typeof name === "string" ? handlePredict(c, name) : name;
}
