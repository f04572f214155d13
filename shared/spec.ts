/**
 * The feature schema: the contract between the CSV the trainer reads, the
 * artifact it publishes and the JSON the edge accepts. Plain data, so it can be
 * printed, edited by hand (`--spec`), stored in the manifest and validated.
 */
import { type } from "arktype";

export interface NumericFeature {
  name: string;
  type: "numeric";
  /** Inclusive bounds accepted at the edge; absent means any finite number. */
  min?: number;
  max?: number;
  /** May be missing (null / absent / empty cell); imputed by preprocessing. */
  nullable: boolean;
  description?: string;
  /** Reason-code text shown when this feature raised the risk. */
  reason?: string;
}

export interface CategoricalFeature {
  name: string;
  type: "categorical";
  /** Allowed values; anything else is rejected at the edge. */
  values: string[];
  nullable: boolean;
  description?: string;
  reason?: string;
}

export type Feature = NumericFeature | CategoricalFeature;

export interface FeatureSpec {
  target: string;
  /** A classifier's adverse-outcome label (e.g. "bad"): the model predicts its probability. Absent for regression. */
  positive?: string;
  /** A classifier's other label. Absent for regression. */
  negative?: string;
  features: Feature[];
}

const featureOverride = type({
  "type?": "'numeric' | 'categorical'",
  "min?": "number",
  "max?": "number",
  "nullable?": "boolean",
  "values?": "string[]",
  "description?": "string",
  "reason?": "string",
  "+": "reject",
});

/** What a `--spec` file may say: any part of the schema; the rest is inferred. */
export const specOverrides = type({
  "target?": "string > 0",
  "positive?": "string > 0",
  "ignore?": "string[]",
  "features?": type.Record("string", featureOverride),
  "+": "reject",
});
export type SpecOverrides = typeof specOverrides.infer;

const numericFeature = type({
  name: "string > 0",
  type: "'numeric'",
  "min?": "number",
  "max?": "number",
  nullable: "boolean",
  "description?": "string",
  "reason?": "string",
});
const categoricalFeature = type({
  name: "string > 0",
  type: "'categorical'",
  values: "string[] > 0",
  nullable: "boolean",
  "description?": "string",
  "reason?": "string",
});

/** Validates a complete spec, as stored in a manifest (the labels: classification only, checked with the task). */
export const featureSpec = type({
  target: "string > 0",
  "positive?": "string > 0",
  "negative?": "string > 0",
  features: numericFeature.or(categoricalFeature).array().atLeastLength(1),
});

/** Default reason text: the spec's own, else a neutral sentence naming the feature. */
export function reasonText(feature: Feature): string {
  return feature.reason ?? `${feature.description ?? feature.name} raised the estimated risk`;
}

/** A regression's reason text: the feature raised or lowered the estimated target. */
export function regressionReasonText(feature: Feature, target: string, raised: boolean): string {
  return `${feature.description ?? feature.name} ${raised ? "raised" : "lowered"} the estimated ${target}`;
}

/** A classifier's labels; throws for a spec without them (a regression model's). */
export function labelsOf(spec: FeatureSpec): { positive: string; negative: string } {
  if (spec.positive === undefined || spec.negative === undefined) throw new Error(`the spec of target "${spec.target}" has no class labels (a regression target)`);
  return { positive: spec.positive, negative: spec.negative };
}
