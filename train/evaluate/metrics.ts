/** The metric modules in one import: ranking, probabilities, distributions, the whole evaluation. */
export type { Vector } from "./checks.ts";
export { gini, ks, rocAuc, type KsResult } from "./ranking.ts";
export { baseRate, brier, calibration, confusion, logLoss, type CalibrationBin, type Confusion } from "./probability.ts";
export { binShares, DECILE_PROBS, psi, psiFromCounts, PSI_SHARE_FLOOR, quantiles, scoreDeciles } from "./distribution.ts";
export { evaluate, type Evaluation } from "./classification.ts";
