// Runbook steps 2 and 5.1: the replication health report, with the runbook's queries corrected
// (see shared/runbook/CORRECTIONS.md). Read-only unless --canary. Exit 0 OK, 1 WARNING, 2 CRITICAL.
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { runCanary } from './lib/checks/canary.js'
import { closeNodes, gatherFacts, openNodes } from './lib/checks/facts.js'
import { buildReport, formatJson, formatReport } from './lib/checks/format.js'
import { type CanaryArrival, subscriptionOf } from './lib/checks/verdicts.js'
import { loadConfig } from './lib/config.js'
import { ReplkitError } from './lib/errors.js'
import { main } from './lib/output.js'
import { diffTable } from './lib/checks/table-diff.js'

const MB = 1024 * 1024
const argv = await yargs(hideBin(process.argv))
  .scriptName('check-replication')
  .usage('$0 [--json] [--canary] [--diff TABLE]\n\nReport every node\'s replication health and data consistency, with a fix for each problem.\nExit codes: 0 OK, 1 WARNING, 2 CRITICAL.')
  .option('json', { type: 'boolean', default: false, describe: 'print the facts and verdicts as JSON' })
  .option('canary', { type: 'boolean', default: false, describe: 'time a heartbeat product from the PRIMARY to every replica (writes, then deletes it)' })
  .option('canary-timeout', { type: 'number', default: 5000, describe: 'ms to wait for the canary on each replica' })
  .option('diff', { type: 'string', describe: 'list the keys of TABLE whose rows differ from the PRIMARY' })
  .option('max-lag', { type: 'number', default: 16, describe: 'WARNING when a replica lags more than this many MB' })
  .option('max-retained', { type: 'number', default: 1024, describe: 'CRITICAL when a slot retains more than this many MB of WAL' })
  .option('connect-timeout', { type: 'number', default: 3, describe: 'seconds to wait for each node to accept a connection' })
  .option('statement-timeout', { type: 'number', default: 15, describe: 'seconds any one query may run' })
  .strict()
  .help()
  .parse()

main(async () => {
  const started = performance.now()
  const config = loadConfig()
  if (argv.diff !== undefined && !config.tables.includes(argv.diff)) {
    throw new ReplkitError(`--diff ${argv.diff}: not a replicated table (${config.tables.join(', ')})`)
  }
  const nodes = await openNodes(config, { connectTimeoutSeconds: argv.connectTimeout, statementTimeoutMs: argv.statementTimeout * 1000 })
  try {
    const facts = await gatherFacts(config, nodes)
    // The diff and the canary come after the checksums, so the canary never shows up as a mismatch.
    const diff = argv.diff !== undefined && nodes[0].sql ? await diffTable(nodes, argv.diff) : null
    let canary = null
    if (argv.canary && nodes[0].sql) {
      const skipped: CanaryArrival[] = []
      const subscribed = nodes.slice(1).filter((node, i) => {
        const reason = !node.sql ? 'node down' : !subscriptionOf(facts.replicas[i]) ? 'no subscription' : null
        if (reason) skipped.push({ replica: node.spec.name, status: 'skipped', ms: null, reason })
        return reason === null
      })
      canary = await runCanary(nodes[0].sql, subscribed, skipped, argv.canaryTimeout)
    }
    const thresholds = { maxLagBytes: argv.maxLag * MB, maxRetainedBytes: argv.maxRetained * MB }
    const report = buildReport(facts, thresholds, canary, diff, performance.now() - started)
    console.log(argv.json ? formatJson(report) : formatReport(report))
    return report.exitCode
  } finally {
    await closeNodes(nodes)
  }
})
