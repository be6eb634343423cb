// The PRIMARY's verdicts: settings, the publication and what it leaves out, replica identity,
// the replication role's admission, and the WAL it keeps (verdicts-wal.ts). Pure: facts in,
// verdicts out.
import { qualifiedName, tableText } from '../table-name.js'
import type { ClusterFacts } from './facts.js'
import { admission, hbaAddress } from '../replication/hba-rules.js'
import { type Say, type Thresholds, type Verdict, shortTimeout, subscriptionOf } from './figures.js'
import { megabytes, walRetentionVerdicts } from './verdicts-wal.js'

const restartOnly = [
  'wal_level',
  'max_wal_senders',
  'max_replication_slots',
  'max_worker_processes',
  'max_logical_replication_workers',
]

export function primaryVerdicts(facts: ClusterFacts, t: Thresholds): Verdict[] {
  const p = facts.primary
  const out: Verdict[] = []
  const say: Say = (code, level, problem, fix) => out.push({ code, level, node: p.name, problem, fix })
  if (!p.up || !p.server) return out
  walLevelVerdicts(facts, say)
  restartSettingVerdicts(p.server.settings, say)
  capacityVerdicts(p.server, say)
  walSettingVerdicts(p.server.settings, say)
  publicationVerdicts(facts, say)
  admissionVerdicts(facts, say)
  walRetentionVerdicts(facts, t, say)
  return out
}

type Server = NonNullable<ClusterFacts['primary']['server']>
type Settings = Server['settings']

/** wal_level: not logical, logical pending a restart, or a pending revert that would stop the PRIMARY starting. */
function walLevelVerdicts(facts: ClusterFacts, say: Say): void {
  const p = facts.primary
  const walLevel = p.server?.settings.wal_level
  const pending = walLevel?.pendingRestart ? p.server?.walLevelInFile : null
  const logicalSlots = p.slots.filter(s => s.type === 'logical').length
  if (walLevel?.setting === 'logical' && pending && pending !== 'logical' && logicalSlots > 0) {
    // PostgreSQL refuses to start with logical slots and wal_level < logical: a restart is an outage.
    say(
      'WAL_LEVEL_REVERT_PENDING',
      'critical',
      `wal_level = ${pending} waits for a restart on primary, and ${logicalSlots} logical slot${logicalSlots === 1 ? '' : 's'} exist: the PRIMARY would not start again ` +
        '(FATAL: logical replication slot … exists, but wal_level < logical)',
      'do not restart the PRIMARY; on it: ALTER SYSTEM SET wal_level = logical; SELECT pg_reload_conf(); (the pending value is then withdrawn)',
    )
  } else if (walLevel && walLevel.setting !== 'logical') {
    if (walLevel.pendingRestart && pending === 'logical')
      say(
        'WAL_LEVEL_RESTART_PENDING',
        'critical',
        `wal_level is ${walLevel.setting} on primary and logical waits for a restart`,
        'restart the PRIMARY (a reload is not enough)',
      )
    else
      say(
        'WAL_LEVEL_NOT_LOGICAL',
        'critical',
        `wal_level is ${walLevel.setting} on primary`,
        'run make replicate ARGS="--restart-primary" (wal_level = logical needs a restart)',
      )
  }
}

/** Replication settings changed but waiting for a restart (wal_level has its own verdicts). */
function restartSettingVerdicts(settings: Settings, say: Say): void {
  for (const name of restartOnly.filter(n => n !== 'wal_level')) {
    if (settings[name]?.pendingRestart)
      say(
        'SETTING_RESTART_PENDING',
        'warning',
        `${name} was changed on primary but is not in effect`,
        'restart the PRIMARY to apply it',
      )
  }
}

/** No walsender or slot left for another replica. */
function capacityVerdicts(server: Server, say: Say): void {
  const capacity = [
    ['max_wal_senders', server.walSendersUsed],
    ['max_replication_slots', server.slotsUsed],
  ] as const
  for (const [name, used] of capacity) {
    const total = Number(server.settings[name]?.setting ?? 0)
    if (used >= total)
      say(
        'CAPACITY_EXHAUSTED',
        'warning',
        `${name} is exhausted on primary (${used} of ${total} in use)`,
        `raise ${name} (ALTER SYSTEM, then a restart) before adding a replica`,
      )
  }
}

/** WAL settings that invalidate slots or drop busy replicas. */
function walSettingVerdicts(settings: Settings, say: Say): void {
  const keep = megabytes(settings.max_slot_wal_keep_size?.setting)
  const maxWal = megabytes(settings.max_wal_size?.setting)
  if (keep !== null && keep >= 0 && maxWal !== null && keep < maxWal) {
    say(
      'SLOT_KEEP_SIZE_LOW',
      'warning',
      `max_slot_wal_keep_size is ${keep} MB, below max_wal_size (${maxWal} MB): one checkpoint can invalidate the slot of a replica that is only briefly behind`,
      `ALTER SYSTEM SET max_slot_wal_keep_size = '${Math.max(4 * maxWal, 4096)}MB'; SELECT pg_reload_conf(); (or -1: no limit, the disk is then the limit)`,
    )
  }
  const sender = shortTimeout(settings.wal_sender_timeout?.setting)
  if (sender) {
    say(
      'SENDER_TIMEOUT_SHORT',
      'warning',
      `wal_sender_timeout is ${sender} on primary: a replica busy applying a large transaction stops answering for longer, is dropped, and the whole transaction is sent again, for ever`,
      `ALTER SYSTEM SET wal_sender_timeout = '60s'; SELECT pg_reload_conf(); (PostgreSQL's default)`,
    )
  }
}

