/** Operator routes about one model: its card and its OpenAPI document. */
import type { Context } from "hono";
import type { Manifest } from "../../shared/artifact.ts";
import { redactUrlCredentials } from "../../shared/redact.ts";
import { taskOf } from "../../shared/task.ts";
import type { AppEnv } from "../context.ts";
import type { LoadedModel } from "../loader.ts";
import { deferTo, modelFailure, modelNameParam, models } from "../models.ts";
import { openApiDocument } from "../openapi.ts";

/** The manifest's card with any credentials in the training data's location removed (older artifacts may hold them). */
function publicCard(card: Record<string, unknown>): Record<string, unknown> {
  const data = card.data as { source?: unknown } | undefined;
  if (!data || typeof data.source !== "string") return card;
  return { ...card, data: { ...data, source: redactUrlCredentials(data.source) } };
}

/** Runs `view` on the named model's live version, or answers 404/503. */
async function withModel(c: Context<AppEnv>, view: (m: LoadedModel) => unknown): Promise<Response> {
  const name = modelNameParam(c);
  if (typeof name !== "string") return name;
  const r = await models(c).use(name, deferTo(c), (m) => ({ version: m.version, body: view(m) }));
  if (!r.ok) return modelFailure(c, name, r);
  c.set("modelVersion", r.value.version);
  return c.json(r.value.body);
}

/** What the model answers: a classifier's probability and decisions, or a regression's value and interval. */
function taskView(m: Manifest): Record<string, unknown> {
  const task = taskOf(m);
  if (task.kind === "classification") {
    return { task: { kind: "classification", answers: "probability of the target's positive label, a decision from the thresholds" }, thresholds: m.thresholds, target: { column: m.spec.target, positive: m.spec.positive, negative: m.spec.negative } };
  }
  return {
    task: { kind: "regression", answers: `estimated ${m.spec.target} in its own units, with a prediction interval`, interval: { level: task.interval.level, method: "split conformal" }, transform: task.target.transform },
    target: { column: m.spec.target },
  };
}

/** GET /models/:name — version, task (and a classifier's thresholds), features and the model card (metrics, data, training). */
export const modelCard = (c: Context<AppEnv>) =>
  withModel(c, ({ manifest: m }) => ({
    name: m.name, version: m.version, createdAt: m.createdAt, ...taskView(m), features: m.spec.features, card: publicCard(m.card),
  }));

/** GET /models/:name/openapi.json — the API for this model, its instance schema derived from its validator. */
export const modelApiDocument = (c: Context<AppEnv>) =>
  withModel(c, (m) => openApiDocument(c.get("settings"), { name: m.name, version: m.version, instance: m.instances.jsonSchema(), passThroughKey: m.instances.passThroughKey, task: taskOf(m.manifest), target: m.manifest.spec.target }));
