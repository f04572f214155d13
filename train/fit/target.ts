/**
 * A regression target as the network learns it: optionally log1p-transformed
 * (`--target-transform auto` does so for a heavy right tail of non-negative
 * values, by the same skewness rule preprocessing uses for features), then
 * standardized with the training rows' mean and standard deviation. After
 * training, Duan's smearing factor turns exp of a fitted log into an estimate
 * of the mean rather than the median.
 */
import { transformTarget, type RegressionTarget, type TargetTransform } from "../../shared/task.ts";

export type TargetTransformChoice = TargetTransform | "auto";

/** Skewness above which `auto` takes log1p (as for features in shared/preprocess.ts). */
export const AUTO_LOG_SKEW = 2;

export class TargetError extends Error {}

export function skewness(xs: ArrayLike<number>): number {
  const n = xs.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += xs[i]!;
  m /= n || 1;
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < n; i++) { const d = xs[i]! - m; m2 += d * d; m3 += d * d * d; }
  m2 /= n || 1;
  m3 /= n || 1;
  return m2 > 0 ? m3 / m2 ** 1.5 : 0;
}

const fmt = (x: number) => String(Number(x.toPrecision(6)));

/**
 * Fits the transform, mean and standard deviation on the training rows'
 * targets (`column` names it in messages). A constant target cannot be
 * learned, and log1p needs values ≥ 0: both are errors that say so.
 */
export function fitTarget(y: ArrayLike<number>, choice: TargetTransformChoice, column: string): { target: RegressionTarget; reason: string } {
  const n = y.length;
  if (n < 2) throw new TargetError(`the training split has ${n} row${n === 1 ? "" : "s"} with a "${column}" value; a regression needs more`);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) { if (y[i]! < min) min = y[i]!; if (y[i]! > max) max = y[i]!; }
  if (min === max) throw new TargetError(`target "${column}" is constant (${fmt(min)} in every training row): there is nothing to learn; check the column or the data`);
  const skew = skewness(y);
  let transform: TargetTransform;
  let reason: string;
  if (choice === "auto") {
    transform = min >= 0 && skew > AUTO_LOG_SKEW ? "log1p" : "none";
    reason = transform === "log1p"
      ? `auto: skewness ${fmt(skew)} > ${AUTO_LOG_SKEW} and no negative values (${fmt(min)} to ${fmt(max)})`
      : `auto: ${min < 0 ? `negative values (down to ${fmt(min)})` : `skewness ${fmt(skew)} ≤ ${AUTO_LOG_SKEW}`}, kept as is`;
  } else {
    if (choice === "log1p" && min < 0) throw new TargetError(`--target-transform log1p needs "${column}" ≥ 0; its training values go down to ${fmt(min)}: use --target-transform none`);
    transform = choice;
    reason = `--target-transform ${choice}`;
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += transformTarget(transform, y[i]!);
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (transformTarget(transform, y[i]!) - mean) ** 2;
  const std = Math.sqrt(ss / n);
  if (!(std > 0) || !Number.isFinite(mean)) throw new TargetError(`target "${column}" has no spread on the ${transform} scale; check the column`);
  return { target: { transform, mean, std, smearing: 1 }, reason };
}

/**
 * Duan's smearing estimate for a log1p target: the mean of exp(residual) on
 * the log scale, from `y` (stored targets) and network outputs `out`. 1 for
 * no transform (the mean of the residuals is what it is).
 */
export function smearingFactor(target: RegressionTarget, y: ArrayLike<number>, out: ArrayLike<number>): number {
  if (target.transform !== "log1p" || y.length === 0) return 1;
  let s = 0;
  for (let i = 0; i < y.length; i++) s += Math.exp(Math.log1p(y[i]!) - (out[i]! * target.std + target.mean));
  const f = s / y.length;
  return Number.isFinite(f) && f > 0 ? f : 1;
}