function publicationVerdicts(facts: ClusterFacts, say: Say): void {
  const p = facts.primary
  if (!p.publications.some(pub => pub.name === facts.publication)) {
    say(
      'PUBLICATION_MISSING',
      'critical',
      p.publications.length === 0
        ? 'no publications on primary'
        : `publication ${facts.publication} is missing on primary`,
      'run make replicate',
    )
    return
  }
  const unpublished = p.publishedTables.filter(
    t =>
      facts.tables.includes(tableText({ schema: t.schema, name: t.table })) &&
      t.exists &&
      !t.publications.includes(facts.publication),
  )
  if (unpublished.length > 0) {
    const names = unpublished.map(t => tableText({ schema: t.schema, name: t.table })).join(', ')
    say(
      'PUBLICATION_INCOMPLETE',
      'critical',
      `${facts.publication} does not publish ${names}`,
      'run make replicate (it publishes them and refreshes every subscription)',
    )
  }
  const named = [...facts.tables, ...facts.excludedTables]
  for (const u of p.unpublished.filter(u => !named.includes(tableText({ schema: u.schema, name: u.table })))) {
    say(
      'TABLE_UNPUBLISHED',
      'warning',
      `${qualifiedName({ schema: u.schema, name: u.table })} takes writes on the PRIMARY (${u.writes} rows written, ${u.liveRows} live) but is in no publication: none of it reaches the replicas`,
      `add it to PUBLICATION_TABLES in .env, then make replicate: it creates it on every replica from the PRIMARY's definition (DDL is not replicated), publishes it and refreshes every subscription, which copies it once`,
    )
  }
  for (const table of p.publishedTables.filter(t => t.exists && t.publications.length > 0)) {
    const identity =
      table.replicaIdentity === 'full' ||
      table.replicaIdentity === 'index' ||
      (table.replicaIdentity === 'default' && table.hasPrimaryKey)
    if (!identity) {
      say(
        'TABLE_WITHOUT_KEY',
        'critical',
        `${qualifiedName({ schema: table.schema, name: table.table })} is published without a primary key or replica identity: UPDATE and DELETE on it fail on the PRIMARY`,
        `add a primary key, or ALTER TABLE ${qualifiedName({ schema: table.schema, name: table.table })} REPLICA IDENTITY FULL`,
      )
    }
  }
}

/**
 * The replication role's next connection, judged before any walsender needs to reconnect: a role
 * that cannot log in, or pg_hba.conf (as the file reads now) rejecting a replica's address.
 */
function admissionVerdicts(facts: ClusterFacts, say: Say): void {
  const a = facts.primary.admission
  const subscribed = facts.replicas.filter(r => subscriptionOf(r))
  if (!a || !subscribed.length) return
  const role = `the replication role ${a.user}`
  if (!a.canLogin || !a.replication) {
    say(
      'ROLE_CANNOT_REPLICATE',
      'critical',
      `${role} is ${!a.canLogin ? 'NOLOGIN' : 'not REPLICATION'} on primary: no replica can connect again once its walsender ends`,
      'make replicate (it restores LOGIN REPLICATION and the password)',
    )
  } else if (a.validUntil && new Date(a.validUntil).getTime() < Date.now()) {
    say(
      'ROLE_PASSWORD_EXPIRED',
      'critical',
      `${role}'s password expired on ${new Date(a.validUntil).toISOString()} (VALID UNTIL): no replica can log in again once its walsender ends`,
      `on primary: ALTER ROLE ${a.user} VALID UNTIL 'infinity'`,
    )
  }
  if (!a.rules) return
  for (const replica of subscribed) {
    const from = a.from[replica.name]
    const decided = admission(a.rules, { database: a.database, user: a.user, address: from })
    if (decided.result !== 'rejects') continue
    const why = decided.line === null ? 'no line matches it' : `line ${decided.line} rejects it`
    say(
      'HBA_REFUSES_REPLICA',
      'critical',
      `pg_hba.conf on primary refuses ${replica.name}'s subscription (user ${a.user}, database ${a.database}, TLS, from ${from}): ${why}; its walsender runs on only until it reconnects`,
      `make replicate (it writes the replication role's pg_hba.conf lines and reloads), or on primary add before line ${decided.line ?? 'the end'}: hostssl ${a.database} ${a.user} ${hbaAddress(from)} scram-sha-256; then SELECT pg_reload_conf()`,
    )
  }
}
