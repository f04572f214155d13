/**
 * What the search may vary for each task: a classifier's space without the
 * regression options, a regression's without class weights (and without
 * log1p for a target with negative values), and the head a regression's
 * trial workers fit both target transforms from.
 */
import type { RegressionTarget, TargetTransform } from "../../shared/task.ts";
import type { HeadSpec } from "../fit/architecture.ts";
import { REGRESSION_OPTIONS } from "../fit/options.ts";
import { fitTarget } from "../fit/target.ts";
import { SearchError } from "./search-error.ts";
import { defaultSpace, type SearchSpace } from "./space.ts";

/**
 * A regression's search leaves class weights out (they weigh classes); a space
 * that asks for them is refused. log1p needs a target ≥ 0: with negative
 * values only "none" stays.
 */
export function regressionSpace(space: SearchSpace, y: Float32Array): SearchSpace {
  const d = space.classWeight;
  if (d && "choice" in d && d.choice.some((c) => c !== "none")) throw new SearchError("the search space lists class weights, which apply to classification; leave classWeight out for a regression target");
  const { classWeight: _unused, ...rest } = space;
  const t = rest.targetTransform;
  if (t && "choice" in t && y.some((v) => v < 0)) {
    const kept = t.choice.filter((c) => c !== "log1p");
    if (kept.length) rest.targetTransform = { choice: kept };
    else delete rest.targetTransform;
  }
  return rest;
}

/** A classifier's search leaves the regression options (loss, target transform) out; a space that names other values is refused. */
export function classifierSpace(space: SearchSpace): SearchSpace {
  const out = { ...space };
  for (const key of REGRESSION_OPTIONS) {
    const d = out[key];
    if (d && space !== defaultSpace && !(key in defaultSpace && d === defaultSpace[key])) throw new SearchError(`the search space lists "${key}", which applies to a regression target; leave it out for a classifier`);
    delete out[key];
  }
  return out;
}

/** The search's head: a regression's also carries its target fitted without and with log1p, for trials that ask for either. */
export function searchHead(head: HeadSpec, y: Float32Array): HeadSpec {
  if (head.kind !== "regression") return head;
  const alternatives: Partial<Record<TargetTransform, RegressionTarget>> = {};
  for (const t of ["none", "log1p"] as const) {
    try {
      alternatives[t] = fitTarget(y, t, "target").target;
    } catch {
      // log1p of a negative target: that transform is not searched (regressionSpace).
    }
  }
  return { ...head, alternatives };
}
