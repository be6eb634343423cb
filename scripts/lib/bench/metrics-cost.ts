// What watching costs: the exporter (make metrics, a process of its own as an operator runs it)
// scraped over HTTP on the healthy cluster. Per scrape: the time it spends reading the nodes
// (replkit_scrape_duration_seconds) and the whole HTTP round trip; then the exporter's resident
// memory, its high-water mark as the kernel keeps it (VmHWM).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from '../config.js'
import { ReplkitError } from '../errors.js'
import { waitFor } from '../wait.js'
import { highWaterMark } from './peak-rss.js'
import { median, percentile } from './stats.js'

export interface MetricsCost {
  scrapes: number
  /** The exporter's own time reading the nodes per scrape, median and p95. */
  scrapeMedianMs: number
  scrapeP95Ms: number
  /** GET /metrics as Prometheus sees it, median. */
  httpMedianMs: number
  /** The exporter process's peak resident memory over the run. */
  peakRssBytes: number
}

const PORT = 55471

/** `cluster`: another cluster's environment (make bench's replicas section) and a port of its own. */
export async function metricsCost(
  scrapes: number,
  cluster: { env: NodeJS.ProcessEnv; port: number } = { env: process.env, port: PORT },
): Promise<MetricsCost> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/replkit.js'), 'metrics', '--port', String(cluster.port)], {
    cwd: repoRoot,
    stdio: 'ignore',
    env: cluster.env,
  })
  try {
    const url = `http://127.0.0.1:${cluster.port}`
    await waitFor({
      what: 'the exporter to answer /healthz',
      timeoutMs: 20_000,
      until: () =>
        fetch(`${url}/healthz`).then(
          r => r.ok || undefined,
          () => undefined,
        ),
    })
    const serverMs: number[] = []
    const httpMs: number[] = []
    let peak = 0
    for (let i = 0; i < scrapes; i++) {
      const started = performance.now()
      const text = await (await fetch(`${url}/metrics`)).text()
      httpMs.push(performance.now() - started)
      const seconds = /^replkit_scrape_duration_seconds (\S+)$/m.exec(text)
      if (!seconds || !/^replkit_scrape_success 1$/m.test(text))
        throw new ReplkitError(`bench: a scrape of the healthy cluster failed:\n${text.slice(0, 500)}`)
      serverMs.push(Number(seconds[1]) * 1000)
      peak = Math.max(peak, await highWaterMark(child.pid!))
    }
    return {
      scrapes,
      scrapeMedianMs: median(serverMs),
      scrapeP95Ms: percentile(serverMs, 95),
      httpMedianMs: median(httpMs),
      peakRssBytes: peak,
    }
  } finally {
    child.kill('SIGTERM')
  }
}
