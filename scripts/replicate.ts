// make replicate — runbook step 3 as PostgreSQL really behaves: preflight, wal_level (restart),
// least-privilege role, pg_hba, TLS, publication, subscriptions, initial copy, catch-up.
// Every step checks before it changes (scripts/lib/replication-setup.ts): a second run changes nothing.
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { loadConfig } from './lib/config.js'
import { connectChecked } from './lib/db.js'
import { ReplkitError } from './lib/errors.js'
import { preflight } from './lib/replication/preflight.js'
import { replicatorPassword } from './lib/replication/replication.js'
import { ReplicationSetup } from './lib/replication/setup.js'
import { main, mark } from './lib/output.js'
import { Steps } from './lib/steps.js'

const argv = await yargs(hideBin(process.argv))
  .scriptName('replicate')
  .usage('$0 [--dry-run] [--timeout SECONDS] [--truncate-replicas --yes]\n\nSet up logical replication from the PRIMARY to every replica; safe to re-run.')
  .option('dry-run', { type: 'boolean', default: false, describe: 'print every statement it would run, per node; change nothing' })
  .option('timeout', { type: 'number', default: 60, describe: 'seconds to wait for the initial copy and for catch-up' })
  .option('truncate-replicas', { type: 'boolean', default: false, describe: 'empty a replica\'s tables before its first subscription (needs --yes)' })
  .option('yes', { type: 'boolean', default: false, describe: 'confirm --truncate-replicas' })
  .strict()
  .help()
  .parse()

main(async () => {
  const config = loadConfig()
  const steps = new Steps()
  const password = await replicatorPassword(config, !argv.dryRun)

  const facts = await preflight(config)
  for (const line of facts.report) mark.ok(line)
  if (facts.problems.length) {
    for (const p of facts.problems) steps.fail(p)
    throw new ReplkitError(`preflight failed: ${steps.failed} problem(s) above; nothing was changed`, 2)
  }

  const setup = new ReplicationSetup({
    config, steps, password, dryRun: argv.dryRun, timeoutMs: argv.timeout * 1000, truncateReplicas: argv.truncateReplicas && argv.yes,
  })
  await setup.schemaOnReplicas(facts)
  await setup.walLevel(facts)
  const primary = await connectChecked(config.primary)
  try {
    await setup.role(primary)
    await setup.hba()
    setup.tls(facts)
    await setup.publication(primary)
    await setup.catchUp(primary, await setup.subscriptions())
  } finally {
    await primary.end()
  }

  const nothing = steps.changed === 0 && steps.failed === 0 && steps.warnings === 0
  console.log(`\n${nothing ? 'nothing to change: replication already in place — ' : ''}${steps.tally(argv.dryRun)}`)
  return steps.exitCode()
})
