// make replicate's subscription step: a new subscription's tables copied from its slot's snapshot
// by parallel pipes (all replicas at once) or by CREATE SUBSCRIPTION — the atomic copy ran before
// it, in sync/replace.ts — existing ones converged or refreshed, then every copy awaited together.
import { tableText } from '../table-name.js'
import { dryRunSql } from '../output.js'
import type { NodeSpec } from '../config.js'
import { type Sql, connectChecked, majorOf, serverVersionNum, withNode } from '../db.js'
import { printableConninfo, subscriptionConninfo } from './conninfo.js'
import { tablesHoldingRows } from './catalog.js'
import { slotNames, subscriptionName } from './names.js'
import {
  type ChosenOption,
  describeOptions,
  existingSubscription,
  optionChanges,
  optionsBetween,
  subscriptionVars,
  withList,
} from './options.js'
import { waitForSync } from './waits.js'
import { copyFromSnapshot, finishInterruptedCopy } from './snapshot-copy.js'
import { copyStatements, createSlotStatement, tablesToCopy } from './copy-statements.js'
import { type InterruptedCopy, cutIntoParts, forgetParts } from './copy-parts.js'
import { resumeOrRestart } from './copy-resume.js'
import { endHolder } from './snapshot-holder.js'
import { type SetupContext, replicateDeadlineMs, runFile } from './setup-context.js'
import { settledWithin } from '../concurrency.js'
import { copiesAtOnce } from './wal-senders.js'

/**
 * A subscription made before a table was published does not have it until REFRESH PUBLICATION.
 * The new tables are copied, so they must be empty on the replica (rows there would collide).
 */
async function refreshIfBehind(c: SetupContext, replica: NodeSpec, sql: Sql, name: string): Promise<boolean> {
  const subscribed = (
    await sql`
    select n.nspname, c.relname from pg_subscription_rel r join pg_subscription s on s.oid = r.srsubid
    join pg_class c on c.oid = r.srrelid join pg_namespace n on n.oid = c.relnamespace
    where s.subname = ${name}`
  ).map(r => tableText({ schema: r.nspname, name: r.relname }))
  const missing = c.config.tables.filter(t => !subscribed.includes(t))
  const dropped = subscribed.filter(t => !c.config.tables.includes(t))
  if (missing.length === 0 && dropped.length === 0) return false
  const occupied = await tablesHoldingRows(sql, missing)
  if (occupied.length) {
    c.steps.fail(
      `${replica.name}: ${name} must add ${missing.join(', ')}, but ${occupied.join(', ')} already hold rows there; the copy would collide. Empty them on ${replica.name} (their rows come back from the PRIMARY), then run make replicate again`,
    )
    return false
  }
  await runFile(c, replica, '055_refresh_subscription.sql', { subscription: name })
  c.steps.ok(
    `${replica.name}: ${name} refreshed${missing.length ? `: copies ${missing.join(', ')}` : ''}${dropped.length ? `; stops applying ${dropped.join(', ')}` : ''}`,
    true,
  )
  return true
}

export interface Ready {
  replica: string
  subscription: string
  /** From the first CREATE SUBSCRIPTION to every table ready (r/s). */
  readyMs: number
}

/**
 * Every subscription is created first (a snapshot copy runs for every new one, all replicas at
 * once), then their initial copies are awaited together. Returns the subscriptions that are ready.
 */
export async function subscriptions(c: SetupContext, primary: Sql): Promise<Ready[]> {
  const created: { replica: NodeSpec; sql: Sql }[] = []
  const toCopy: { replica: NodeSpec; chosen: ChosenOption[]; interrupted: InterruptedCopy | null }[] = []
  try {
    for (const replica of c.config.replicas) {
      const sql = await connectChecked(replica)
      let next: Next = 'skip'
      try {
        next = await subscription(c, replica, sql, primary)
        if (typeof next === 'object') toCopy.push({ replica, chosen: next.copy, interrupted: next.interrupted })
      } finally {
        if (next !== 'skip') created.push({ replica, sql })
        else await sql.end()
      }
    }
    const started = Date.now()
    const copied = await settledWithin(toCopy, await copiesAtOnce(primary, toCopy.length), x =>
      snapshotCopy(c, primary, x.replica, x.chosen, x.interrupted),
    )
    for (const [i, r] of copied.entries()) {
      if (r.status === 'rejected') {
        c.steps.fail(
          `${toCopy[i].replica.name}: the initial copy failed; its slot was dropped and the copied rows removed, so make replicate can run again: ${(r.reason as Error).message}`,
        )
        const at = created.findIndex(x => x.replica === toCopy[i].replica)
        await created.splice(at, 1)[0].sql.end()
      }
    }
    if (c.dryRun) return []
    const waited = await Promise.allSettled(
      created.map(async ({ replica, sql }) => {
        const name = subscriptionName(replica)
        await waitForSync(sql, name, c.timeoutMs, `${replica.name}'s initial copy (${name})`)
        return { replica: replica.name, subscription: name, readyMs: Date.now() - started }
      }),
    )
    const ready: Ready[] = []
    for (const w of waited) {
      if (w.status === 'rejected') c.steps.fail((w.reason as Error).message)
      else {
        ready.push(w.value)
        c.steps.verify(
          `${w.value.replica}: every table of ${w.value.subscription} is ready (r/s) after ${w.value.readyMs} ms`,
        )
      }
    }
    return ready
  } finally {
    await Promise.all(created.map(x => x.sql.end()))
  }
}

