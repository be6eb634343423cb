// The steps of make replicate, each checking what is there before changing it, so a second run
// changes nothing. Every step takes the same context: config, the ✓/✗ tally, dry-run.
import { isLocalClusterNode, localNode, restartNode } from '../cluster/local-cluster.js'
import { describeDrift } from './schema-drift.js'
import { ensureSchema } from '../cluster/schema.js'
import type { Config, NodeSpec } from '../config.js'
import { type Sql, connectChecked, majorOf, serverVersionNum, withNode } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { runSqlFile } from '../sql-files.js'
import type { Steps } from '../steps.js'
import { printableConninfo, subscriptionConninfo } from './conninfo.js'
import { ensureLocalHba, hbaLines } from './hba.js'
import { tablesHoldingRows } from './catalog.js'
import { qualifiedTables, slotNames, subscriptionName } from './names.js'
import { type Preflight, roleState } from './preflight.js'
import {
  type ChosenOption,
  describeOptions,
  existingSubscription,
  optionChanges,
  optionsBetween,
  subscriptionVars,
  withList,
} from './options.js'
import { scramMatches, scramVerifier } from './scram.js'
import { waitForCatchup, waitForSync } from './waits.js'
import {
  buildDeferredIndexes,
  copyFromSnapshot,
  copyStatements,
  createSlotStatement,
  tablesToCopy,
} from './snapshot-copy.js'

export interface SetupContext {
  config: Config
  steps: Steps
  dryRun: boolean
  timeoutMs: number
  /** --truncate-replicas --yes: empty a replica's tables before its first subscription. */
  truncateReplicas: boolean
  /**
   * snapshot: replkit copies the tables from the slot's exported snapshot, then subscribes with
   * copy_data = false (snapshot-copy.ts); subscription: CREATE SUBSCRIPTION copies (copy_data = true).
   */
  copyMethod: 'snapshot' | 'subscription'
  /** Parallel COPY pipes per replica (snapshot copy). */
  copyJobs: number
  password: string
  /** --restart-primary: restart-only settings may be applied by restarting the PRIMARY. */
  restartPrimary: boolean
}

const runFile = (
  c: SetupContext,
  node: NodeSpec,
  file: string,
  vars: Record<string, string>,
  secretVars?: Record<string, string>,
) => runSqlFile(node, `sql/replication/${file}`, { vars, secretVars, dryRun: c.dryRun })

/** DDL is not replicated: a replica without the schema gets sql/schema; any drift stops the run. */
export async function schemaOnReplicas(c: SetupContext, facts: Preflight): Promise<void> {
  for (const replica of c.config.replicas) {
    const drift = facts.drift[replica.name]
    if (drift === 'missing') {
      if (!c.dryRun) await ensureSchema(replica)
      c.steps.ok(
        `${replica.name}: schema ${c.dryRun ? 'would be applied' : 'applied'} from sql/schema (DDL is not replicated)`,
        true,
      )
    } else if (drift.length) {
      for (const d of drift)
        c.steps.fail(
          `${replica.name}: schema drift: ${describeDrift(d, replica.name)}${d.ddl ? `; align it there with: ${d.ddl}` : `; ${d.note}`}`,
        )
      throw new ReplkitError(
        `${replica.name}: its schema differs from the PRIMARY's; fix the drift, then run make replicate again`,
        EXIT.failed,
      )
    } else {
      c.steps.ok(`${replica.name}: schema matches the PRIMARY column for column`, false)
    }
  }
}

/** A setting that only a restart applies, with its value now and the value replication needs. */
export interface RestartChange {
  name: 'wal_level' | 'max_wal_senders' | 'max_replication_slots'
  from: string
  to: string
}

/** What the PRIMARY's restart-only settings must become (never lower than they are); empty when nothing. */
export function restartChanges(c: SetupContext, facts: Preflight): RestartChange[] {
  const p = facts.nodes[c.config.primary.name]
  const need = { senders: c.config.replicas.length + 2, slots: c.config.replicas.length + 2 }
  const changes: RestartChange[] = []
  if (p.walLevel !== 'logical') changes.push({ name: 'wal_level', from: p.walLevel, to: 'logical' })
  if (p.maxWalSenders < need.senders)
    changes.push({ name: 'max_wal_senders', from: String(p.maxWalSenders), to: String(need.senders) })
  if (p.maxReplicationSlots < need.slots)
    changes.push({ name: 'max_replication_slots', from: String(p.maxReplicationSlots), to: String(need.slots) })
  return changes
}

