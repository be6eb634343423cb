// The PRIMARY's verdicts: settings, the publication and what it leaves out, replica identity,
// and slots. Pure: facts in, verdicts out. A slot that belongs to one of this cluster's
// subscriptions is never offered for dropping; its replica's verdicts say what is wrong.
import { formatBytes } from '../output.js'
import { subscriptionName } from '../replication/names.js'
import type { ClusterFacts, ReplicaFacts, Slot } from './facts.js'
import { admission, hbaAddress } from '../replication/hba-rules.js'
import { type Say, type Thresholds, type Verdict, shortTimeout, subscriptionOf } from './figures.js'

const restartOnly = [
  'wal_level',
  'max_wal_senders',
  'max_replication_slots',
  'max_worker_processes',
  'max_logical_replication_workers',
]

/** A table-sync slot: pg_<subscription oid>_sync_<table oid>_<system id>, made and dropped by the subscription itself. */
const SYNC_SLOT = /^pg_(\d+)_sync_\d+_\d+$/

/**
 * The replica whose subscription uses the slot: by its slot name (replkit's name when the replica
 * is down), or a table-sync slot by the subscription's oid in its name.
 */
export function slotOwner(facts: ClusterFacts, slot: Slot): ReplicaFacts | undefined {
  const syncOf = SYNC_SLOT.exec(slot.name)?.[1]
  return facts.replicas.find(r => {
    const sub = subscriptionOf(r)
    return (sub?.slotName ?? subscriptionName(r)) === slot.name || (syncOf !== undefined && sub?.id === Number(syncOf))
  })
}

/** A setting in bytes: the value times its unit (pg_settings reports MB for the keep size, with a unit). */
const megabytes = (value: string | undefined) => (value === undefined ? null : Number(value))

/**
 * Why a slot is lost, in words: PostgreSQL 17+ says it (invalidation_reason); 15–16 only say
 * wal_status lost, which there always means removed WAL.
 */
export function slotLoss(slot: Slot): string {
  switch (slot.invalidationReason) {
    case 'idle_timeout':
      return 'was invalidated for idling longer than idle_replication_slot_timeout (invalidation_reason idle_timeout)'
    case 'wal_level_insufficient':
      return 'was invalidated because wal_level on the PRIMARY went below logical (invalidation_reason wal_level_insufficient)'
    case 'rows_removed':
      return 'was invalidated because rows it needed were vacuumed away (invalidation_reason rows_removed)'
    case 'wal_removed':
      return 'lost WAL it needed (wal_status lost, invalidation_reason wal_removed: max_slot_wal_keep_size)'
    default:
      return 'lost WAL it needed (wal_status lost)'
  }
}

/** Seconds of a setting that pg_settings reports in seconds; 0 when unset or absent (before 18). */
const seconds = (value: string | undefined) => (value === undefined ? 0 : Number(value))

export function primaryVerdicts(facts: ClusterFacts, t: Thresholds): Verdict[] {
  const p = facts.primary
  const out: Verdict[] = []
  const say: Say = (code, level, problem, fix) => out.push({ code, level, node: p.name, problem, fix })
  if (!p.up || !p.server) return out
  const settings = p.server.settings
  const walLevel = settings.wal_level
  const pending = walLevel?.pendingRestart ? p.server.walLevelInFile : null
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
  for (const name of restartOnly.filter(n => n !== 'wal_level')) {
    if (settings[name]?.pendingRestart)
      say(
        'SETTING_RESTART_PENDING',
        'warning',
        `${name} was changed on primary but is not in effect`,
        'restart the PRIMARY to apply it',
      )
  }
  const capacity = [
    ['max_wal_senders', p.server.walSendersUsed],
    ['max_replication_slots', p.server.slotsUsed],
  ] as const
  for (const [name, used] of capacity) {
    const total = Number(settings[name]?.setting ?? 0)
    if (used >= total)
      say(
        'CAPACITY_EXHAUSTED',
        'warning',
        `${name} is exhausted on primary (${used} of ${total} in use)`,
        `raise ${name} (ALTER SYSTEM, then a restart) before adding a replica`,
      )
  }
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
  publicationVerdicts(facts, say)
  admissionVerdicts(facts, say)
  const heldByTransaction = oldTransactionVerdict(facts, t, say)
  for (const slot of p.slots.filter(s => !heldByTransaction.includes(s.name))) slotVerdict(facts, slot, t, say)
  walDiskVerdict(facts, say)
  return out
}