/** What to do after a replica's subscription step: wait for it, leave it, or copy its tables first. */
type Next = 'wait' | 'skip' | { copy: ChosenOption[]; interrupted: InterruptedCopy | null }

/**
 * Binary COPY where both ends read each other's binary: the same major, or both 16+ as for the
 * subscription's binary option (the schema step has already proven the column types equal).
 */
const binaryCopy = (publisherNum: number, subscriberNum: number) =>
  majorOf(publisherNum) === majorOf(subscriberNum) || Math.min(majorOf(publisherNum), majorOf(subscriberNum)) >= 16

/** The snapshot copy into one new replica, then its subscription on that slot (052). */
async function snapshotCopy(
  c: SetupContext,
  primary: Sql,
  replica: NodeSpec,
  chosen: ChosenOption[],
  interrupted: InterruptedCopy | null,
): Promise<void> {
  const { config } = c
  const name = subscriptionName(replica)
  const binary = await withNode(replica, async sql =>
    binaryCopy(await serverVersionNum(primary), await serverVersionNum(sql)),
  )
  const plan = {
    slot: name,
    binary,
    jobs: c.copyJobs,
    publication: config.publication,
    partBytes: c.copyPartMb * 1024 * 1024,
    // As long as this run may last: a killed run's copy can be resumed until then.
    holdSeconds: Math.ceil(replicateDeadlineMs(c.timeoutMs) / 1000),
  }
  if (c.dryRun) {
    dryRunSql.print(
      `-- ${replica.name}: ${name} connects with: ${printableConninfo(subscriptionConninfo(config, c.password))}`,
    )
    for (const line of describeOptions(chosen)) dryRunSql.print(`-- ${replica.name}: ${line}`)
    dryRunSql.print(`-- ${config.primary.name}, replication connection: ${createSlotStatement(name)}`)
    for (const p of cutIntoParts(await tablesToCopy(primary, config.tables, config.publication), plan.partBytes)) {
      const q = copyStatements(p.table, binary, p.range)
      dryRunSql.print(
        `-- ${config.primary.name} → ${replica.name} (REPEATABLE READ, SET TRANSACTION SNAPSHOT of that slot): ${q.out} | ${q.in}`,
      )
    }
  } else {
    const result = await copyFromSnapshot(config.primary, replica, config.tables, plan, interrupted)
    const resumed = result.resumed ? ` (${result.resumed} of them copied by the killed run)` : ''
    c.steps.ok(
      `${replica.name}: copied ${result.tables} tables in ${result.parts} parts${resumed} from the snapshot of slot ${name} in ${Math.round(result.copyMs)} ms (${c.copyJobs} COPY pipes, ${binary ? 'binary' : 'text'}), built ${result.indexes.length} deferred indexes (${result.duringCopy} of them while other tables still copied, the rest in ${Math.round(result.indexMs)} ms after)`,
      true,
    )
  }
  await runFile(
    c,
    replica,
    '052_subscription_from_slot.sql',
    { ...subscriptionVars(name, config.publication, chosen), slot: name },
    { conninfo: subscriptionConninfo(config, c.password) },
  )
  // The slot is the subscription's now: the record of the copy's parts has served.
  if (!c.dryRun) await withNode(replica, sql => forgetParts(sql, name))
  c.steps.ok(
    `${replica.name}: ${name} ${c.dryRun ? 'would be created' : 'created'} on slot ${name} (copy_data = false: the rows came from its snapshot, ${withList(chosen)}, sslmode=${config.subscriptionSslmode})`,
    true,
  )
}

