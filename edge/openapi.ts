/**
 * OpenAPI 3.1 descriptions of the API. `/openapi.json` describes every route
 * with a generic instance (features depend on the model); a model's own
 * document (`/models/{name}/openapi.json`) carries its instance schema, which
 * is the JSON Schema of the very arktype type that validates requests
 * (shared/validate.ts), so the two cannot disagree, and its prediction schema
 * is the one of its task (a classifier's probability and decision, or a
 * regression's value and interval); the generic document allows either.
 */
import type { Task } from "../shared/task.ts";
import type { Settings } from "./env.ts";
import { ERRORS, type ErrorCode } from "./errors.ts";

export interface ModelDescription {
  name: string;
  version: string;
  /** JSON Schema of one instance (from `InstanceSchema.jsonSchema()`). */
  instance: Record<string, unknown>;
  passThroughKey: string;
  /** What it predicts (default classification) and its target column. */
  task?: Task;
  target?: string;
}

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const codes = (status: number) => (Object.keys(ERRORS) as ErrorCode[]).filter((k) => ERRORS[k].status === status);

function errorResponse(status: number, description: string): Json {
  return {
    description: `${description} (code: ${codes(status).join(", ")})`,
    content: { "application/json": { schema: ref("Error") } },
  };
}

const retryAfter = { "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer" } } };

const ERROR_SCHEMA: Json = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", enum: Object.keys(ERRORS) },
        message: { type: "string" },
        details: { type: "array", items: { type: "object", required: ["path", "expected", "received"], properties: { path: { type: "string" }, expected: { type: "string" }, received: { type: "string" } } } },
        hint: { type: "string", description: "What the operator should do; only for callers with the operator scope" },
      },
    },
  },
};

const WARNINGS: Json = {
  type: "array",
  description: "Values preprocessing changed: clipped to the range the model was fitted on, or imputed",
  items: { type: "object", required: ["feature", "code", "message"], properties: { feature: { type: "string" }, code: { enum: ["clipped", "imputed"] }, message: { type: "string" } } },
};

const reasons = (impact: string): Json => ({
  type: "array",
  items: { type: "object", required: ["feature", "value", "impact", "text"], properties: { feature: { type: "string" }, value: {}, impact: { type: "number", description: impact }, text: { type: "string" } } },
});

function classificationPrediction(passThrough: Json): Json {
  return {
    type: "object",
    required: ["probability", "decision", "warnings"],
    properties: {
      ...passThrough,
      probability: { type: "number", minimum: 0, maximum: 1, description: "Probability of the adverse outcome" },
      decision: { enum: ["approve", "refer", "decline"] },
      reasons: { ...reasons("How much this applicant's value raised the probability above the typical applicant's (positive)"), description: "The features that raised the risk most, largest first" },
      warnings: WARNINGS,
    },
  };
}

function regressionPrediction(passThrough: Json, target: string, level?: number): Json {
  return {
    type: "object",
    required: ["value", "interval", "warnings"],
    properties: {
      ...passThrough,
      value: { type: "number", description: `The estimated ${target}, in its own units` },
      interval: {
        type: "array", prefixItems: [{ type: "number" }, { type: "number" }], minItems: 2, maxItems: 2,
        description: `[lo, hi]: the ${level === undefined ? "" : `${Math.round(level * 1000) / 10} % `}prediction interval (split conformal)`,
      },
      reasons: { ...reasons(`How much this row's value moved the estimate from the typical row's, in ${target}'s units (either sign)`), description: "The features that raised or lowered the estimate most, largest first" },
      warnings: WARNINGS,
    },
  };
}

function predictionsSchema(passThroughKey: string, task?: Task, target = "target"): Json {
  const passThrough: Json = passThroughKey ? { [passThroughKey]: { type: ["string", "number"], description: "The instance's pass-through value, when it had one" } } : {};
  const items = task === undefined
    ? { oneOf: [classificationPrediction(passThrough), regressionPrediction(passThrough, target)], description: "A classifier's probability and decision, or a regression model's value and interval (GET /models/{name} says which)" }
    : task.kind === "regression" ? regressionPrediction(passThrough, target, task.interval.level) : classificationPrediction(passThrough);
  return {
    type: "object",
    required: ["model", "predictions"],
    properties: {
      id: { type: "string", description: "The request's `id`, when it had one" },
      model: { type: "object", required: ["name", "version"], properties: { name: { type: "string" }, version: { type: "string" } } },
      predictions: { type: "array", items },
    },
  };
}

