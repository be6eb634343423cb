// make fix-conflict — a subscription stopped by an apply error (CORRECTIONS.md #4: logical
// replication resolves no conflict by itself). Shows the failing remote transaction's finish LSN
// and the conflicting key from the replica's server log, and the two ways out with their cost.
// Nothing changes without an explicit choice (--resync or --skip) and --yes.
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { type NodeSpec, findNode, loadConfig } from './lib/config.js'
import { type Sql, connectChecked } from './lib/db.js'
import { ReplkitError } from './lib/errors.js'
import { type ApplyFailure, lastApplyFailure, readServerLog } from './lib/sync/conflict.js'
import { poll } from './lib/wait.js'
import { subscriptionName } from './lib/replication/names.js'
import { waitForCatchup } from './lib/replication/waits.js'
import { main, mark } from './lib/output.js'
import { compareWithPrimary, resyncReplica } from './lib/sync/resync.js'
import { runSqlFile } from './lib/sql-files.js'
import { Steps } from './lib/steps.js'

const argv = await yargs(hideBin(process.argv))
  .scriptName('fix-conflict')
  .usage('$0 [--replica NAME] [--resync | --skip] [--yes] [--lsn LSN] [--dry-run]\n\n' +
    'Find subscriptions stopped by an apply error, show the failing transaction\'s finish LSN and the\n' +
    'conflicting key (from the replica\'s server log), and repair with the chosen path:\n' +
    '  --resync  make sync on that replica: lossless (its tables are copied again from the PRIMARY)\n' +
    '  --skip    ALTER SUBSCRIPTION … SKIP (lsn = …): drops the WHOLE failing transaction on that replica (divergence)\n' +
    'Exit codes: 0 no conflict (or repaired), 1 repaired with divergence (--skip), 2 conflict left.')
  .option('replica', { type: 'string', describe: 'only this replica (default: every replica)' })
  .option('resync', { type: 'boolean', describe: 'repair by resynchronising the replica (lossless)' })
  .option('skip', { type: 'boolean', describe: 'repair by skipping the failing transaction (loses it on the replica)' })
  .option('lsn', { type: 'string', describe: 'the finish LSN to skip, when the server log cannot be read from here' })
  .option('yes', { type: 'boolean', default: false, describe: 'confirm the chosen repair' })
  .option('dry-run', { type: 'boolean', default: false, describe: 'print the SQL the repair would run; change nothing' })
  .option('timeout', { type: 'number', default: 60, describe: 'seconds to wait for the repair to take effect' })
  .conflicts('resync', 'skip')
  .wrap(110)
  .strict()
  .help()
  .parse()

const config = loadConfig()
const steps = new Steps()
const dryRun = argv.dryRun
const timeoutMs = argv.timeout * 1000

interface Stopped { replica: NodeSpec; sql: Sql; subscription: string; oid: number; enabled: boolean; failure: ApplyFailure | null; source: string }

async function inspect(replica: NodeSpec, sql: Sql): Promise<Stopped | null> {
  const subscription = subscriptionName(replica)
  const [sub] = await sql`
    select s.oid::int8 as oid, s.subenabled as enabled, coalesce(st.apply_error_count, 0)::int8 as errors,
           (select remote_lsn::text from pg_replication_origin_status where external_id = 'pg_' || s.oid) as applied
    from pg_subscription s left join pg_stat_subscription_stats st on st.subid = s.oid where s.subname = ${subscription}`
  if (!sub) { mark.info(`${replica.name}: no subscription ${subscription}`); return null }
  if (Number(sub.errors) === 0) { steps.ok(`${replica.name}: ${subscription} has no apply errors`, false); return null }
  const log = await readServerLog(config, replica, sql)
  let failure = log.text ? lastApplyFailure(log.text, Number(sub.oid)) : null
  if (failure && sub.applied) {
    // A failure the worker has since got past (applied or skipped) is history, not the conflict.
    const [{ past }] = await sql`select ${sub.applied}::pg_lsn >= ${failure.finishLsn}::pg_lsn as past`
    if (past) failure = null
  }
  return { replica, sql, subscription, oid: Number(sub.oid), enabled: sub.enabled, failure, source: log.source }
}

function describe(s: Stopped): string {
  const f = s.failure!
  return `${s.replica.name}: ${s.subscription} is stopped by an apply error${s.enabled ? ' (the worker retries and fails again)' : ' (disabled)'}\n` +
    `    error:        ${f.error}\n` +
    `    conflicting:  ${f.detail ?? '(no DETAIL line)'}\n` +
    `    change:       ${f.messageType ?? '?'} on ${f.relation ?? '?'} in remote transaction ${f.remoteXid ?? '?'}\n` +
    `    finish LSN:   ${f.finishLsn}   (from ${s.source}, logged ${f.loggedAt})`
}

