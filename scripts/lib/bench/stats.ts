// Order statistics for the bench: nearest-rank percentiles (no interpolation, so every figure
// reported is a latency that was actually measured).

export interface Distribution {
  n: number
  p50: number
  p95: number
  p99: number
  max: number
}

/** The nearest-rank p-th percentile (0 < p ≤ 100) of values. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

export const median = (values: readonly number[]) => percentile(values, 50)

export function distribution(values: readonly number[]): Distribution {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: percentile(values, 100),
  }
}
