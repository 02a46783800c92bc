/** Pure statistics over the benchmark's timestamps. */

/** The p-th percentile (0–100) by nearest rank; undefined for no values. Sorts a copy. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/**
 * The steady send rate: sends per second between the `trim` and `1 - trim` quantiles of the
 * (sorted) send times, so the ramp-up at the start and the tail at the end do not count.
 */
export function steadyRate(
  sortedTimesMs: readonly number[],
  trim = 0.05,
): { rate: number; fromMs: number; toMs: number; count: number } | undefined {
  const n = sortedTimesMs.length;
  if (n < 20) return undefined;
  const first = Math.floor(n * trim);
  const last = Math.max(first + 1, Math.ceil(n * (1 - trim)) - 1);
  const fromMs = sortedTimesMs[first]!;
  const toMs = sortedTimesMs[last]!;
  if (toMs <= fromMs) return undefined;
  const count = last - first;
  return { rate: (count * 1000) / (toMs - fromMs), fromMs, toMs, count };
}

/**
 * The most sends in any window of `windowMs` (half-open [t, t + windowMs)), as the simulator
 * counts its sliding window: compare with the ceiling. Times must be sorted.
 */
export function maxInWindow(sortedTimesMs: readonly number[], windowMs = 1_000): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < sortedTimesMs.length; end++) {
    while (sortedTimesMs[end]! - sortedTimesMs[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/**
 * Sends in each whole second of [fromMs, toMs) (sorted times): the per-second timeline of the
 * steady window, with the part-second at its end left out.
 */
export function perSecondCounts(sortedTimesMs: readonly number[], fromMs: number, toMs: number): number[] {
  const seconds = Math.floor((toMs - fromMs) / 1000);
  const counts = new Array<number>(Math.max(0, seconds)).fill(0);
  for (const at of sortedTimesMs) {
    const second = Math.floor((at - fromMs) / 1000);
    if (second >= 0 && second < seconds) counts[second]! += 1;
  }
  return counts;
}

/** p50, p90, p99 and the maximum of `values`, with how many there were. */
export function spread(values: readonly number[]): { n: number; p50?: number; p90?: number; p99?: number; max?: number } {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: percentile(values, 100),
  };
}

export function round(value: number | undefined, digits = 2): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