function choices(s: Stopped, lsn: string): string {
  const r = s.replica.name
  return `    choose one:\n` +
    `      --resync --yes  resynchronise ${r} (make sync): lossless — its rows that conflict are removed and every table is copied again\n` +
    `      --skip --yes    ALTER SUBSCRIPTION ${s.subscription} SKIP (lsn = '${lsn}'): the WHOLE transaction ${s.failure?.remoteXid ?? ''} is dropped on ${r},\n` +
    `                      every row it wrote, not only the conflicting one: ${r} diverges from the PRIMARY (make sync repairs it later)`
}

async function skip(s: Stopped, lsn: string): Promise<void> {
  const vars = { subscription: s.subscription }
  await runSqlFile(s.replica, 'sql/conflict/010_skip_transaction.sql', { vars: { ...vars, lsn }, dryRun })
  if (!s.enabled) await runSqlFile(s.replica, 'sql/sync/030_enable_subscription.sql', { vars, dryRun })
  if (!dryRun) {
    // subskiplsn returns to 0/0 once the worker has skipped the transaction.
    const done = await poll(async () => (await s.sql`select subskiplsn = '0/0' as done from pg_subscription where oid = ${s.oid}`)[0].done ? true : undefined, timeoutMs)
    if (!done) throw new ReplkitError(`${s.replica.name}: the worker has not reached LSN ${lsn} after ${argv.timeout} s; the skip stays armed (see make check)`, 2)
  }
  await runSqlFile(s.replica, 'sql/conflict/020_reset_error_count.sql', { vars, dryRun })
  if (dryRun) return steps.ok(`would: skip transaction at ${lsn} on ${s.replica.name}`, true)
  const primary = await connectChecked(config.primary)
  await waitForCatchup(primary, [s.subscription], timeoutMs).finally(() => primary.end())
  steps.ok(`${s.replica.name}: skipped the transaction finished at ${lsn}; apply resumed and caught up`, true)
  steps.warn(`${s.replica.name}: that transaction's changes are missing there — it diverges from the PRIMARY; make sync ARGS="--replica ${s.replica.name} --yes" repairs it`)
}

async function resync(s: Stopped): Promise<void> {
  const primary = await connectChecked(config.primary)
  try {
    const say = (text: string) => steps.ok(dryRun ? `would: ${text}` : text, true)
    const times = await resyncReplica(config, s.replica, primary, s.sql, { dryRun, timeoutMs, say })
    if (!times) return
    steps.verify(`${s.replica.name}: every table ready after ${times.copyMs} ms, caught up ${times.catchupMs} ms later`)
    const eq = await compareWithPrimary(primary, [{ name: s.replica.name, sql: s.sql }], [s.subscription], config.tables, timeoutMs)
    for (const d of eq.differ) steps.fail(`${s.replica.name}: ${d.table} still differs from the PRIMARY`)
    if (eq.unsettled.length) steps.warn(`${s.replica.name}: ${eq.unsettled.join(', ')} not compared — the PRIMARY kept changing them; run make check at a quiet moment`)
    else if (!eq.differ.length) steps.verify(`${s.replica.name}: checksums equal the PRIMARY's on every table`)
  } finally {
    await primary.end()
  }
}

main(async () => {
  const choice = argv.resync ? 'resync' : argv.skip ? 'skip' : null
  if (choice && !argv.yes && !dryRun) throw new ReplkitError(`--${choice} changes ${argv.replica ?? 'the replica'}: re-run with --yes (or --dry-run to see the SQL)`)
  const replicas = argv.replica ? [findNode(config, argv.replica)] : config.replicas
  if (replicas.some(r => r.role !== 'replica')) throw new ReplkitError('--replica must name a replica')
  let left = 0
  for (const replica of replicas) {
    const sql = await connectChecked(replica)
    try {
      const stopped = await inspect(replica, sql)
      if (!stopped) continue
      const lsn = argv.lsn ?? stopped.failure?.finishLsn
      if (stopped.failure) mark.fail(describe(stopped))
      else mark.fail(`${replica.name}: ${stopped.subscription} counts apply errors, but no current failure was found in the log: ${stopped.source}`)
      if (!choice) {
        console.log(choices(stopped, lsn ?? '<finish LSN>'))
        left++
      } else if (choice === 'resync') {
        await resync(stopped)
      } else if (!lsn) {
        throw new ReplkitError(`${replica.name}: no finish LSN to skip: pass it with --lsn (see above where to find it)`, 2)
      } else {
        await skip(stopped, lsn)
      }
    } finally {
      await sql.end()
    }
  }
  console.log(`\n${left ? `${left} conflict${left > 1 ? 's' : ''} left: nothing changed without --resync or --skip, and --yes — ` : ''}${steps.tally(dryRun)}`)
  return left || steps.failed ? 2 : steps.exitCode()
})
