// Resynchronising a replica from the PRIMARY without losing or doubling a row, while the PRIMARY
// keeps taking writes, and without ever leaving the replica half-done. The runbook's "TRUNCATE the
// replica and repopulate it" races the apply worker (CORRECTIONS.md #6) and empties the replica
// before anything proves the copy can land. Here the current subscription is paused, a new slot is
// created with an exported snapshot, and one replica transaction empties every table, copies them
// all at that snapshot and creates the subscription on the new slot (atomic-copy.ts): what
// committed before the snapshot is in the copy, what committed after it is in the slot. If any
// part fails, the transaction rolls back, the new slot is dropped and the old subscription
// resumes: the replica is exactly as it was, and the error names the object that refused.
import type { Config, NodeSpec } from '../config.js'
import { describeOptions, optionsBetween, subscriptionVars } from '../replication/options.js'
import { type Sql, connect } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { slotNames, subscriptionName } from '../replication/names.js'
import { tablesHoldingRows } from '../replication/catalog.js'
import { replicatorPassword } from '../replication/password.js'
import { subscriptionConninfo } from '../replication/conninfo.js'
import { describeOwner, ownSubscription } from '../replication/subscription-owner.js'
import { parsePsqlError, verbatim } from '../replication/server-error.js'
import { createSlotStatement, tablesToCopy } from '../replication/copy-statements.js'
import { secondaryIndexes } from '../replication/snapshot-copy.js'
import { waitForCatchup, waitForSync } from '../replication/waits.js'
import { runSqlFile } from '../sql-files.js'
import { waitFor } from '../wait.js'
import { type AtomicCopyFailure, type AtomicCopyPlan, copyAtomically } from './atomic-copy.js'
import { printPlan } from './resync-plan.js'
import { proveCopyCanSucceed } from './guard.js'
import { explainRefusal } from './refusal.js'
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
  if (!pub)
    throw new ReplkitError(
      `primary: publication ${config.publication} does not exist; run make replicate first`,
      EXIT.failed,
    )
}

/** The replica's subscription as found: the resync restores exactly this if it fails. */
interface Current {
  exists: boolean
  enabled: boolean
  /** Its slot's name, and whether the PRIMARY still has it. */
  slot: string | null
  slotExists: boolean
}

async function currentState(primary: Sql, replicaSql: Sql, subscription: string): Promise<Current> {
  const [sub] =
    await replicaSql`select subenabled as enabled, subslotname as slot from pg_subscription where subname = ${subscription}`
  const slot: string | null = sub ? sub.slot : null
  const [onPrimary] = slot ? await primary`select 1 from pg_replication_slots where slot_name = ${slot}` : []
  return { exists: Boolean(sub), enabled: Boolean(sub?.enabled), slot, slotExists: Boolean(onPrimary) }
}

/** What the transaction will do: two slot names alternate, so the new slot never meets the old one. */
async function planCopy(
  config: Config,
  replica: NodeSpec,
  primary: Sql,
  replicaSql: Sql,
  current: Current,
  timeoutMs: number,
): Promise<AtomicCopyPlan> {
  const subscription = subscriptionName(replica)
  const [plain, alternate] = slotNames(replica)
  const chosen = await optionsBetween(primary, replicaSql, config.tables)
  return {
    subscription,
    replaced: `${subscription}_replaced`,
    slot: current.slot === plain ? alternate : plain,
    publication: config.publication,
    options: subscriptionVars(subscription, config.publication, chosen).options,
    why: describeOptions(chosen),
    tables: await tablesToCopy(primary, config.tables, config.publication),
    indexes: await secondaryIndexes(replicaSql, config.tables),
    timeoutMs,
  }
}

/** --dry-run: the resync's statements on each node, read-only (no proof that it can succeed). */
export async function printResyncPlan(
  config: Config,
  replica: NodeSpec,
  primary: Sql,
  replicaSql: Sql,
  timeoutMs: number,
): Promise<void> {
  const current = await currentState(primary, replicaSql, subscriptionName(replica))
  await printPlan(replica, await planCopy(config, replica, primary, replicaSql, current, timeoutMs), current)
}

