/** One sample of the coordinator's memory during a soak. */
export interface Sample {
  seconds: number;
  ended: number;
  rssMb: number;
}

/**
 * RSS growth: the highest sample while the last `window` runs ended, minus the sample when the first `window` had
 * ended (start-up and JIT warm-up are behind it by then). `window` is 1,000, or a tenth of a smaller soak.
 */
export function rssGrowth(
  samples: readonly Sample[],
  runs: number,
): { window: number; firstMb: number; lastMb: number } {
  const window = Math.min(1000, Math.max(1, Math.floor(runs / 10)));
  const first = samples.find((s) => s.ended >= window) ?? samples[0];
  const tail = samples.filter((s) => s.ended >= runs - window);
  const lastMb = Math.max(...(tail.length > 0 ? tail : samples.slice(-1)).map((s) => s.rssMb));
  return { window, firstMb: first?.rssMb ?? Number.NaN, lastMb };
}
