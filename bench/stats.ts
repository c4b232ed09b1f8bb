/** Summary statistics of a list of durations in milliseconds. */
export interface Summary {
  n: number;
  p50: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

/**
 * Percentile `p` (0..100) by linear interpolation between the closest ranks (the common "type 7" definition, as in
 * numpy's default), so p50 of an even-sized sample is the mean of the two middle values. NaN for an empty sample.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (b - a) * (rank - low);
}

/** p50, p95, mean, min and max of `values`; NaN entries (a missing measurement) are left out. */
export function summarize(values: readonly number[]): Summary {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const sum = sorted.reduce((acc, v) => acc + v, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** Rounds to 0.1 ms for printing and JSON (the clocks behind the breakdown have 1 ms resolution anyway). */
export function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** A summary with every figure rounded by {@link round}. */
export function roundSummary(s: Summary): Summary {
  return { n: s.n, p50: round(s.p50), p95: round(s.p95), mean: round(s.mean), min: round(s.min), max: round(s.max) };
}
