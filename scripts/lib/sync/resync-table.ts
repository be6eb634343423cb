// Resynchronising ONE table on ONE replica (make sync --table T --replica R). The shared
// publication is never touched, so the other replicas keep streaming T: R's subscription alone is
// switched to a temporary publication without T (T leaves R's subscription), T is truncated on R
// with R's apply worker stopped, and R's subscription is switched back with copy_data = true
// (T is copied again at a snapshot, then streamed). See sql/sync/ for why each step is there.
import type { Config, NodeSpec } from '../config.js'
import type { Sql } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { poll } from '../wait.js'
import { subscriptionName } from '../replication/names.js'
import { waitForCatchup } from '../replication/waits.js'
import { type ResyncRun, type ResyncTimes, waitReady } from './resync.js'
import { runSqlFile } from '../sql-files.js'
import { proveCopyCanSucceed } from './guard.js'
import { describeSaved, saveBeforeDiscarding } from './save.js'

/** Tables (other than itself) whose foreign keys reference table on this node. */
async function referencedBy(sql: Sql, table: string): Promise<string[]> {
  return (
    await sql`
    select distinct conrelid::regclass::text as t from pg_constraint
    where contype = 'f' and confrelid = ${`public.${table}`}::regclass and conrelid <> confrelid order by 1`
  ).map(r => r.t as string)
}

/**
 * A publication created now is unknown to the catalogue snapshot of transactions that began
 * before it: PostgreSQL 15's walsender fails with "publication does not exist" if it must decode
 * one of them for a subscriber of the new publication, and the subscriber would retry forever.
 * So wait until every transaction older than the publication has ended and the subscriber has
 * replayed past them; decoding then starts after all of them.
 */
async function waitPastOlderTransactions(primary: Sql, subscription: string, timeoutMs: number): Promise<void> {
  const [{ horizon }] = await primary`select pg_snapshot_xmax(pg_current_snapshot())::text as horizon`
  const ended = await poll(async () => {
    const [{ done }] = await primary`select pg_snapshot_xmin(pg_current_snapshot()) >= ${horizon}::xid8 as done`
    return done ? true : undefined
  }, timeoutMs)
  if (!ended)
    throw new ReplkitError(
      `primary: transactions older than the temporary publication still run after ${timeoutMs / 1000} s; nothing changed on the replica`,
      EXIT.failed,
    )
  await waitForCatchup(primary, [subscription], timeoutMs)
}

export async function resyncTable(
  config: Config,
  replica: NodeSpec,
  table: string,
  primary: Sql,
  replicaSql: Sql,
  run: ResyncRun,
): Promise<ResyncTimes | null> {
  const { dryRun } = run
  const referrers = await referencedBy(replicaSql, table)
  if (referrers.length) {
    throw new ReplkitError(
      `${table} cannot be resynced alone on ${replica.name}: ${referrers.join(', ')} reference${referrers.length === 1 ? 's' : ''} it by foreign key, ` +
        `so TRUNCATE ${table} is refused (and CASCADE would empty ${referrers.join(', ')} without copying them again). ` +
        `Resync the whole replica instead: make sync ARGS="--replica ${replica.name} --yes"`,
      EXIT.failed,
    )
  }
  const subscription = subscriptionName(replica)
  const [sub] = await replicaSql`select 1 from pg_subscription where subname = ${subscription}`
  if (!sub)
    throw new ReplkitError(
      `${replica.name} has no subscription ${subscription}: resync the whole replica (make sync ARGS="--replica ${replica.name} --yes")`,
      EXIT.failed,
    )
  await proveCopyCanSucceed(config, replica, primary, replicaSql, [table], true)
  const saved = dryRun ? null : await saveBeforeDiscarding(config, replica, primary, replicaSql, [table])
  if (saved)
    run.say(
      `${replica.name}: saved ${table}'s rows before emptying it, in ${saved.dir}${describeSaved(saved, replica.name)
        .map(l => `\n      ${l}`)
        .join('')}`,
    )
  const temporary = `${config.publication}_without_${table}`.slice(0, 63)
  const others = config.tables
    .filter(t => t !== table)
    .map(t => `public.${t}`)
    .join(', ')
  const file = (name: string, vars: Record<string, string>, node: NodeSpec = replica) =>
    runSqlFile(node, `sql/sync/${name}`, { vars, dryRun })

  // A temporary publication of every replicated table but T, created like the shared one. Only
  // the replica being resynced switches to it, so T leaves THAT subscription alone: dropping T
  // from the shared publication would stop T's changes for every replica, and re-adding it would
  // make REFRESH re-copy T onto replicas that still hold its rows (duplicate keys) or, with
  // copy_data = false, lose the changes made in between.
  await runSqlFile(config.primary, 'sql/replication/040_publication.sql', {
    vars: { publication: temporary, tables: others },
    dryRun,
  })
  if (!dryRun) await waitPastOlderTransactions(primary, subscription, run.timeoutMs)
  run.say(
    `primary: temporary publication ${temporary} (every replicated table but ${table}); ${replica.name} replayed past older transactions`,
  )

  await file('010_set_publication.sql', { subscription, publication: temporary, copy_data: 'false' })
  run.say(`${replica.name}: ${subscription} switched to ${temporary}: ${table} left this subscription only`)

  await file('020_disable_subscription.sql', { subscription })
  if (!dryRun) {
    const stopped = await poll(
      async () =>
        (await replicaSql`select 1 from pg_stat_subscription where subname = ${subscription} and pid is not null`)
          .length
          ? undefined
          : true,
      run.timeoutMs,
    )
    if (!stopped)
      throw new ReplkitError(
        `${replica.name}: the workers of ${subscription} did not stop; it is left disabled — ALTER SUBSCRIPTION ${subscription} ENABLE after checking its log`,
        EXIT.failed,
      )
  }
  await runSqlFile(replica, 'sql/replication/045_truncate_replica.sql', { vars: { tables: `public.${table}` }, dryRun })
  await file('030_enable_subscription.sql', { subscription })
  run.say(`${replica.name}: truncated ${table} with the apply worker stopped, then enabled ${subscription} again`)

  await file('010_set_publication.sql', { subscription, publication: config.publication, copy_data: 'true' })
  run.say(
    `${replica.name}: ${subscription} back on ${config.publication} with copy_data = true: ${table} is copied again on ${replica.name} only`,
  )
  const times = dryRun ? null : await waitReady(primary, replicaSql, replica, run.timeoutMs)

  await runSqlFile(config.primary, 'sql/rollback/030_revert_publication.sql', {
    vars: { publication: temporary },
    dryRun,
  })
  run.say(`primary: dropped the temporary publication ${temporary}`)
  return times
}
