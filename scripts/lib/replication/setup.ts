// The steps of make replicate, each checking what is there before changing it, so a second run
// changes nothing. Every step takes the same context: config, the ✓/✗ tally, dry-run.
import { sqlName } from '../table-name.js'
import { intendedPublication, publishedTables, samePublication } from './publication.js'
import { publicationObjects } from '../publication-tables.js'
import { dryRunSql } from '../output.js'
import { describeDrift } from './schema-drift.js'
import { ensureSchema } from '../schema.js'
import { type Sql, withNode } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { hbaLines } from './hba.js'
import { qualifiedTables } from './names.js'
import { type Preflight, roleState } from './preflight.js'
import { scramMatches, scramVerifier } from './scram.js'
import { waitForCatchup } from './waits.js'
import { waitFor } from '../wait.js'
import { createTables, tableDefinitions } from './table-definitions.js'
import type { NodeSpec } from '../config.js'
import { type SetupContext, runFile } from './setup-context.js'

export type { SetupContext } from './setup-context.js'
export { type Ready, subscriptions } from './subscriptions.js'

/**
 * DDL is not replicated: a replica that lacks published tables gets the PRIMARY's own definitions
 * of them (then replkit's helpers from sql/schema); any drift in the tables it has stops the run.
 */
export async function schemaOnReplicas(c: SetupContext, facts: Preflight, primary: Sql): Promise<void> {
  for (const replica of c.config.replicas) {
    const missing = facts.missingTables[replica.name] ?? []
    if (missing.length) await createMissingTables(c, replica, primary, missing)
    const drift = facts.drift[replica.name] ?? []
    if (drift.length) {
      for (const d of drift)
        c.steps.fail(
          `${replica.name}: schema drift: ${describeDrift(d, replica.name)}${d.ddl ? `; align it there with: ${d.ddl}` : `; ${d.note}`}`,
        )
      throw new ReplkitError(
        `${replica.name}: its schema differs from the PRIMARY's; fix the drift, then run make replicate again`,
        EXIT.failed,
      )
    }
    if (!missing.length) c.steps.ok(`${replica.name}: schema matches the PRIMARY column for column`, false)
  }
}

/** The PRIMARY's definitions of the tables, created on the replica in one transaction; then replkit's helpers. */
async function createMissingTables(c: SetupContext, replica: NodeSpec, primary: Sql, tables: string[]): Promise<void> {
  const definitions = await tableDefinitions(primary, tables)
  const what = `${tables.join(', ')} from the PRIMARY's definitions (DDL is not replicated)`
  if (c.dryRun) {
    dryRunSql.print(
      `-- ${replica.name}, one transaction: the PRIMARY's definitions of ${tables.join(', ')}\n${definitions.map(d => `   ${d.statement}`).join('\n')}`,
    )
    c.steps.ok(`would create on ${replica.name}: ${what}; then replkit's helpers from sql/schema`, true)
    return
  }
  await withNode(replica, sql => createTables(replica, sql, definitions))
  await ensureSchema(replica)
  c.steps.ok(`${replica.name}: created ${what}, in one transaction; replkit's helpers from sql/schema`, true)
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
  if (!c.servers.owns(config.primary)) {
    throw new ReplkitError(
      `${c.config.primary.name}: ${listChanges(changes)} are set but need a restart (a reload does not apply them); restart the server, e.g. "sudo systemctl restart postgresql" or "pg_ctl restart -D <data directory>", then run make replicate again`,
      EXIT.failed,
    )
  }
  await c.servers.restart(config.primary)
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
      dryRunSql.print(
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
  if (!c.servers.owns(config.primary)) {
    steps.warn(
      `${c.config.primary.name}: not the local cluster — make sure its pg_hba.conf has these lines, above any broader rule, then reload:\n${lines.map(l => `      ${l}`).join('\n')}`,
    )
    return
  }
  const changed = await c.servers.writeHba(config.primary, lines, dryRun)
  if (changed && dryRun)
    dryRunSql.print(
      `-- ${c.config.primary.name}: pg_hba.conf replication block:\n${lines.map(l => `   ${l}`).join('\n')}`,
    )
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
  const actual = await publishedTables(primary, config.publication)
  const intended = await intendedPublication(primary, config)
  const right = pub.n === 1 && samePublication(actual, intended)
  if (!right)
    await runFile(c, config.primary, '040_publication.sql', {
      publication: config.publication,
      objects: publicationObjects({ tables: config.tables, parts: config.publishedParts }),
    })
  const published = actual.map(t => t.table)
  // Named schema-qualified: a table no longer configured may be in any schema.
  const removed = pub.n === 1 ? published.filter(t => !config.tables.includes(t)).map(sqlName) : []
  const added = pub.n === 1 ? config.tables.filter(t => !published.includes(t)) : []
  if (removed.length) {
    c.steps.warn(
      `${c.config.primary.name}: ${config.publication} no longer publishes ${removed.join(', ')} (not in PUBLICATION_TABLES): their changes stop reaching the replicas; add them to PUBLICATION_TABLES in .env to keep them`,
    )
  }
  c.steps.ok(
    `${c.config.primary.name}: publication ${config.publication} FOR TABLE ${config.tables.map(t => (t in config.publishedParts ? `${t} (in part)` : t)).join(', ')}${added.length ? ` (added ${added.join(', ')})` : ''}`,
    !right,
  )
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
  const streams = await tlsStreams(primary, subscribed, c.timeoutMs)
  const plain = streams.filter(t => !t.ssl).map(t => t.name)
  const missing = subscribed.filter(name => !streams.some(t => t.name === name))
  if (plain.length) steps.fail(`TLS: ${plain.join(', ')} streaming without TLS`)
  if (missing.length)
    steps.fail(`TLS: ${missing.join(', ')} had no walsender on the PRIMARY within ${c.timeoutMs / 1000} s`)
  if (!plain.length && !missing.length)
    steps.verify(`TLS: ${streams.map(t => `${t.name} streams over ${t.version}`).join(', ')}`)
  return ms
}

/**
 * Each subscription's walsender and its TLS, once every one has a walsender: an apply worker
 * that restarts after its table copies (or a busy machine: ten replicas on two cores) is
 * briefly without one, and that moment is not a stream without TLS.
 */
async function tlsStreams(primary: Sql, subscribed: string[], timeoutMs: number) {
  const read = () => primary`
    select r.application_name as name, s.ssl, s.version from pg_stat_replication r join pg_stat_ssl s using (pid)
    where r.application_name = any(${subscribed}) order by r.application_name`
  // Past the wait, what there is: the caller names the walsenders that never came.
  return waitFor({
    what: "every subscription's walsender on the PRIMARY",
    timeoutMs,
    until: async () => {
      const streams = await read()
      return streams.length >= subscribed.length ? streams : undefined
    },
  }).catch(read)
}
