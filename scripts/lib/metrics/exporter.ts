// The Prometheus exporter: GET /metrics reads the same facts as make check in one bounded round
// (no checksums: those run on their own interval), GET /healthz says the exporter itself is alive.
// A node that is down or silent costs at most its connect or statement timeout; the scrape as a
// whole has a deadline, past which every node reads as not up rather than the scrape hanging.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Config, allNodes } from '../config.js'
import { ReplkitError } from '../errors.js'
import { type CheckOptions, runCheck } from '../checks/run.js'
import type { CheckReport } from '../checks/report.js'
import { type TriedNode, closeAll, tryOpen } from '../node.js'
import { type CompareResult, compareResult } from './compare-result.js'
import { type Metrics, createMetrics } from './registry.js'

export interface ExporterOptions {
  host: string
  port: number
  check: CheckOptions
  /** Time a canary on every scrape (it writes, then deletes, one product on the PRIMARY). */
  canary: boolean
  compareIntervalMs: number
  scrapeDeadlineMs: number
  log: (line: string) => void
}

export interface Exporter {
  url: string
  /** One scrape's text, as GET /metrics serves it. */
  scrape(): Promise<string>
  /** The checksum compare, run now (it also runs every compareIntervalMs). */
  compare(): Promise<void>
  close(): Promise<void>
}

const deadline = <T>(work: Promise<T>, ms: number) => {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    work,
    new Promise<null>(resolve => {
      timer = setTimeout(() => resolve(null), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

export async function startExporter(config: Config, opts: ExporterOptions): Promise<Exporter> {
  const metrics = createMetrics()
  const pool = nodePool(config, opts)
  const rounds = checkRounds(config, opts, metrics, pool)
  const server = createServer(routes(metrics, rounds.scrape))
  await listen(server, opts)
  const timer = setInterval(() => void rounds.compare(), opts.compareIntervalMs)
  void rounds.compare()
  const { port } = server.address() as AddressInfo
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host
  return {
    url: `http://${host}:${port}`,
    scrape: rounds.scrape,
    compare: rounds.compare,
    async close() {
      clearInterval(timer)
      await new Promise<void>(resolve => server.close(() => resolve()))
      await rounds.settled()
      await pool.close()
    },
  }
}

/**
 * The nodes' connections, kept between scrapes: a TLS handshake and a SCRAM exchange per node
 * would be most of a scrape. A node that could not be opened is tried again on the next scrape;
 * one that dies meanwhile fails its queries fast and the driver reconnects when it is back.
 */
function nodePool(config: Config, opts: ExporterOptions) {
  const timeouts = {
    connectTimeoutSeconds: opts.check.connectTimeoutSeconds,
    statementTimeoutMs: opts.check.statementTimeoutMs,
    idleTimeoutSeconds: 0,
  }
  let pool: TriedNode[] = []
  return {
    open: async () =>
      (pool = await Promise.all(
        (pool.length ? pool : allNodes(config).map(spec => ({ spec, sql: null }))).map(n =>
          n.sql ? (n as TriedNode) : tryOpen(n.spec, timeouts),
        ),
      )),
    close: () => closeAll(pool),
  }
}

/** The scrape (make check's facts, bounded by the scrape deadline) and the checksum compare on its own interval. */
function checkRounds(config: Config, opts: ExporterOptions, metrics: Metrics, pool: ReturnType<typeof nodePool>) {
  const nodes = allNodes(config).map(n => ({ name: n.name, role: n.role }))
  let lastCompare: CompareResult | null = null
  let scraping: Promise<string> | null = null
  let comparing: Promise<void> | null = null

  async function scrapeOnce(): Promise<string> {
    const started = performance.now()
    const canary = opts.canary ? { timeoutMs: Math.min(2000, opts.scrapeDeadlineMs / 2) } : undefined
    const report: CheckReport | null = await deadline(
      pool.open().then(nodes => runCheck(config, { ...opts.check, nodes, checksums: false, canary })),
      opts.scrapeDeadlineMs,
    ).catch(error => {
      opts.log(`scrape failed: ${(error as Error).message}`)
      return null
    })
    const ms = performance.now() - started
    if (report) metrics.update(report, lastCompare, ms)
    else metrics.failed(nodes, ms)
    return metrics.registry.metrics()
  }

  return {
    /** Concurrent scrapes (two Prometheus servers) share one round of queries. */
    scrape: () =>
      (scraping ??= scrapeOnce().finally(() => {
        scraping = null
      })),
    compare: () =>
      (comparing ??= runCheck(config, { ...opts.check, checksums: true })
        .then(report => {
          lastCompare = compareResult(report)
        })
        .catch(error => opts.log(`checksum compare failed: ${(error as Error).message}`))
        .finally(() => {
          comparing = null
        })),
    settled: () => Promise.allSettled([scraping, comparing]),
  }
}

/** GET /metrics and /healthz; anything else a 404 or 405. */
function routes(metrics: Metrics, scrape: () => Promise<string>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET') {
      res.writeHead(405, { Allow: 'GET' }).end()
    } else if (path === '/metrics') {
      scrape().then(
        text => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
        error =>
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`replkit exporter: ${(error as Error).message}\n`),
      )
    } else if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n')
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('replkit exporter: see /metrics and /healthz\n')
    }
  }
}

/** Listens, or one line saying why not (a port in use names the fix). */
function listen(server: Server, opts: ExporterOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const refused = (error: NodeJS.ErrnoException) =>
      reject(
        new ReplkitError(
          `metrics: cannot listen on ${opts.host}:${opts.port}: ${
            error.code === 'EADDRINUSE'
              ? 'the port is in use (another exporter? set METRICS_PORT or --port)'
              : error.message
          }`,
        ),
      )
    server.once('error', refused)
    server.listen(opts.port, opts.host, () => {
      server.off('error', refused)
      resolve()
    })
  })
}