/** The old subscription stops applying before its tables are emptied (it resumes if the copy fails). */
async function pause(
  replica: NodeSpec,
  replicaSql: Sql,
  plan: AtomicCopyPlan,
  current: Current,
  timeoutMs: number,
): Promise<void> {
  if (!current.enabled) return
  await runSqlFile(replica, 'sql/sync/020_disable_subscription.sql', {
    vars: { subscription: plan.subscription },
    dryRun: false,
  })
  await waitFor({
    what: `${replica.name}'s workers of ${plan.subscription} to stop`,
    timeoutMs,
    until: async () =>
      (await replicaSql`select 1 from pg_stat_subscription where subname = ${plan.subscription} and pid is not null`)
        .length
        ? undefined
        : true,
  })
}

/** Creates the slot, runs the transaction with its snapshot, and on failure puts everything back and names the cause. */
async function copyFromNewSlot(
  config: Config,
  replica: NodeSpec,
  primary: Sql,
  replicaSql: Sql,
  plan: AtomicCopyPlan,
  current: Current,
): Promise<void> {
  // A longer connect timeout than a check's: this starts a long copy, often beside other heavy work.
  const walsender = connect(config.primary, {
    replication: true,
    statementTimeoutMs: 0,
    idleTimeoutSeconds: 0,
    connectTimeoutSeconds: 30,
  })
  let slotCreated = false
  try {
    const [slot] = await walsender.unsafe(createSlotStatement(plan.slot))
    slotCreated = true
    const conninfo = subscriptionConninfo(config, await replicatorPassword(config))
    await copyAtomically(config.primary, replica, plan, slot.snapshot_name as string, conninfo)
  } catch (error) {
    await walsender.end({ timeout: 1 }).catch(() => {})
    if (slotCreated) await dropSlotWhenFree(primary, plan.slot, 10_000)
    if (current.enabled)
      await runSqlFile(replica, 'sql/sync/030_enable_subscription.sql', {
        vars: { subscription: plan.subscription },
        dryRun: false,
      })
    throw await refusal(primary, replicaSql, replica.name, plan, current, error)
  } finally {
    await walsender.end({ timeout: 1 }).catch(() => {})
  }
}

async function refusal(
  primary: Sql,
  replicaSql: Sql,
  R: string,
  plan: AtomicCopyPlan,
  current: Current,
  error: unknown,
): Promise<ReplkitError> {
  const failure = (error as { failure?: AtomicCopyFailure | null }).failure
  const parsed = failure ? parsePsqlError(failure.stderr) : null
  const kept = `nothing on ${R} changed: every table keeps its rows${current.exists ? `, ${plan.subscription} is as it was${current.enabled ? ' and applies again' : ''}` : ''}`
  if (!parsed)
    return new ReplkitError(`${R}: the resync did not complete (${(error as Error).message}) — ${kept}`, EXIT.failed)
  if (failure!.node === 'primary')
    return new ReplkitError(`${R}: the PRIMARY's side of the copy failed: ${verbatim(parsed)} — ${kept}`, EXIT.failed)
  const why = await explainRefusal(primary, replicaSql, R, parsed)
  return new ReplkitError(
    `${R}: the copy was refused by ${why.object}: ${verbatim(parsed)} — ${kept}. Fix: ${why.fix}`,
    EXIT.failed,
  )
}

/** A slot is dropped once no walsender holds it (a closed replication connection lets go within moments). */
async function dropSlotWhenFree(primary: Sql, slot: string, timeoutMs: number): Promise<void> {
  await waitFor({
    what: `slot ${slot} on the PRIMARY to be released and dropped`,
    timeoutMs,
    until: async () => {
      const [s] = await primary`select active from pg_replication_slots where slot_name = ${slot}`
      if (!s) return true
      if (!s.active) await primary`select pg_drop_replication_slot(${slot})`
      return undefined
    },
  })
}

