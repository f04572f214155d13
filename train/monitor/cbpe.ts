/**
 * Confidence-based performance estimation (CBPE, as NannyML defines it): what
 * a binary classifier's metrics will be once the outcomes are known, from its
 * probabilities alone. If the probabilities are calibrated, applicant i turns
 * bad with probability p_i, so the expected number of bads is Σ p_i and each
 * applicant counts p_i as a bad and 1 − p_i as a good in an expected ROC curve.
 *
 * Sound only while the model is calibrated on the new population: drift that
 * breaks calibration (a changed relation between features and outcome) is
 * invisible here, and only labelled outcomes reveal it. Pure, O(n log n).
 */
import { checkFinite, type Vector } from "../evaluate/checks.ts";

function checkProbabilities(fn: string, p: Vector): void {
  checkFinite(fn, "probabilities", p);
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (v < 0 || v > 1) throw new Error(`${fn}: probabilities[${i}] is ${v}; probabilities must be in [0, 1]`);
  }
}

/** Expected bad rate: the mean probability (Σ p_i / n). */
export function expectedBadRate(p: Vector): number {
  checkProbabilities("expectedBadRate", p);
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += p[i]!;
  return sum / p.length;
}

/**
 * Expected ROC AUC: the area under the expected ROC curve, whose point at
 * threshold t is (Σ_{s_i ≥ t} (1 − p_i) / N, Σ_{s_i ≥ t} p_i / P) with
 * P = Σ p_i and N = Σ (1 − p_i); the score is the probability itself. Tied
 * scores form one step (the trapezoid), so it equals the weighted
 * Mann–Whitney statistic Σ_i Σ_j p_i (1 − p_j) ([s_i > s_j] + ½[s_i = s_j]) / (P·N),
 * pairs of a row with itself included, as NannyML's trapezoid includes them.
 * NaN when every probability is 0 or every one is 1 (no expected bads or goods).
 */
export function expectedAuc(p: Vector): number {
  checkProbabilities("expectedAuc", p);
  const sorted = Float64Array.from(p).sort();
  let goodsBelow = 0;
  let area = 0;
  let P = 0;
  let N = 0;
  for (let i = 0; i < sorted.length;) {
    const s = sorted[i]!;
    let bad = 0;
    let good = 0;
    for (; i < sorted.length && sorted[i] === s; i++) { bad += s; good += 1 - s; }
    area += bad * (goodsBelow + good / 2);
    goodsBelow += good;
    P += bad;
    N += good;
  }
  return P > 0 && N > 0 ? area / (P * N) : NaN;
}
