// make metrics — watch replication from Prometheus: serve what make check knows on /metrics
// (Prometheus text format), with checksum compares on their own interval. Runs until stopped
// (Ctrl-C, SIGTERM); every scrape has its own deadline. --once prints one scrape and exits.
import { loadConfig } from './lib/config.js'
import { DEFAULT_CHECK } from './lib/checks/run.js'
import { cli, positive, whole } from './lib/flags.js'
import { main } from './lib/output.js'
import { startExporter } from './lib/metrics/exporter.js'
import { serverAccess } from './lib/cluster/access.js'

const argv = await cli(
  'metrics',
  '$0 [--port N] [--listen ADDRESS] [--canary] [--compare-interval S] [--once]\n\n' +
    'A Prometheus exporter for the cluster: GET /metrics, GET /healthz. Port from METRICS_PORT (default 9720);\n' +
    'it listens on loopback unless --listen says otherwise.',
)
  .option('port', {
    requiresArg: true,
    default: Number(process.env.METRICS_PORT ?? 9720),
    coerce: whole('port', 0),
    describe: 'TCP port (METRICS_PORT; 0 picks a free one)',
  })
  .option('listen', {
    requiresArg: true,
    type: 'string',
    default: '127.0.0.1',
    describe: 'address to listen on (0.0.0.0 for every interface)',
  })
  .option('canary', {
    type: 'boolean',
    default: false,
    describe: 'time a canary row to every replica on each scrape (writes, then deletes, one product)',
  })
  .option('compare-interval', {
    requiresArg: true,
    default: 300,
    coerce: positive('compare-interval'),
    describe: 'seconds between checksum compares of every table',
  })
  .option('scrape-deadline', {
    requiresArg: true,
    default: 8,
    coerce: positive('scrape-deadline'),
    describe: 'seconds a scrape may take; past it every node reads as not up',
  })
  .option('once', {
    type: 'boolean',
    default: false,
    describe: 'print one scrape (after one checksum compare) on stdout and exit',
  })
  .parse()

main(
  async () => {
    const config = loadConfig()
    const exporter = await startExporter(config, {
      host: argv.listen,
      port: argv.once ? 0 : argv.port,
      canary: argv.canary,
      check: {
        ...DEFAULT_CHECK,
        servers: serverAccess(config),
        connectTimeoutSeconds: 2,
        statementTimeoutMs: Math.min(argv.scrapeDeadline * 1000, DEFAULT_CHECK.statementTimeoutMs),
      },
      compareIntervalMs: argv.compareInterval * 1000,
      scrapeDeadlineMs: argv.scrapeDeadline * 1000,
      log: line => console.error(`replkit metrics: ${line}`),
    })
    if (argv.once) {
      await exporter.compare()
      process.stdout.write(await exporter.scrape())
      await exporter.close()
      return 0
    }
    console.error(`replkit metrics: serving ${exporter.url}/metrics and ${exporter.url}/healthz (Ctrl-C stops)`)
    await new Promise<void>(resolve => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve())
    })
    await exporter.close()
    return 0
  },
  { deadlineMs: argv.once ? 60_000 : undefined },
)
