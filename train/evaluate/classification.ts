/** Every hold-out metric of a binary classifier in one pass over validated inputs. */
import { checkPair, requireBothClasses, type Vector } from "./checks.ts";
import { calibrationUnchecked, brierUnchecked, confusionUnchecked, logLossUnchecked, type CalibrationBin, type Confusion } from "./probability.ts";
import { aucFromClasses, gini, ksFromClasses, splitByClass } from "./ranking.ts";

/** Everything {@link evaluate} reports about a scored hold-out set, at full precision. */
export interface Evaluation {
  n: number;
  positives: number;
  auc: number;
  gini: number;
  ks: number;
  ksThreshold: number;
  brier: number;
  logLoss: number;
  accuracy: number;
  confusion: Confusion;
  calibration: CalibrationBin[];
}

/**
 * All hold-out metrics in one pass over validated inputs (the per-class sort
 * is shared by AUC and KS). `threshold` is the decision threshold for the
 * confusion matrix and accuracy; calibration uses deciles. Throws if either
 * class is absent.
 */
export function evaluate(labels: Vector, scores: Vector, threshold: number): Evaluation {
  const positives = checkPair("evaluate", labels, scores);
  requireBothClasses("evaluate", labels.length, positives);
  const classes = splitByClass(labels, scores, positives);
  const auc = aucFromClasses(classes);
  const ksResult = ksFromClasses(classes);
  const matrix = confusionUnchecked(labels, scores, threshold);
  return {
    n: labels.length,
    positives,
    auc,
    gini: gini(auc),
    ks: ksResult.statistic,
    ksThreshold: ksResult.threshold,
    brier: brierUnchecked(labels, scores),
    logLoss: logLossUnchecked(labels, scores, 1e-15),
    accuracy: matrix.accuracy,
    confusion: matrix,
    calibration: calibrationUnchecked(labels, scores, 10),
  };
}
