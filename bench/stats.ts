/** Small order statistics over plain arrays of numbers. */

/** Nearest-rank percentile of an ascending-sorted array (p in 0..100). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Min, quartiles (nearest rank) and median of a list, in any order. */
export function quartiles(xs: number[]): { min: number; q1: number; median: number; q3: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: percentile(s, 0), q1: percentile(s, 25), median: median(s), q3: percentile(s, 75), max: percentile(s, 100) };
}

/** a / b, or NaN when b is not a positive finite number. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(b) && b > 0 ? a / b : NaN;
}
