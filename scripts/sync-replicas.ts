// make sync / npm run sync-replicas — runbook step 4 option B, done safely: resynchronise a
// replica from the PRIMARY while it keeps taking writes, then prove equality with checksums
// (scripts/lib/sync/). Also the repair for a replica whose rows conflict with the PRIMARY's.

import { checkTargets } from './lib/config.js'
import { cli, dryRunFlag, jsonFlag, secondsFlag, yesFlag, requireYes } from './lib/flags.js'
import { commandSteps } from './lib/steps.js'
import { main } from './lib/output.js'
import { syncReplicas } from './lib/sync/sync.js'
import { loadClusterConfig } from './lib/replication/roles.js'

const argv = await cli(
  'sync-replicas',
  '$0 --yes [--replica NAME] [--table TABLE] [--copy] [--dry-run] [--json]\n\n' +
    "Bring replicas back to the PRIMARY's rows with no row lost or doubled, even under live writes.\n" +
    'Few differing rows and a streaming subscription: only those rows are repaired (as make repair).\n' +
    "Otherwise, or with --copy: every table is copied again from a new slot's snapshot in ONE replica\n" +
    'transaction with its new subscription; a copy that fails leaves the replica as it was. What it\n' +
    'replaces is saved first. Either way, equality is then proven at an LSN the replica reached.\n' +
    'With --table, that table on that replica only, and only by repairing its rows (a copy of one\n' +
    'table alone could not be undone: it is refused, nothing written).',
)
  .option('replica', {
    requiresArg: true,
    type: 'string',
    describe: 'the replica to resync (default: every replica, one after another)',
  })
  .option('table', {
    requiresArg: true,
    type: 'string',
    describe: "repair only this table's rows (needs --replica; refused when it would need a copy)",
  })
  .option('yes', yesFlag("rewrites the replica's differing rows, or empties its tables before a copy"))
  .option('copy', {
    type: 'boolean',
    default: false,
    describe: 'copy every table again even when repairing the differing rows would do',
  })
  .option('dry-run', dryRunFlag)
  .option('timeout', secondsFlag('seconds to wait for the copy and for the catch-up', 120))
  .option('json', jsonFlag)
  .parse()

main(
  async () => {
    const config = await loadClusterConfig()
    const { table } = checkTargets(config, argv)
    requireYes(
      argv,
      "sync rewrites the replica's differing rows, or empties its tables and copies them again from the PRIMARY",
    )
    const steps = await syncReplicas(
      config,
      {
        replica: argv.replica,
        table,
        dryRun: argv.dryRun,
        timeoutMs: argv.timeout * 1000,
        copy: argv.copy,
      },
      commandSteps(argv.json),
    )
    return steps.finish({ json: argv.json, dryRun: argv.dryRun })
  },
  { deadlineMs: argv.timeout * 4000 + 120_000 },
)