function predictOperation(s: Settings, summary: string, withName: boolean): Json {
  return {
    summary,
    security: [{ bearer: [] }],
    parameters: [
      ...(withName ? [{ name: "name", in: "path", required: true, schema: { type: "string", pattern: "^[a-z0-9][a-z0-9._-]{0,63}$" } }] : []),
      { name: "explain", in: "query", schema: { type: "boolean", default: true }, description: "false skips reason codes" },
      { name: "X-Request-Id", in: "header", schema: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$" }, description: "Echoed in the response header (a new one is made when absent or malformed)" },
    ],
    requestBody: {
      required: true,
      content: {
        "application/json": {
          schema: {
            type: "object", additionalProperties: false, required: ["instances"],
            properties: {
              instances: { type: "array", minItems: 1, maxItems: s.maxBatch, items: ref("Instance") },
              id: { type: "string", minLength: 1, maxLength: 128, description: "Echoed back in the response" },
            },
          },
        },
      },
    },
    responses: {
      200: { description: "One prediction per instance, in order", content: { "application/json": { schema: ref("Predictions") } } },
      400: errorResponse(400, "Malformed JSON or request envelope"),
      401: errorResponse(401, "Missing or invalid credentials"),
      403: errorResponse(403, "Credentials without the scoring scope"),
      404: errorResponse(404, "No such model"),
      408: errorResponse(408, `The body did not all arrive within ${s.bodyTimeoutMs / 1000} s (BODY_TIMEOUT_SECONDS)`),
      413: errorResponse(413, `Body over ${s.maxBodyBytes} bytes or more than ${s.maxBatch} instances`),
      415: errorResponse(415, "Content-Type is not application/json"),
      422: errorResponse(422, "An instance has invalid feature values (details list each)"),
      429: { ...errorResponse(429, "Rate limited"), headers: retryAfter },
      503: { ...errorResponse(503, "Model not loadable now, or authentication not configured"), headers: retryAfter },
    },
  };
}

const pathParam = (name: string) => ({ name, in: "path", required: true, schema: { type: "string" } });

/** An operator GET; `html` for the report pages, which answer text/html. */
const operatorGet = (summary: string, withName: boolean, o: { version?: boolean; html?: string; notFound?: string } = {}): Json => ({
  summary,
  security: [{ bearer: [] }],
  ...(withName ? { parameters: [pathParam("name"), ...(o.version ? [pathParam("version")] : [])] } : {}),
  responses: {
    200: o.html
      ? { description: o.html, content: { "text/html": { schema: { type: "string" } } } }
      : { description: "OK", content: { "application/json": { schema: { type: "object" } } } },
    ...(o.html ? { 304: { description: "Not modified (If-None-Match matched the ETag)" } } : {}),
    401: errorResponse(401, "Missing or invalid credentials"),
    403: errorResponse(403, "Credentials without the operator scope"),
    ...(withName ? { 404: errorResponse(404, o.notFound ?? "No such model") } : {}),
    429: { ...errorResponse(429, "Rate limited"), headers: retryAfter },
    503: errorResponse(503, "Model, report or store not readable now, or authentication not configured"),
  },
});

const GENERIC_INSTANCE: Json = {
  type: "object",
  description: "One applicant's feature values. The features are the model's: GET /models/{name}/openapi.json (operator scope) has its exact schema.",
  additionalProperties: { type: ["number", "string", "null"] },
};

/** Without `model`: every route, generic instances. With: that model's predict routes and instance schema. */
export function openApiDocument(s: Settings, model?: ModelDescription): Json {
  const { $schema: _dialect, ...instance } = model?.instance ?? GENERIC_INSTANCE;
  const paths: Json = model
    ? {
        [`/models/${model.name}/predict`]: { post: predictOperation(s, `${model.task?.kind === "regression" ? `Estimate ${model.target ?? "the target"}` : "Score applicants"} with ${model.name} (version ${model.version} when this was generated)`, false) },
        ...(model.name === s.modelName ? { "/predict": { post: predictOperation(s, `Score applicants with the default model, ${model.name}`, false) } } : {}),
      }
    : {
        "/predict": { post: predictOperation(s, "Score applicants with the default model (scope: scoring)", false) },
        "/models/{name}/predict": { post: predictOperation(s, "Score applicants with a published model (scope: scoring)", true) },
        "/models/{name}": { get: operatorGet("Model card: version, metrics, features, training data (scope: operator)", true) },
        "/models/{name}/openapi.json": { get: operatorGet("This document for one model, with its instance schema (scope: operator)", true) },
        "/models/{name}/versions": { get: operatorGet("Stored versions, newest first, and which one is current (scope: operator)", true) },
        "/models/{name}/report": {
          get: operatorGet("HTML model report of the serving version, verified against its manifest; no script (scope: operator)", true,
            { html: "The report; ETag, Cache-Control: private, no-cache", notFound: "No such model, or a version without a report" }),
        },
        "/models/{name}/versions/{version}/report": {
          get: operatorGet("HTML model report of one version, immutable (scope: operator)", true,
            { version: true, html: "The report; ETag, Cache-Control: private, max-age=31536000, immutable", notFound: "No such model or version, or a version without a report" }),
        },
        "/openapi.json": { get: { summary: "This document (scope: scoring or operator)", security: [{ bearer: [] }], responses: { 200: { description: "OpenAPI 3.1" }, 401: errorResponse(401, "Missing or invalid credentials") } } },
        "/healthz": {
          get: {
            summary: 'Health: {"ok": true|false} for a caller without credentials; backend, models, tensors and configuration problems with operator credentials. Credentials that fail are refused (a probe should send none)',
            responses: {
              200: { description: "Healthy" },
              401: errorResponse(401, "Credentials were sent and are not valid (fails closed: a public answer would be an unthrottled key oracle)"),
              429: { ...errorResponse(429, "Rate limited (failed credentials count toward the client IP's limit)"), headers: retryAfter },
              503: { description: "Not healthy (misconfigured, or the default model fails to load)" },
            },
          },
        },
      };
  return {
    openapi: "3.1.0",
    info: {
      title: model ? `edgescore: ${model.name}` : "edgescore",
      version: model ? model.version : "1",
      description: model?.task?.kind === "regression"
        ? `Estimates at the edge: the estimated ${model.target ?? "target"} with a prediction interval, reason codes and input warnings.`
        : model
          ? "Credit-risk scoring at the edge: probability of the adverse outcome, decision, reason codes and input warnings."
          : "Scoring at the edge: a classifier's probability of the adverse outcome and decision, or a regression model's estimate and prediction interval; reason codes and input warnings.",
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "A JWT from the identity provider (AUTH_MODE jwt) or an API key (AUTH_MODE keys)" } },
      schemas: { Error: ERROR_SCHEMA, Instance: instance, Predictions: predictionsSchema(s.passThroughKey, model ? (model.task ?? { kind: "classification" }) : undefined, model?.target) },
    },
    paths,
  };
}
