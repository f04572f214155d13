/** One-line feature specs and step accessors for the preprocessing tests. */
import type { NumericStep, PreprocessState } from "../../shared/preprocess.ts";
import type { Feature, FeatureSpec } from "../../shared/spec.ts";

export const num = (name: string, nullable = true): Feature => ({ name, type: "numeric", nullable });
export const cat = (name: string, values: string[], nullable = true): Feature => ({ name, type: "categorical", values, nullable });
export const specOf = (...features: Feature[]): FeatureSpec => ({ target: "y", positive: "bad", negative: "good", features });
export const numericStep = (s: PreprocessState) => s.steps[0] as NumericStep;
