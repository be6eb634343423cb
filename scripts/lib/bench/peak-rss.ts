// The client's memory during a benchmark phase: shows that streamed work stays flat however
// many rows go through it.

/** Peak resident memory of this process while fn runs (sampled every 50 ms). */
export async function peakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 50)
  try {
    return { value: await fn(), peak: Math.max(peak, process.memoryUsage().rss) }
  } finally {
    clearInterval(timer)
  }
}
