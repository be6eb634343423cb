// make rollback — undo replication in the runbook's safe order (scripts/lib/replication/teardown.ts):
// subscriptions and their slots, orphaned slots, the publication; wal_level and the role on request.

import { cli, dryRunFlag, jsonFlag, yesFlag, requireYes } from './lib/flags.js'
import { commandSteps } from './lib/steps.js'
import { main } from './lib/output.js'
import { teardown } from './lib/replication/teardown.js'
import { loadClusterConfig } from './lib/replication/roles.js'
import { serverAccess } from './lib/cluster/access.js'

const argv = await cli(
  'rollback',
  "$0 --yes [--revert-wal-level] [--drop-role] [--dry-run] [--json]\n\nRemove replkit's logical replication: subscriptions, slots, publication. Re-running is harmless.",
)
  .option('yes', yesFlag('drops subscriptions, slots and the publication'))
  .option('revert-wal-level', {
    type: 'boolean',
    default: false,
    describe: 'also reset wal_level (after checking no logical slot remains) and restart',
  })
  .option('drop-role', {
    type: 'boolean',
    default: false,
    describe: 'also drop the replication role and its pg_hba lines',
  })
  .option('dry-run', dryRunFlag)
  .option('json', jsonFlag)
  .parse()

main(
  async () => {
    const config = await loadClusterConfig()
    requireYes(argv, 'rollback drops the subscriptions, their slots and the publication')
    const steps = await teardown(
      config,
      {
        servers: serverAccess(config),
        dryRun: argv.dryRun,
        revertWalLevel: argv.revertWalLevel,
        dropRole: argv.dropRole,
      },
      commandSteps(argv.json),
    )
    return steps.finish({ json: argv.json, dryRun: argv.dryRun })
  },
  { deadlineMs: 300_000 },
)
