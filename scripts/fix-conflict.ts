// make fix-conflict — a subscription stopped by an apply error (CORRECTIONS.md #4: logical
// replication resolves no conflict by itself). Shows the failing remote transaction's finish LSN
// and the conflicting key from the replica's server log, and the two ways out with their cost
// (scripts/lib/sync/fix-conflict.ts). Nothing changes without --resync or --skip, and --yes.

import { checkTargets } from './lib/config.js'
import { EXIT, ReplkitError } from './lib/errors.js'
import { cli, dryRunFlag, jsonFlag, secondsFlag, yesFlag, requireYes } from './lib/flags.js'
import { commandSteps } from './lib/steps.js'
import { main } from './lib/output.js'
import { fixConflicts } from './lib/sync/fix-conflict.js'
import { loadClusterConfig } from './lib/replication/roles.js'
import { serverAccess } from './lib/cluster/access.js'

const argv = await cli(
  'fix-conflict',
  '$0 [--replica NAME] [--resync | --skip] [--yes] [--lsn LSN] [--dry-run] [--json]\n\n' +
    "Find subscriptions stopped by an apply error, show the failing transaction's finish LSN and the\n" +
    "conflicting key (from the replica's server log), and repair with the chosen path:\n" +
    "  --resync  make sync on that replica: lossless for the PRIMARY's data (its tables are copied again; its own rows are saved first)\n" +
    '  --skip    ALTER SUBSCRIPTION … SKIP (lsn = …): drops the WHOLE failing transaction on that replica (divergence)\n' +
    'Exit codes: 0 no conflict (or repaired), 1 repaired with divergence (--skip), 2 conflict left.',
)
  .option('replica', { requiresArg: true, type: 'string', describe: 'only this replica (default: every replica)' })
  .option('resync', { type: 'boolean', describe: 'repair by resynchronising the replica (lossless)' })
  .option('skip', { type: 'boolean', describe: 'repair by skipping the failing transaction (loses it on the replica)' })
  .option('lsn', {
    requiresArg: true,
    type: 'string',
    describe: 'the finish LSN to skip, when the server log cannot be read from here',
  })
  .option('yes', yesFlag('the chosen repair'))
  .option('dry-run', dryRunFlag)
  .option('timeout', secondsFlag('seconds to wait for the repair to take effect', 60))
  .conflicts('resync', 'skip')
  .option('json', jsonFlag)
  .parse()

main(
  async () => {
    const config = await loadClusterConfig()
    checkTargets(config, argv)
    if (argv.lsn !== undefined && !/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i.test(argv.lsn))
      throw new ReplkitError(`--lsn ${argv.lsn}: not an LSN (like 0/1A2B3C4)`)
    const choice = argv.resync ? 'resync' : argv.skip ? 'skip' : null
    if (choice) requireYes(argv, `--${choice} changes ${argv.replica ?? 'the replica'}`)
    const { steps, left } = await fixConflicts(
      config,
      {
        servers: serverAccess(config),
        replica: argv.replica,
        choice,
        lsn: argv.lsn,
        dryRun: argv.dryRun,
        timeoutMs: argv.timeout * 1000,
      },
      commandSteps(argv.json),
    )
    const code = steps.finish({
      json: argv.json,
      dryRun: argv.dryRun,
      extra: { conflictsLeft: left },
      lead: left
        ? `${left} conflict${left > 1 ? 's' : ''} left: nothing changed without --resync or --skip, and --yes — `
        : '',
    })
    return left ? EXIT.failed : code
  },
  { deadlineMs: argv.timeout * 5000 + 120_000 },
)
