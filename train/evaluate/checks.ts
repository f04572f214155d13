/**
 * Input checks shared by the metric modules. Conventions for every metric in
 * train/evaluate:
 * - `labels[i]` is 1 for the adverse outcome (the positive class) and 0 otherwise;
 *   anything else is rejected, because a silently mis-encoded label column makes
 *   every metric quietly wrong.
 * - `scores[i]` is the predicted probability of the positive class; scores must
 *   be finite, since NaN has no place in a sort order.
 * - Nothing is rounded: reports decide their own precision, and rounding here
 *   would make tiny regressions invisible.
 *
 * Everything is pure (no I/O, no Node APIs) so the same code can run in the
 * trainer, in tests and, if ever needed, in the Worker. Every function is at
 * worst O(n log n), works on typed arrays, and allocates nothing per row, so a
 * 1,000,000-row hold-out set is evaluated in well under a second.
 */

/** Read-only numeric vector: a plain array, a typed array, or a tensor's `dataSync()`. */
export type Vector = ArrayLike<number>;

/** Validates labels (non-empty, each exactly 0 or 1) and returns the positive count. */
export function checkLabels(fn: string, labels: Vector): number {
  const n = labels.length;
  if (n === 0) throw new Error(`${fn}: no rows (labels is empty)`);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y === 1) positives++;
    else if (y !== 0) throw new Error(`${fn}: labels[${i}] is ${String(y)}; labels must be 0 or 1`);
  }
  return positives;
}

/** Validates a finite, non-empty numeric vector. */
export function checkFinite(fn: string, name: string, values: Vector): void {
  const n = values.length;
  if (n === 0) throw new Error(`${fn}: no rows (${name} is empty)`);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === undefined || !Number.isFinite(v)) {
      throw new Error(`${fn}: ${name}[${i}] is ${String(v)}; values must be finite numbers`);
    }
  }
}

/** Validates a labels/scores pair and returns the positive count. */
export function checkPair(fn: string, labels: Vector, scores: Vector): number {
  if (labels.length !== scores.length) {
    throw new Error(`${fn}: labels has ${labels.length} rows but scores has ${scores.length}`);
  }
  const positives = checkLabels(fn, labels);
  checkFinite(fn, "scores", scores);
  return positives;
}

/** Ranking metrics are undefined unless both classes occur; say so instead of returning NaN. */
export function requireBothClasses(fn: string, n: number, positives: number): void {
  if (positives === 0 || positives === n) {
    throw new Error(
      `${fn}: needs both classes, got ${positives} positives and ${n - positives} negatives ` +
        `(the metric is undefined when a class is absent)`,
    );
  }
}
