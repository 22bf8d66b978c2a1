// Small statistics the benches share.

/** The nearest-rank percentile p (0-100] of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** p50 and p99 of some samples (any order), rounded to 0.1. */
export function latencySummary(samples: readonly number[]): { p50: number; p99: number; samples: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 10) / 10;
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), samples: sorted.length };
}