const listChanges = (changes: RestartChange[]) => changes.map(ch => `${ch.name} ${ch.from} → ${ch.to}`).join(', ')

/** Before anything is written: a PRIMARY that needs a restart is restarted only with --restart-primary. */
export function requireRestartConsent(c: SetupContext, facts: Preflight): void {
  const changes = restartChanges(c, facts)
  if (!changes.length || c.dryRun || c.restartPrimary) return
  throw new ReplkitError(
    `${c.config.primary.name}: ${listChanges(changes)} take effect only after a restart of the PRIMARY, which replkit does only with --restart-primary; nothing was changed. ` +
      `Either run it again with --restart-primary, or on the PRIMARY: ${changes.map(ch => `ALTER SYSTEM SET ${ch.name} = '${ch.to}';`).join(' ')} then restart it yourself (pg_ctl restart, systemctl restart postgresql) and run it again`,
    EXIT.failed,
  )
}

export async function walLevel(c: SetupContext, facts: Preflight): Promise<void> {
  const { config, steps } = c
  const p = facts.nodes[c.config.primary.name]
  const changes = restartChanges(c, facts)
  if (!changes.length) {
    return steps.ok(
      `${c.config.primary.name}: wal_level = logical, max_wal_senders = ${p.maxWalSenders}, max_replication_slots = ${p.maxReplicationSlots}`,
      false,
    )
  }
  const to = (name: RestartChange['name'], now: number) => changes.find(ch => ch.name === name)?.to ?? String(now)
  await runFile(c, config.primary, '010_wal_level.sql', {
    max_wal_senders: to('max_wal_senders', p.maxWalSenders),
    max_replication_slots: to('max_replication_slots', p.maxReplicationSlots),
  })
  if (c.dryRun)
    return steps.ok(
      `${c.config.primary.name}: would set ${listChanges(changes)} and restart the server (only with --restart-primary)`,
      true,
    )
  if (!isLocalClusterNode(config, config.primary)) {
    throw new ReplkitError(
      `${c.config.primary.name}: ${listChanges(changes)} are set but need a restart (a reload does not apply them); restart the server, e.g. "sudo systemctl restart postgresql" or "pg_ctl restart -D <data directory>", then run make replicate again`,
      EXIT.failed,
    )
  }
  await restartNode(config, localNode(config, config.primary))
  const [{ wal_level }] = await withNode(config.primary, sql => sql`show wal_level`)
  if (wal_level !== 'logical')
    throw new ReplkitError(`${c.config.primary.name}: wal_level is still ${wal_level} after the restart`, EXIT.failed)
  steps.ok(
    `${c.config.primary.name}: restarted (--restart-primary) to apply ${listChanges(changes)} (SHOW wal_level = ${wal_level})`,
    true,
  )
}

export async function role(c: SetupContext, primary: Sql): Promise<void> {
  const { config } = c
  const state = await roleState(primary, config.replicatorUser)
  const attributesRight = state.exists && state.login && state.replication && !state.superuser
  if (!attributesRight) await runFile(c, config.primary, '020_role.sql', { role: config.replicatorUser })
  const passwordRight = state.exists && scramMatches(state.verifier, c.password)
  if (!passwordRight) {
    if (c.dryRun)
      console.log(
        `-- ${c.config.primary.name}: ALTER ROLE ${config.replicatorUser} PASSWORD '<SCRAM-SHA-256 verifier of the replication password>'`,
      )
    // read write: the node may be a PRIMARY that make switchover demoted (read-only for clients)
    else
      await primary.begin('read write', tx =>
        tx.unsafe(`alter role "${config.replicatorUser}" password '${scramVerifier(c.password)}'`),
      )
  }
  const grantsRight =
    state.exists && state.missingGrants(config.tables).length === 0 && state.extraGrants(config.tables).length === 0
  if (!grantsRight) {
    await runFile(c, config.primary, '030_grants.sql', {
      role: config.replicatorUser,
      dbname: config.primary.database,
      tables: qualifiedTables(config),
    })
  }
  const changed = !attributesRight || !passwordRight || !grantsRight
  c.steps.ok(
    `${c.config.primary.name}: role ${config.replicatorUser}: LOGIN REPLICATION, not superuser, SCRAM password, SELECT on ${config.tables.length} published tables only`,
    changed,
  )
}

