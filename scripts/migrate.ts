// make migrate — schema changes while replicating. DDL is not replicated and the replicas apply
// rows by column name: each statement of the file runs on every node, in the order that never
// stops apply (scripts/lib/migrate/plan.ts); a new table PUBLICATION_TABLES names is then published
// and copied once, as make replicate does. Statements it cannot apply safely are refused before
// anything runs, with the manual procedure; a re-run skips what every node already has.
import { resolve } from 'node:path'
import { cli, dryRunFlag, jsonFlag, secondsFlag, yesFlag, requireYes } from './lib/flags.js'
import { migrate } from './lib/migrate/migrate.js'
import { main } from './lib/output.js'
import { loadClusterConfig } from './lib/replication/roles.js'
import { commandSteps } from './lib/steps.js'
import { serverAccess } from './lib/cluster/access.js'

const argv = await cli(
  'migrate',
  '$0 --file change.sql --yes [--dry-run] [--json]\n\nApply a file of DDL to every node while replicating: additive changes on the replicas first, subtractive ones on the PRIMARY first; a new table PUBLICATION_TABLES names is then published and copied once. --dry-run prints the plan.',
)
  .option('file', {
    type: 'string',
    demandOption: true,
    requiresArg: true,
    describe: 'the DDL statements, ;-separated',
  })
  .option('yes', yesFlag('changes the schema on every node'))
  .option('timeout', secondsFlag('seconds to wait for the replicas to apply past a change', 120))
  .option('dry-run', dryRunFlag)
  .option('json', jsonFlag)
  .parse()

main(
  async () => {
    const config = await loadClusterConfig()
    requireYes(argv, 'migrate changes the schema on every node', 'the plan')
    const steps = commandSteps(argv.json)
    // Paths are the user's: relative to where the command was run, not to the package.
    await migrate(
      config,
      resolve(argv.file),
      { dryRun: argv.dryRun, timeoutMs: argv.timeout * 1000, servers: serverAccess(config) },
      steps,
    )
    return steps.finish({ json: argv.json, dryRun: argv.dryRun })
  },
  { deadlineMs: 3_600_000 },
)