/** wait: the subscription exists (or was just created) and is enabled; copy: new, to be copied from a snapshot. */
async function subscription(c: SetupContext, replica: NodeSpec, sql: Sql, primary: Sql): Promise<Next> {
  const { config, steps } = c
  const name = subscriptionName(replica)
  const conninfo = subscriptionConninfo(config, c.password)
  const existing = await existingSubscription(sql, name)
  if (existing?.slotName) {
    const [slot] = await primary`select wal_status from pg_replication_slots where slot_name = ${existing.slotName}`
    if (!slot || slot.wal_status === 'lost') {
      steps.fail(
        `${replica.name}: ${name}'s slot ${existing.slotName} is ${slot ? 'lost (wal_status lost)' : 'gone from the PRIMARY'}: it can never resume; resync it with make sync ARGS="--replica ${replica.name} --yes"`,
      )
      return 'skip'
    }
  }
  if (existing && !existing.enabled) {
    steps.warn(
      `${replica.name}: ${name} exists but is disabled — left alone; see make check, then ALTER SUBSCRIPTION ${name} ENABLE or resync with make sync`,
    )
    return 'skip'
  }
  const chosen = await optionsBetween(primary, sql, config.tables)
  const changes = existing ? optionChanges(existing.options, chosen) : { set: [], leftAlone: [] }
  for (const o of changes.leftAlone)
    steps.note(
      `${replica.name}: ${name} keeps ${o.name} = ${existing!.options[o.name]} (${o.value} needs the subscription disabled, then ALTER SUBSCRIPTION ${name} SET (${o.name} = ${o.value}))`,
    )
  if (existing && existing.conninfo === conninfo && changes.set.length === 0) {
    if (!(await refreshIfBehind(c, replica, sql, name)))
      steps.ok(`${replica.name}: ${name} exists and is enabled, its tables those of the publication`, false)
    return 'wait'
  }
  // A copy a killed run left goes on by its own method, whichever this run names.
  const left = !existing && !c.dryRun ? await resumeOrRestart(c, replica, sql, primary) : null
  if (left?.interrupted) return { copy: chosen, interrupted: left.interrupted }
  if (!existing && !(await readyForInitialCopy(c, replica, sql, primary))) return 'skip'
  if (left) return { copy: chosen, interrupted: null }
  // The atomic copy ran before this step (copyInOneTransaction) and said why there is none.
  if (!existing && c.copyMethod === 'atomic') return 'skip'
  if (!existing && c.copyMethod === 'parallel') return { copy: chosen, interrupted: null }
  if (c.dryRun) {
    dryRunSql.print(`-- ${replica.name}: ${name} connects with: ${printableConninfo(conninfo)}`)
    for (const line of describeOptions(existing ? changes.set : chosen)) dryRunSql.print(`-- ${replica.name}: ${line}`)
  }
  await runFile(c, replica, '050_subscription.sql', subscriptionVars(name, config.publication, chosen, changes.set), {
    conninfo,
  })
  const changed = !existing
    ? `${name} created (copy_data = true, ${withList(chosen)}, sslmode=${config.subscriptionSslmode})`
    : existing.conninfo !== conninfo
      ? `${name} pointed at the new connection`
      : `${name} set to ${withList(changes.set)}`
  steps.ok(`${replica.name}: ${changed}`, true)
  return 'wait'
}

/**
 * A new subscription copies every table: rows already there would collide with the copy. What an
 * interrupted snapshot copy left is finished or removed first: its deferred indexes built, its
 * slot (inactive, named for this replica, no subscription here) dropped.
 */
async function readyForInitialCopy(c: SetupContext, replica: NodeSpec, sql: Sql, primary: Sql): Promise<boolean> {
  const { config, steps } = c
  if (!c.dryRun) {
    const rebuilt = await finishInterruptedCopy(replica, c.copyJobs)
    if (rebuilt) steps.ok(rebuilt, true)
  }
  const name = subscriptionName(replica)
  const leftovers =
    await primary`select slot_name, active from pg_replication_slots where slot_name = any(${slotNames(replica)})`
  const busy = leftovers.find(l => l.active)
  if (busy) {
    steps.fail(
      `${replica.name}: slot ${busy.slot_name} exists on ${config.primary.name} and is in use, but ${replica.name} has no subscription ${name}: another run or another subscriber holds it; find it in pg_stat_replication`,
    )
    return false
  }
  for (const { slot_name } of leftovers) {
    // A run killed before it recorded its parts may still hold the slot's snapshot (and xmin).
    if (!c.dryRun) await endHolder(primary, slot_name, null)
    if (!c.dryRun) await primary`select pg_drop_replication_slot(${slot_name})`
    steps.ok(
      `${config.primary.name}: ${c.dryRun ? 'would drop' : 'dropped'} slot ${slot_name}, left by an interrupted copy to ${replica.name} (no subscription uses it)`,
      true,
    )
  }
  const occupied = await tablesHoldingRows(sql, config.tables)
  if (occupied.length === 0) return true
  if (!c.truncateReplicas) {
    steps.fail(
      `${replica.name}: has no subscription yet but already holds rows in ${occupied.join(', ')}; the initial copy would hit duplicate keys. Re-run with --truncate-replicas --yes to empty its tables first`,
    )
    return false
  }
  // --truncate-replicas: sync/replace.ts replaced its rows in one transaction with its subscription
  // before this step; only a dry run without a publication yet gets here (it said so).
  return false
}