/** After the commit: the subscription that stepped aside goes, and its slot with it. */
async function dropReplaced(
  replica: NodeSpec,
  primary: Sql,
  plan: AtomicCopyPlan,
  current: Current,
  timeoutMs: number,
): Promise<void> {
  await runSqlFile(replica, 'sql/rollback/015_revert_subscription_slot_gone.sql', {
    vars: { subscription: plan.replaced },
    dryRun: false,
  })
  if (current.slotExists && current.slot !== plan.slot) await dropSlotWhenFree(primary, current.slot!, timeoutMs)
}

/** What a resync killed part-way may have left: the stepped-aside subscription, the new slot (neither holds data). */
async function clearLeftovers(replica: NodeSpec, primary: Sql, plan: AtomicCopyPlan, timeoutMs: number): Promise<void> {
  await runSqlFile(replica, 'sql/rollback/015_revert_subscription_slot_gone.sql', {
    vars: { subscription: plan.replaced },
    dryRun: false,
  })
  await dropSlotWhenFree(primary, plan.slot, timeoutMs)
}

/** The whole replica copied again at one snapshot, in one transaction; see the header. */
export async function resyncReplica(
  config: Config,
  replica: NodeSpec,
  primary: Sql,
  replicaSql: Sql,
  run: ResyncRun,
): Promise<ResyncTimes | null> {
  const current = await currentState(primary, replicaSql, subscriptionName(replica))
  // Read-only proof first: the new slot is made before the old one goes, so one must be free.
  await proveCopyCanSucceed(config, replica, primary, replicaSql, config.tables, false)
  const plan = await planCopy(config, replica, primary, replicaSql, current, run.timeoutMs)
  if (run.dryRun) {
    await printPlan(replica, plan, current)
    run.say(
      `${replica.name}: copy every table again in one transaction from a new slot's snapshot (${plan.slot}); nothing changes unless all of it commits`,
    )
    return null
  }
  await saveWhatItHolds(config, replica, primary, replicaSql, run)
  const started = Date.now()
  await clearLeftovers(replica, primary, plan, run.timeoutMs)
  await pause(replica, replicaSql, plan, current, run.timeoutMs)
  await copyFromNewSlot(config, replica, primary, replicaSql, plan, current)
  run.say(
    `${replica.name}: ${plan.subscription} created on slot ${plan.slot} (copy_data = false: the rows came from its snapshot, ${plan.options}, sslmode=${config.subscriptionSslmode}); ` +
      `${plan.tables.map(t => t.table).join(', ')} copied with it, all in one transaction (${Date.now() - started} ms; readers waited on the tables' lock meanwhile, never saw them empty or half-copied)`,
  )
  await dropReplaced(replica, primary, plan, current, run.timeoutMs)
  if (config.subscriptionOwner && (await ownSubscription(config, replica, replicaSql, false)) === 'handed over')
    run.say(`${replica.name}: ${await describeOwner(replicaSql, replica)}`)
  const times = await waitReady(primary, replicaSql, replica, run.timeoutMs)
  return { copyMs: Date.now() - started - times.catchupMs, catchupMs: times.catchupMs }
}

/** The replica's rows are saved before they are replaced; a new, empty replica has none to save. */
async function saveWhatItHolds(
  config: Config,
  replica: NodeSpec,
  primary: Sql,
  replicaSql: Sql,
  run: ResyncRun,
): Promise<void> {
  if ((await tablesHoldingRows(replicaSql, config.tables)).length === 0) return
  const saved = await saveBeforeDiscarding(config, replica, primary, replicaSql, config.tables)
  run.say(
    `${replica.name}: saved its rows before replacing them, in ${saved.dir}${describeSaved(saved, replica.name)
      .map(l => `\n      ${l}`)
      .join('')}`,
  )
}

/** Every table of the replica's subscription ready, then the replica past the PRIMARY's current LSN. */
export async function waitReady(
  primary: Sql,
  replicaSql: Sql,
  replica: NodeSpec,
  timeoutMs: number,
): Promise<ResyncTimes> {
  const subscription = subscriptionName(replica)
  const started = Date.now()
  await waitForSync(replicaSql, subscription, timeoutMs, `${replica.name}'s copy of ${subscription}`)
  const copied = Date.now()
  await waitForCatchup(primary, [subscription], timeoutMs)
  return { copyMs: copied - started, catchupMs: Date.now() - copied }
}