export async function hba(c: SetupContext): Promise<void> {
  const { config, steps, dryRun } = c
  const lines = hbaLines(config)
  if (!isLocalClusterNode(config, config.primary)) {
    steps.warn(
      `${c.config.primary.name}: not the local cluster — make sure its pg_hba.conf has these lines, above any broader rule, then reload:\n${lines.map(l => `      ${l}`).join('\n')}`,
    )
    return
  }
  const changed = await ensureLocalHba(config, lines, dryRun)
  if (changed && dryRun)
    console.log(`-- ${c.config.primary.name}: pg_hba.conf replication block:\n${lines.map(l => `   ${l}`).join('\n')}`)
  steps.ok(
    `${c.config.primary.name}: pg_hba allows ${config.replicatorUser} over TLS only (hostssl … scram-sha-256)${changed && !dryRun ? '; reloaded' : ''}`,
    changed,
  )
}

export function tls(c: SetupContext, facts: Preflight): void {
  const mode = c.config.subscriptionSslmode
  if (facts.nodes[c.config.primary.name].ssl !== 'on')
    throw new ReplkitError(
      `${c.config.primary.name}: ssl is off, but subscriptions connect with sslmode=${mode}`,
      EXIT.failed,
    )
  c.steps.ok(`${c.config.primary.name}: ssl = on (subscriptions use sslmode=${mode})`, false)
}

export async function publication(c: SetupContext, primary: Sql): Promise<void> {
  const { config } = c
  const [pub] = await primary`select count(*)::int as n from pg_publication where pubname = ${config.publication}`
  const published = (
    await primary`select schemaname || '.' || tablename as t from pg_publication_tables where pubname = ${config.publication} order by 1`
  ).map(r => r.t)
  const wanted = qualifiedTables(config).split(', ').sort()
  const right = pub.n === 1 && JSON.stringify(published) === JSON.stringify(wanted)
  if (!right)
    await runFile(c, config.primary, '040_publication.sql', {
      publication: config.publication,
      tables: qualifiedTables(config),
    })
  const removed = pub.n === 1 ? published.filter(t => !wanted.includes(t)) : []
  const added = pub.n === 1 ? wanted.filter(t => !published.includes(t)) : []
  if (removed.length) {
    c.steps.warn(
      `${c.config.primary.name}: ${config.publication} no longer publishes ${removed.join(', ')} (not in PUBLICATION_TABLES): their changes stop reaching the replicas; add them to PUBLICATION_TABLES in .env to keep them`,
    )
  }
  c.steps.ok(
    `${c.config.primary.name}: publication ${config.publication} FOR TABLE ${config.tables.join(', ')}${added.length ? ` (added ${added.join(', ')})` : ''}`,
    !right,
  )
}

/**
 * A subscription made before a table was published does not have it until REFRESH PUBLICATION.
 * The new tables are copied, so they must be empty on the replica (rows there would collide).
 */
