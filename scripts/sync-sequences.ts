// make sequences / make sync-sequences — sequence values are not replicated (CORRECTIONS.md #10):
// report each node's, and raise every replica's to at least the PRIMARY's before a switchover.
// Never moves a sequence backwards; re-running changes nothing.

import { connectChecked } from './lib/db.js'
import { formatTable, main } from './lib/output.js'
import { behindBy, ownedSequences, raiseSequences } from './lib/replication/sequences.js'
import { Steps } from './lib/steps.js'
import { cli } from './lib/flags.js'
import { loadClusterConfig } from './lib/replication/roles.js'

const argv = await cli(
  'sync-sequences',
  '$0 [--report] [--dry-run]\n\n' +
    'Logical replication copies rows, not sequence values: report the sequences of the replicated\n' +
    "tables on every node, and set each replica's to at least the PRIMARY's (never backwards).\n" +
    'Exit codes: 0 every replica level with the PRIMARY (or synced), 1 --report found one behind.',
)
  .option('report', { type: 'boolean', default: false, describe: 'only report the values per node; change nothing' })
  .option('dry-run', {
    type: 'boolean',
    default: false,
    describe: 'print the setval each replica would run; change nothing',
  })
  .parse()

const steps = new Steps()

main(
  async () => {
    const config = await loadClusterConfig()
    const nodes = [config.primary, ...config.replicas]
    const conns = await Promise.all(nodes.map(n => connectChecked(n)))
    try {
      const values = await Promise.all(conns.map(sql => ownedSequences(sql, config.tables)))
      const [primary, ...replicas] = values
      const value = (list: typeof primary, seq: string) => list.find(v => v.sequence === seq)?.lastValue ?? null
      console.log(
        formatTable(
          ['sequence', 'column', ...nodes.map(n => n.name)],
          primary.map(p => [
            p.sequence,
            p.column,
            ...values.map(list => value(list, p.sequence)?.toString() ?? 'never used'),
          ]),
        ),
      )
      console.log('')
      let behind = 0
      for (const [i, replica] of config.replicas.entries()) {
        const raised = argv.report
          ? []
          : await raiseSequences(replica, conns[0], conns[i + 1], config.tables, argv.dryRun)
        for (const p of primary) {
          const lag = behindBy(p.lastValue, value(replicas[i], p.sequence))
          if (lag === 0n) {
            steps.ok(`${replica.name}: ${p.sequence} at or past the PRIMARY's ${p.lastValue ?? '(never used)'}`, false)
            continue
          }
          behind++
          if (argv.report) {
            steps.warn(`${replica.name}: ${p.sequence} is ${lag} behind the PRIMARY (make sync-sequences)`)
            continue
          }
          if (raised.some(r => r.sequence === p.sequence))
            steps.ok(
              `${replica.name}: ${p.sequence} ${argv.dryRun ? 'would be' : ''} raised to ${p.lastValue} (was ${lag} behind)`.replace(
                '  ',
                ' ',
              ),
              true,
            )
        }
      }
      if (primary.length === 0) steps.ok('no sequences owned by the replicated tables', false)
      console.log(`\n${steps.tally(argv.dryRun || argv.report)}`)
      return argv.report && behind ? 1 : steps.exitCode()
    } finally {
      await Promise.all(conns.map(c => c.end()))
    }
  },
  { deadlineMs: 120_000 },
)
