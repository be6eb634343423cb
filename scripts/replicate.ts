// make replicate — runbook step 3 as PostgreSQL really behaves: preflight, wal_level (restart),
// least-privilege role, pg_hba, TLS, publication, subscriptions, initial copy, catch-up.
// Every step checks before it changes (scripts/lib/replication/setup.ts): a second run changes nothing.

import { cli, dryRunFlag, jsonFlag, secondsFlag, whole, yesFlag, requireYes } from './lib/flags.js'
import { commandSteps } from './lib/steps.js'
import { main } from './lib/output.js'
import { replicate } from './lib/replication/replicate.js'
import { copyInOneTransaction } from './lib/sync/replace.js'
import { loadClusterConfig } from './lib/replication/roles.js'
import { serverAccess } from './lib/cluster/access.js'
import { replicateDeadlineMs } from './lib/replication/setup-context.js'

const argv = await cli(
  'replicate',
  '$0 [--dry-run] [--restart-primary] [--timeout SECONDS] [--truncate-replicas --yes] [--copy-method atomic|parallel|subscription] [--copy-jobs N] [--split-tables-larger-than MB] [--json]\n\nSet up logical replication from the PRIMARY to every replica; safe to re-run.',
)
  .option('dry-run', dryRunFlag)
  .option('timeout', secondsFlag('seconds to wait for the initial copy and for catch-up', 60))
  .option('restart-primary', {
    type: 'boolean',
    default: false,
    describe:
      'when wal_level, max_wal_senders or max_replication_slots must change, restart the PRIMARY to apply them (without it: refused, nothing written, the statements printed)',
  })
  .option('truncate-replicas', {
    type: 'boolean',
    default: false,
    describe: "empty a replica's tables before its first subscription (needs --yes)",
  })
  .option('copy-method', {
    choices: ['atomic', 'parallel', 'subscription'] as const,
    default: 'atomic' as const,
    describe:
      "a new replica's first copy. atomic: every table from a new slot's exported snapshot in one replica transaction with its subscription (copy_data = false): all or nothing; parallel: from that snapshot by --copy-jobs pipes, a table or a part of one per transaction (faster; a failed copy empties what it copied; a killed one is resumed by the next run while its snapshot is held); subscription: CREATE SUBSCRIPTION … copy_data = true",
  })
  .option('copy-jobs', {
    requiresArg: true,
    default: 2,
    coerce: whole('copy-jobs'),
    describe: 'COPY pipes per replica (--copy-method parallel)',
  })
  .option('split-tables-larger-than', {
    requiresArg: true,
    default: 128,
    coerce: whole('split-tables-larger-than'),
    describe:
      'MB: a bigger table is copied in parts of this size, side by side, each recorded so a killed run resumes (--copy-method parallel)',
  })
  .option('yes', yesFlag('--truncate-replicas'))
  .option('json', jsonFlag)
  .parse()

main(
  async () => {
    const config = await loadClusterConfig()
    if (argv.truncateReplicas) requireYes(argv, '--truncate-replicas replaces the rows a replica holds')
    const { steps } = await replicate(
      config,
      {
        servers: serverAccess(config),
        dryRun: argv.dryRun,
        timeoutMs: argv.timeout * 1000,
        truncateReplicas: argv.truncateReplicas && argv.yes,
        copyMethod: argv.copyMethod,
        copyJobs: argv.copyJobs,
        copyPartMb: argv.splitTablesLargerThan,
        restartPrimary: argv.restartPrimary,
        copyInOneTransaction,
      },
      commandSteps(argv.json),
    )
    const nothing = steps.changed === 0 && steps.failed === 0 && steps.warnings === 0
    return steps.finish({
      json: argv.json,
      dryRun: argv.dryRun,
      lead: nothing ? 'nothing to change: replication already in place — ' : '',
    })
  },
  { deadlineMs: replicateDeadlineMs(argv.timeout * 1000) },
)
