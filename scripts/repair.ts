// make repair / replkit repair — fixes only the rows of a replica that differ from the PRIMARY,
// under live writes, without racing the apply worker (scripts/lib/repair/); what it deletes or
// overwrites is saved first. make sync copies a whole replica; this writes three rows for three.

import { checkTargets } from './lib/config.js'
import { cli, dryRunFlag, jsonFlag, secondsFlag, whole, yesFlag, requireYes } from './lib/flags.js'
import { commandSteps } from './lib/steps.js'
import { main } from './lib/output.js'
import { repairReplica } from './lib/repair/replica.js'
import { loadClusterConfig } from './lib/replication/roles.js'

const argv = await cli(
  'repair',
  '$0 --replica NAME [--table TABLE] --yes [--dry-run] [--json]\n\n' +
    'Find the rows of the replica that differ from the PRIMARY (compared at an LSN the replica reached)\n' +
    'and make exactly those equal: insert missing, update different, delete extra, in batches, each\n' +
    'checked against the PRIMARY again before it commits. Rows deleted or overwritten are saved first.',
)
  .option('replica', { requiresArg: true, type: 'string', demandOption: true, describe: 'the replica to repair' })
  .option('table', {
    requiresArg: true,
    type: 'string',
    describe: 'repair only this table (default: every replicated table)',
  })
  .option('yes', yesFlag('writes rows on the replica'))
  .option('dry-run', dryRunFlag)
  .option('batch', {
    requiresArg: true,
    default: 500,
    coerce: whole('batch'),
    describe: 'rows per transaction on the replica',
  })
  .option('max-rows', {
    requiresArg: true,
    default: 100_000,
    coerce: whole('max-rows'),
    describe: 'refuse when more rows differ (make sync copies the table instead)',
  })
  .option('timeout', secondsFlag('seconds any one wait or statement may take', 120))
  .option('json', jsonFlag)
  .parse()

main(
  async () => {
    const config = await loadClusterConfig()
    const { table } = checkTargets(config, argv)
    requireYes(argv, 'repair writes rows on the replica')
    const { steps } = await repairReplica(
      config,
      {
        replica: argv.replica,
        table,
        dryRun: argv.dryRun,
        batchSize: argv.batch,
        maxRows: argv.maxRows,
        timeoutMs: argv.timeout * 1000,
      },
      commandSteps(argv.json),
    )
    return steps.finish({ json: argv.json, dryRun: argv.dryRun })
  },
  { deadlineMs: argv.timeout * 4000 + 60_000 },
)
