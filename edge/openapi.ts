/** OpenAPI 3.1 description of the API, with the instance schema of the default model when it is loaded. */
import type { FeatureSpec } from "../shared/spec.ts";
import type { Settings } from "./env.ts";

function instanceSchema(spec: FeatureSpec | undefined): Record<string, unknown> {
  if (!spec) return { type: "object", description: "Feature values of one applicant; see GET /models/{name} for the features." };
  const properties: Record<string, unknown> = {};
  for (const f of spec.features) {
    const base: Record<string, unknown> = f.type === "categorical"
      ? { type: "string", enum: f.values }
      : { type: "number", ...(f.min !== undefined ? { minimum: f.min } : {}), ...(f.max !== undefined ? { maximum: f.max } : {}) };
    properties[f.name] = {
      ...(f.nullable ? { anyOf: [base, { type: "null" }] } : base),
      ...(f.description ? { description: f.description } : {}),
    };
  }
  return { type: "object", additionalProperties: false, required: spec.features.filter((f) => !f.nullable).map((f) => f.name), properties };
}

const error = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        details: { type: "array", items: { type: "object", properties: { path: { type: "string" }, expected: { type: "string" }, received: { type: "string" } } } },
      },
    },
  },
};

export function openApiDocument(s: Settings, spec?: FeatureSpec): Record<string, unknown> {
  const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
  const predict = {
    summary: "Score applicants (TensorFlow Serving REST convention)",
    security: [{ bearer: [] }],
    parameters: [{ name: "explain", in: "query", schema: { type: "boolean", default: true }, description: "false skips reason codes" }],
    requestBody: {
      required: true,
      content: { "application/json": { schema: { type: "object", additionalProperties: false, required: ["instances"], properties: { instances: { type: "array", minItems: 1, maxItems: s.maxBatch, items: { $ref: "#/components/schemas/Instance" } } } } } },
    },
    responses: {
      200: { description: "One prediction per instance, in order", content: { "application/json": { schema: { $ref: "#/components/schemas/Predictions" } } } },
      400: errorResponse("Malformed JSON or request envelope"),
      401: errorResponse("Missing or invalid API key"),
      413: errorResponse(`Body over ${s.maxBodyBytes} bytes or more than ${s.maxBatch} instances`),
      415: errorResponse("Content-Type is not application/json"),
      422: errorResponse("An instance has invalid feature values (details list each)"),
      503: errorResponse("No model published or loadable yet (Retry-After set), or no API keys configured"),
    },
  };
  return {
    openapi: "3.1.0",
    info: { title: "edgescore", version: "1", description: "Credit-risk scoring at the edge: probability of the adverse outcome, decision and reason codes." },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: error,
        Instance: instanceSchema(spec),
        Predictions: {
          type: "object",
          properties: {
            model: { type: "object", properties: { name: { type: "string" }, version: { type: "string" } } },
            predictions: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  probability: { type: "number", minimum: 0, maximum: 1 },
                  decision: { enum: ["approve", "refer", "decline"] },
                  reasons: { type: "array", items: { type: "object", properties: { feature: { type: "string" }, value: {}, impact: { type: "number" }, text: { type: "string" } } } },
                },
              },
            },
          },
        },
      },
    },
    paths: {
      "/predict": { post: { ...predict, description: `Scores with the default model (${s.modelName}).` } },
      "/models/{name}/predict": { post: { ...predict, parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }, ...predict.parameters] } },
      "/models/{name}": { get: { summary: "Model card: version, metrics, features", security: [{ bearer: [] }], responses: { 200: { description: "The card" }, 404: errorResponse("No such model") } } },
      "/models/{name}/report": { get: { summary: "HTML model report of the serving version (verified against its manifest; no script)", security: [{ bearer: [] }], responses: { 200: { description: "text/html; ETag, Cache-Control: private, no-cache" }, 404: errorResponse("No such model, or a version without a report"), 503: errorResponse("The report failed verification (see /healthz)") } } },
      "/models/{name}/versions/{version}/report": { get: { summary: "HTML model report of one version (immutable)", security: [{ bearer: [] }], responses: { 200: { description: "text/html; ETag, Cache-Control: private, max-age=31536000, immutable" }, 404: errorResponse("No such version, or a version without a report"), 503: errorResponse("The report failed verification (see /healthz)") } } },
      "/models/{name}/versions": { get: { summary: "Stored versions, newest first, and which one is current (for operators)", security: [{ bearer: [] }], responses: { 200: { description: "name, current {version, since, historySeq, action}, versions [{version, createdAt, current}], truncated" }, 404: errorResponse("No such model"), 503: errorResponse("The store could not be read") } } },
      "/healthz": { get: { summary: "Liveness and loaded model versions (no model load)", responses: { 200: { description: "ok" } } } },
    },
  };
}