/**
 * The WAL the slots hold against the disk it lives on (read where replkit runs the server): a
 * disk with less free than the slots already hold fills if they go on holding, and a full WAL
 * disk stops the PRIMARY. max_slot_wal_keep_size bounds the hold; unset (-1), only the disk does.
 */
function walDiskVerdict(facts: ClusterFacts, say: Say): void {
  const disk = facts.primary.walDisk
  const held = Math.max(0, ...facts.primary.slots.filter(s => s.walStatus !== 'lost').map(s => s.retainedBytes ?? 0))
  if (!disk || held === 0 || disk.freeBytes >= 2 * held) return
  const keep = megabytes(facts.primary.server?.settings.max_slot_wal_keep_size?.setting)
  const cap =
    keep === null || keep < 0
      ? `max_slot_wal_keep_size is unset, so only the disk limits them: ALTER SYSTEM SET max_slot_wal_keep_size = '${Math.floor(disk.freeBytes / 2 / 1024 / 1024)}MB'; SELECT pg_reload_conf(); (a slot past it is lost, and its replica resynced, instead of the PRIMARY stopping)`
      : `max_slot_wal_keep_size (${keep} MB) invalidates a slot past it`
  say(
    'WAL_DISK_FILLING',
    disk.freeBytes < held ? 'critical' : 'warning',
    `the slots hold ${formatBytes(held)} of WAL on primary, and the disk of its WAL has ${formatBytes(disk.freeBytes)} free of ${formatBytes(disk.totalBytes)}: if they go on holding, it fills and the PRIMARY stops`,
    `bring the replicas that hold it back (see their verdicts), or free space on that disk; ${cap}`,
  )
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
      t.schema === 'public' &&
      facts.tables.includes(t.table) &&
      t.exists &&
      !t.publications.includes(facts.publication),
  )
  if (unpublished.length > 0) {
    const names = unpublished.map(t => t.table).join(', ')
    say(
      'PUBLICATION_INCOMPLETE',
      'critical',
      `${facts.publication} does not publish ${names}`,
      'run make replicate (it publishes them and refreshes every subscription)',
    )
  }
  for (const u of p.unpublished.filter(u => !(u.schema === 'public' && facts.tables.includes(u.table)))) {
    say(
      'TABLE_UNPUBLISHED',
      'warning',
      `${u.schema}.${u.table} takes writes on the PRIMARY (${u.writes} rows written, ${u.liveRows} live) but is in no publication: none of it reaches the replicas`,
      `if it should replicate: create it on every replica (DDL is not replicated), add it to PUBLICATION_TABLES in .env, then make replicate (it publishes it and refreshes every subscription, which copies it once)`,
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
        `${table.schema}.${table.table} is published without a primary key or replica identity: UPDATE and DELETE on it fail on the PRIMARY`,
        `add a primary key, or ALTER TABLE ${table.schema}.${table.table} REPLICA IDENTITY FULL`,
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

/** A transaction older than this that holds an id may be what keeps the slots' WAL (restart_lsn moves every ~15 s). */
const OLD_TRANSACTION_SECONDS = 30
/** WAL a slot keeps beyond what its consumer confirmed before that is put down to an old transaction. */
const HELD_BYTES = 16 * 1024 * 1024

/**
 * Logical decoding keeps the WAL back to the start of the oldest running transaction, so one
 * session left open in a transaction makes every logical slot retain WAL however caught up its
 * replica is: that transaction is named, not the replica. Returns the slots it explains.
 */
function oldTransactionVerdict(facts: ClusterFacts, t: Thresholds, say: Say): string[] {
  const old = facts.primary.oldTransactions[0]
  if (!old || old.ageSeconds < OLD_TRANSACTION_SECONDS) return []
  const held = facts.primary.slots.filter(
    s => s.type === 'logical' && (s.retainedBytes ?? 0) - (s.unconfirmedBytes ?? 0) > HELD_BYTES,
  )
  if (!held.length) return []
  const most = Math.max(...held.map(s => s.retainedBytes ?? 0))
  const who = `pid ${old.pid}, user ${old.user}${old.applicationName ? `, application ${old.applicationName}` : ''}, ${old.state}, open ${Math.round(old.ageSeconds)} s`
  say(
    'OLD_TRANSACTION_HOLDS_WAL',
    most > t.maxRetainedBytes ? 'critical' : 'warning',
    `a transaction open on primary (${who}; last query: ${old.query}) makes ${held.map(s => s.name).join(', ')} retain up to ${formatBytes(most)} of WAL: ` +
      'logical decoding keeps the WAL back to the start of the oldest running transaction, however caught up the replicas are',
    `have its application end it (COMMIT or ROLLBACK), or on primary: SELECT pg_terminate_backend(${old.pid}); (its uncommitted work is rolled back)`,
  )
  return held.map(s => s.name)
}

function slotVerdict(facts: ClusterFacts, slot: Slot, t: Thresholds, say: Say): void {
  const owner = slotOwner(facts, slot)
  const retained = slot.retainedBytes ?? 0
  const abandoned = `no subscription of this cluster uses it: if nothing else does, SELECT pg_drop_replication_slot('${slot.name}')`
  if (slot.walStatus === 'lost') {
    // The owner's verdicts carry the fix (a resync); a foreign slot can only go.
    if (!owner)
      say('SLOT_LOST', 'critical', `slot ${slot.name} ${slotLoss(slot)}: its consumer cannot resume`, abandoned)
    return
  }
  const idleLimit = seconds(facts.primary.server?.settings.idle_replication_slot_timeout?.setting)
  if (idleLimit > 0 && !slot.active && slot.inactiveSince) {
    const left = idleLimit - (Date.now() - new Date(slot.inactiveSince).getTime()) / 1000
    say(
      'SLOT_IDLE_TIMEOUT',
      'warning',
      `slot ${slot.name} has had no consumer since ${new Date(slot.inactiveSince).toISOString().replace(/\.\d+Z$/, 'Z')}: idle_replication_slot_timeout (${idleLimit} s) invalidates it ${left > 0 ? `in about ${Math.ceil(left / 60)} min` : 'at the next checkpoint'}, and then ${owner ? `${owner.name} needs a full resync` : 'its consumer cannot resume'}`,
      owner
        ? `bring ${owner.name}'s subscription back before then (see its verdicts), or ALTER SYSTEM SET idle_replication_slot_timeout = 0; SELECT pg_reload_conf();`
        : abandoned,
    )
  }
  if (slot.walStatus === 'unreserved') {
    say(
      'SLOT_WAL_AT_RISK',
      'critical',
      `slot ${slot.name} is about to lose WAL it needs (wal_status unreserved${slot.safeWalSize !== null ? `, ${formatBytes(Math.max(0, slot.safeWalSize))} of WAL until it is lost` : ''}): the next checkpoint may invalidate it`,
      `${owner ? `let ${owner.name} catch up (see its verdicts), or` : ''} raise max_slot_wal_keep_size at once: ALTER SYSTEM SET max_slot_wal_keep_size = '-1'; SELECT pg_reload_conf();`,
    )
    return
  }
  if (retained > t.maxRetainedBytes) {
    say(
      'SLOT_RETAINS_WAL',
      'critical',
      `slot ${slot.name} retains ${formatBytes(retained)} of WAL (over ${formatBytes(t.maxRetainedBytes)})`,
      owner
        ? `${owner.name} is far behind or stopped: see its verdicts; the PRIMARY's disk fills while it is`
        : abandoned,
    )
  } else if (!slot.active && retained > 0 && !owner) {
    say(
      'SLOT_ORPHANED',
      'warning',
      `slot ${slot.name} is inactive and holds ${formatBytes(retained)} of WAL`,
      abandoned,
    )
  }
}