async function refreshIfBehind(c: SetupContext, replica: NodeSpec, sql: Sql, name: string): Promise<boolean> {
  const subscribed = (
    await sql`
    select c.relname from pg_subscription_rel r join pg_subscription s on s.oid = r.srsubid join pg_class c on c.oid = r.srrelid
    where s.subname = ${name}`
  ).map(r => r.relname as string)
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
  const toCopy: { replica: NodeSpec; chosen: ChosenOption[] }[] = []
  try {
    for (const replica of c.config.replicas) {
      const sql = await connectChecked(replica)
      let next: Next = 'skip'
      try {
        next = await subscription(c, replica, sql, primary)
        if (typeof next === 'object') toCopy.push({ replica, chosen: next.copy })
      } finally {
        if (next !== 'skip') created.push({ replica, sql })
        else await sql.end()
      }
    }
    const started = Date.now()
    const copied = await Promise.allSettled(toCopy.map(x => snapshotCopy(c, primary, x.replica, x.chosen)))
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
type Next = 'wait' | 'skip' | { copy: ChosenOption[] }

/**
 * Binary COPY where both ends read each other's binary: the same major, or both 16+ as for the
 * subscription's binary option (the schema step has already proven the column types equal).
 */
const binaryCopy = (publisherNum: number, subscriberNum: number) =>
  majorOf(publisherNum) === majorOf(subscriberNum) || Math.min(majorOf(publisherNum), majorOf(subscriberNum)) >= 16

/** The snapshot copy into one new replica, then its subscription on that slot (052). */
async function snapshotCopy(c: SetupContext, primary: Sql, replica: NodeSpec, chosen: ChosenOption[]): Promise<void> {
  const { config } = c
  const name = subscriptionName(replica)
  const binary = await withNode(replica, async sql =>
    binaryCopy(await serverVersionNum(primary), await serverVersionNum(sql)),
  )
  const plan = { slot: name, binary, jobs: c.copyJobs }
  if (c.dryRun) {
    console.log(
      `-- ${replica.name}: ${name} connects with: ${printableConninfo(subscriptionConninfo(config, c.password))}`,
    )
    for (const line of describeOptions(chosen)) console.log(`-- ${replica.name}: ${line}`)
    console.log(`-- ${config.primary.name}, replication connection: ${createSlotStatement(name)}`)
    for (const t of await tablesToCopy(primary, config.tables)) {
      const q = copyStatements(t, binary)
      console.log(
        `-- ${config.primary.name} → ${replica.name} (REPEATABLE READ, SET TRANSACTION SNAPSHOT of that slot): ${q.out} | ${q.in}`,
      )
    }
  } else {
    const result = await copyFromSnapshot(config.primary, replica, config.tables, plan)
    c.steps.ok(
      `${replica.name}: copied ${result.tables.length} tables from the snapshot of slot ${name} in ${Math.round(result.copyMs)} ms (${c.copyJobs} COPY pipes, ${binary ? 'binary' : 'text'}), then built ${result.indexes.length} deferred indexes in ${Math.round(result.indexMs)} ms`,
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
  if (!existing && !(await readyForInitialCopy(c, replica, sql, primary))) return 'skip'
  if (!existing && c.copyMethod === 'snapshot') return { copy: chosen }
  if (c.dryRun) {
    console.log(`-- ${replica.name}: ${name} connects with: ${printableConninfo(conninfo)}`)
    for (const line of describeOptions(existing ? changes.set : chosen)) console.log(`-- ${replica.name}: ${line}`)
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
    const rebuilt = await buildDeferredIndexes(replica, c.copyJobs)
    if (rebuilt.length)
      steps.ok(
        `${replica.name}: built ${rebuilt.map(i => i.index).join(', ')} again (an interrupted copy had deferred them)`,
        true,
      )
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

/** wait_for_catchup on the PRIMARY, then proof from pg_stat_ssl that every walsender uses TLS. Returns the catch-up ms. */
export async function catchUp(c: SetupContext, primary: Sql, subscribed: string[]): Promise<number | null> {
  if (c.dryRun || subscribed.length === 0) return null
  const { steps } = c
  const started = Date.now()
  try {
    await waitForCatchup(primary, subscribed, c.timeoutMs)
  } catch (error) {
    steps.fail(`catch-up: ${(error as Error).message}`)
    return null
  }
  const ms = Date.now() - started
  steps.verify(`catch-up: ${subscribed.join(', ')} replayed the PRIMARY's current LSN in ${ms} ms`)
  const streams = await primary`
    select r.application_name as name, s.version from pg_stat_replication r join pg_stat_ssl s using (pid)
    where r.application_name = any(${subscribed}) and s.ssl order by r.application_name`
  if (streams.length === subscribed.length)
    steps.verify(`TLS: ${streams.map(t => `${t.name} streams over ${t.version}`).join(', ')}`)
  else steps.fail(`TLS: ${subscribed.filter(s => !streams.some(t => t.name === s)).join(', ')} not streaming over TLS`)
  return ms
}
