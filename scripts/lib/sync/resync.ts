// Resynchronising a replica from the PRIMARY without losing or doubling a row, while the PRIMARY
// keeps taking writes. The runbook's "TRUNCATE the replica and repopulate it" races the apply
// worker (CORRECTIONS.md #6); the safe order is: drop the subscription (and its slot), empty the
// tables in one TRUNCATE, and let a new subscription copy them (copy_data = true). PostgreSQL's
// table sync copies each table at a snapshot and then applies every change committed after that
// snapshot, so writes during the resync are neither lost nor applied twice.
import type { Config, NodeSpec } from '../config.js'
import { optionsBetween, subscriptionVars, withList } from '../replication/options.js'
import type { Sql } from '../db.js'
import { ReplkitError } from '../errors.js'
import { qualifiedTables, subscriptionName } from '../replication/names.js'
import { replicatorPassword } from '../replication/password.js'
import { subscriptionConninfo } from '../replication/conninfo.js'
import { waitForCatchup, waitForSync } from '../replication/waits.js'
import { runSqlFile } from '../sql-files.js'
import { proveCopyCanSucceed } from './guard.js'
import { describeSaved, saveBeforeDiscarding } from './save.js'

export interface ResyncRun {
  dryRun: boolean
  timeoutMs: number
  /** Progress lines (a Steps' ok, or a test's collector). */
  say: (text: string) => void
}

export interface ResyncTimes {
  copyMs: number
  catchupMs: number
}

/** Fails with the fix when the PRIMARY has no publication to subscribe to. */
export async function requirePublication(config: Config, primary: Sql): Promise<void> {
  const [pub] = await primary`select 1 from pg_publication where pubname = ${config.publication}`
  if (!pub) throw new ReplkitError(`primary: publication ${config.publication} does not exist; run make replicate first`, 2)
}

/** The whole replica: drop its subscription and slot, TRUNCATE every subscribed table, subscribe again with copy_data. */
export async function resyncReplica(config: Config, replica: NodeSpec, primary: Sql, replicaSql: Sql, run: ResyncRun): Promise<ResyncTimes | null> {
  const subscription = subscriptionName(replica)
  const { dryRun } = run
  const [sub] = await replicaSql`select 1 from pg_subscription where subname = ${subscription}`
  const [slot] = await primary`select 1 from pg_replication_slots where slot_name = ${subscription}`
  // Read-only proof first, dry run or not: a copy that cannot succeed must not empty anything.
  await proveCopyCanSucceed(config, replica, primary, replicaSql, config.tables, Boolean(slot))
  run.say(`${replica.name}: the copy can succeed (same columns as the PRIMARY, the replication role logs in and reads every table, a slot is free)`)
  const saved = dryRun ? null : await saveBeforeDiscarding(config, replica, primary, replicaSql, config.tables)
  if (saved) run.say(`${replica.name}: saved its rows before emptying them, in ${saved.dir}${describeSaved(saved, replica.name).map(l => `\n      ${l}`).join('')}`)
  let state = 'untouched'
  try {
    if (sub) {
      // DROP SUBSCRIPTION stops the workers and drops the slot on the PRIMARY; when that slot is
      // already gone (lost, dropped by hand) it would fail, so the slot is detached first.
      await runSqlFile(replica, `sql/rollback/${slot ? '010_revert_subscription.sql' : '015_revert_subscription_slot_gone.sql'}`, { vars: { subscription }, dryRun })
      state = `${subscription} dropped, its tables still hold their old rows`
      run.say(`${replica.name}: dropped ${subscription}${slot ? ' and its slot on the PRIMARY' : ' (its slot was already gone from the PRIMARY)'}`)
    }
    // Only now, with no apply worker left, can the tables be emptied without racing it. One
    // statement for all of them: their foreign keys forbid truncating them one by one.
    await runSqlFile(replica, 'sql/replication/045_truncate_replica.sql', { vars: { tables: qualifiedTables(config) }, dryRun })
    state = `no subscription, its tables empty`
    run.say(`${replica.name}: emptied ${config.tables.join(', ')} in one TRUNCATE (conflicting rows go with them)`)
    const conninfo = subscriptionConninfo(config, await replicatorPassword(config, false))
    const chosen = await optionsBetween(primary, replicaSql, config.tables)
    await runSqlFile(replica, 'sql/replication/050_subscription.sql', { vars: subscriptionVars(subscription, config.publication, chosen), secretVars: { conninfo }, dryRun })
    state = `${subscription} created and copying`
    run.say(`${replica.name}: created ${subscription} with copy_data = true, ${withList(chosen)} (new slot on the PRIMARY)`)
    if (dryRun) return null
    return await waitReady(primary, replicaSql, replica, run.timeoutMs)
  } catch (error) {
    if (state === 'untouched') throw error
    throw new ReplkitError(`${replica.name}: the resync stopped part-way — ${replica.name} now has ${state}` +
      `${saved ? `; its previous rows are saved in ${saved.dir}` : ''}. Finish it with: make sync ARGS="--replica ${replica.name} --yes"\n  cause: ${(error as Error).message}`, 2)
  }
}

/** Every table of the replica's subscription ready, then the replica past the PRIMARY's current LSN. */
export async function waitReady(primary: Sql, replicaSql: Sql, replica: NodeSpec, timeoutMs: number): Promise<ResyncTimes> {
  const subscription = subscriptionName(replica)
  const started = Date.now()
  await waitForSync(replicaSql, subscription, timeoutMs, `${replica.name}'s copy of ${subscription}`)
  const copied = Date.now()
  await waitForCatchup(primary, [subscription], timeoutMs)
  return { copyMs: copied - started, catchupMs: Date.now() - copied }
}
