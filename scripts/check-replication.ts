// Runbook steps 2 and 5.1: the replication health report, with the runbook's queries corrected
// (docs/runbook.md: What the runbook got wrong). Read-only unless --canary. Monitoring exit codes:
// 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a usage or configuration error, or the deadline).
import { formatJson, formatReport } from './lib/checks/format.js'
import { formatNagios, nagiosUnknown } from './lib/checks/nagios.js'
import { runCheck } from './lib/checks/run.js'
import { loadConfig } from './lib/config.js'
import { EXIT } from './lib/errors.js'
import { cli, positive } from './lib/flags.js'
import { main } from './lib/output.js'
import { serverAccess } from './lib/cluster/access.js'

const MB = 1024 * 1024
const argv = await cli(
  'check-replication',
  '$0 [--json | --nagios [-w MB] [-c MB] [-t S]] [--canary] [--diff TABLE]\n\n' +
    "Report every node's replication health and data consistency, with a fix for each problem.\n" +
    'Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad flag or configuration).',
  { usageExitCode: EXIT.unknown },
)
  .option('json', { type: 'boolean', default: false, describe: 'print only the facts and verdicts as JSON on stdout' })
  .option('nagios', {
    type: 'boolean',
    default: false,
    describe: 'print one Nagios/Icinga plugin line with perfdata (thresholds: --max-lag, --max-retained)',
  })
  .option('canary', {
    type: 'boolean',
    default: false,
    describe: 'time a heartbeat product from the PRIMARY to every replica (writes, then deletes it)',
  })
  .option('canary-timeout', {
    requiresArg: true,
    default: 5000,
    coerce: positive('canary-timeout'),
    describe: 'ms to wait for the canary on each replica',
  })
  .option('diff', {
    requiresArg: true,
    type: 'string',
    describe: 'list the keys of TABLE whose rows differ from the PRIMARY',
  })
  .option('max-lag', {
    alias: ['w', 'warning'],
    requiresArg: true,
    default: 16,
    coerce: positive('max-lag', { allowZero: true }),
    describe:
      'WARNING when a replica lags more than this many MB (CRITICAL when a committed transaction is not applied past it)',
  })
  .option('critical-lag', {
    alias: ['c', 'critical'],
    requiresArg: true,
    default: 1024,
    coerce: positive('critical-lag', { allowZero: true }),
    describe: 'CRITICAL when a replica lags more than this many MB',
  })
  .option('max-retained', {
    requiresArg: true,
    default: 1024,
    coerce: positive('max-retained'),
    describe: 'CRITICAL when a slot retains more than this many MB of WAL',
  })
  .option('connect-timeout', {
    requiresArg: true,
    default: 3,
    coerce: positive('connect-timeout'),
    describe: 'seconds to wait for each node to accept a connection',
  })
  .option('statement-timeout', {
    requiresArg: true,
    default: 15,
    coerce: positive('statement-timeout'),
    describe: 'seconds any one query may run',
  })
  .option('deadline', {
    alias: ['t', 'timeout'],
    requiresArg: true,
    coerce: positive('deadline'),
    describe:
      'seconds the whole check may take; past it, exit 3 (UNKNOWN). Default 60, with --diff 600 (a big table is read more than once)',
  })
  .check(a => !(a.json && a.nagios) || 'choose one of --json and --nagios')
  .parse()

const deadlineMs = (argv.deadline ?? (argv.diff !== undefined ? 600 : 60)) * 1000

main(
  async () => {
    const config = loadConfig()
    const report = await runCheck(config, {
      servers: serverAccess(config),
      thresholds: {
        maxLagBytes: argv.maxLag * MB,
        criticalLagBytes: argv.criticalLag * MB,
        maxRetainedBytes: argv.maxRetained * MB,
      },
      connectTimeoutSeconds: argv.connectTimeout,
      statementTimeoutMs: argv.statementTimeout * 1000,
      compareTimeoutMs: deadlineMs,
      canary: argv.canary ? { timeoutMs: argv.canaryTimeout } : undefined,
      diff: argv.diff,
    })
    console.log(argv.json ? formatJson(report) : argv.nagios ? formatNagios(report) : formatReport(report))
    return report.exitCode
  },
  {
    errorExitCode: EXIT.unknown,
    deadlineMs,
    deadlineExitCode: EXIT.unknown,
    failureLine: argv.nagios ? nagiosUnknown : undefined,
  },
)
