/**
 * What a model predicts and how its network's single output becomes the
 * answer. A classifier's output is the probability of the adverse outcome. A
 * regression network's output z is the target standardized for training, on
 * the transformed scale: the value in the target's own units is
 * inverse(z · std + mean), and its prediction interval is
 * inverse(z · std + mean ± halfWidth), calibrated by split conformal
 * prediction (shared by the trainer, offline scoring and the edge, so all
 * three answer alike).
 */

export type TargetTransform = "none" | "log1p";

export const TARGET_TRANSFORMS: readonly TargetTransform[] = ["none", "log1p"];

export interface RegressionTarget {
  /** Applied to the target before standardizing: log1p for a heavy right tail of non-negative values. */
  transform: TargetTransform;
  /** Mean and standard deviation of the transformed target on the training rows. */
  mean: number;
  std: number;
  /**
   * Duan's smearing factor for log1p: mean of exp(residual) on the validation
   * rows, so that the value estimates the mean, not the median, of the target
   * (1 without a transform).
   */
  smearing: number;
}

export interface PredictionInterval {
  /** Nominal coverage, e.g. 0.9. */
  level: number;
  /** Half-width on the transformed scale (before the inverse transform): the conformal quantile of |t(y) − t̂|. */
  halfWidth: number;
}

export interface RegressionTask {
  kind: "regression";
  target: RegressionTarget;
  interval: PredictionInterval;
}

export interface ClassificationTask {
  kind: "classification";
}

export type Task = ClassificationTask | RegressionTask;

export type TaskKind = Task["kind"];

export const CLASSIFICATION: ClassificationTask = { kind: "classification" };

/** The task of a manifest: its own `task`, else classification (every version before regression existed). */
export function taskOf(m: { task?: Task | undefined }): Task {
  return m.task ?? CLASSIFICATION;
}

/** The transform itself (training labels, conformity scores). */
export function transformTarget(t: TargetTransform, y: number): number {
  return t === "log1p" ? Math.log1p(y) : y;
}

/** Back from the transformed scale to the target's units (no smearing: interval bounds). */
export function untransform(t: TargetTransform, v: number): number {
  return t === "log1p" ? Math.expm1(v) : v;
}

/** The network's output on the transformed scale. */
export function transformedValue(target: RegressionTarget, z: number): number {
  return z * target.std + target.mean;
}

/** The prediction in the target's units: the estimated mean. */
export function regressionValue(target: RegressionTarget, z: number): number {
  const v = transformedValue(target, z);
  if (target.transform === "log1p" && target.smearing !== 1) return Math.exp(v) * target.smearing - 1;
  return untransform(target.transform, v);
}

/** The prediction interval in the target's units: [lo, hi], lo ≤ hi. */
export function regressionInterval(task: RegressionTask, z: number): [number, number] {
  const v = transformedValue(task.target, z);
  const h = task.interval.halfWidth;
  return [untransform(task.target.transform, v - h), untransform(task.target.transform, v + h)];
}

/**
 * How a network output becomes the number a caller gets (probability or
 * value): reason-code impacts are differences of this, so they are in the
 * answer's units.
 */
export function outputMap(task: Task): ((z: number) => number) | undefined {
  if (task.kind === "classification") return undefined;
  const target = task.target;
  return (z) => regressionValue(target, z);
}
