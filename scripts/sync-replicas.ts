// make sync / npm run sync-replicas — runbook step 4 option B, done safely: resynchronise a
// replica from the PRIMARY while it keeps taking writes, then prove equality with checksums.
// Also the repair for a replica whose rows conflict with the PRIMARY's (they are truncated away).
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { type NodeSpec, findNode, loadConfig } from './lib/config.js'
import { connectChecked } from './lib/db.js'
import { ReplkitError } from './lib/errors.js'
import { subscriptionName } from './lib/replication/names.js'
import { main } from './lib/output.js'
import { compareWithPrimary, requirePublication, resyncReplica } from './lib/sync/resync.js'
import { resyncTable } from './lib/sync/resync-table.js'
import { Steps } from './lib/steps.js'

const argv = await yargs(hideBin(process.argv))
  .scriptName('sync-replicas')
  .usage('$0 --yes [--replica NAME] [--table TABLE] [--dry-run]\n\n' +
    'Resynchronise replicas from the PRIMARY with no row lost or doubled, even under live writes:\n' +
    'drop the subscription and its slot, TRUNCATE the subscribed tables in one statement, subscribe\n' +
    'again with copy_data = true, wait for the copy and the catch-up, compare checksums.\n' +
    'With --table, only that table on that replica (when no other table references it by foreign key).')
  .option('replica', { type: 'string', describe: 'the replica to resync (default: every replica, one after another)' })
  .option('table', { type: 'string', describe: 'resync only this table (needs --replica; refused when foreign keys forbid it)' })
  .option('yes', { type: 'boolean', default: false, describe: 'confirm: empties the replica\'s tables before the copy' })
  .option('dry-run', { type: 'boolean', default: false, describe: 'print the SQL each node would run; change nothing' })
  .option('timeout', { type: 'number', default: 120, describe: 'seconds to wait for the copy and for the catch-up' })
  .wrap(110)
  .strict()
  .help()
  .parse()

const config = loadConfig()
const steps = new Steps()
const dryRun = argv.dryRun
const timeoutMs = argv.timeout * 1000

main(async () => {
  if (!argv.yes && !dryRun) {
    throw new ReplkitError('sync empties the replica\'s tables and copies them again from the PRIMARY: re-run with --yes (or --dry-run to see the SQL)')
  }
  if (argv.table !== undefined && !argv.replica) throw new ReplkitError('--table needs --replica NAME: a table is resynced on one replica at a time')
  if (argv.table !== undefined && !config.tables.includes(argv.table)) {
    throw new ReplkitError(`--table ${argv.table}: not a replicated table (${config.tables.join(', ')})`)
  }
  const targets: NodeSpec[] = argv.replica ? [findNode(config, argv.replica)] : config.replicas
  if (targets.some(t => t.role !== 'replica')) throw new ReplkitError('--replica must name a replica, not the PRIMARY')

  const primary = await connectChecked(config.primary)
  try {
    await requirePublication(config, primary)
    for (const replica of targets) {
      const sql = await connectChecked(replica)
      try {
        const say = (text: string) => steps.ok(dryRun ? `would: ${text}` : text, true)
        const run = { dryRun, timeoutMs, say }
        const times = argv.table !== undefined
          ? await resyncTable(config, replica, argv.table, primary, sql, run)
          : await resyncReplica(config, replica, primary, sql, run)
        if (!times) continue
        steps.verify(`${replica.name}: every table ready after ${times.copyMs} ms, caught up with the PRIMARY ${times.catchupMs} ms later`)
        const tables = argv.table !== undefined ? [argv.table] : config.tables
        const equality = await compareWithPrimary(primary, [{ name: replica.name, sql }], [subscriptionName(replica)], tables, timeoutMs)
        const equal = Object.keys(equality.equal).filter(t => equality.equal[t].includes(replica.name))
        if (equal.length) steps.verify(`${replica.name}: checksums equal the PRIMARY's for ${equal.join(', ')}`)
        for (const d of equality.differ) steps.fail(`${replica.name}: ${d.table} differs from the PRIMARY (${d.replica} vs ${d.primary}); see make check ARGS="--diff ${d.table}"`)
        if (equality.unsettled.length) {
          steps.warn(`${replica.name}: ${equality.unsettled.join(', ')} not compared — the PRIMARY kept changing them; run make check at a quiet moment`)
        }
      } finally {
        await sql.end()
      }
    }
  } finally {
    await primary.end()
  }
  console.log(`\n${steps.tally(dryRun)}`)
  return steps.exitCode()
})
