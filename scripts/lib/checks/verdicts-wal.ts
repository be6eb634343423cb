// The WAL the PRIMARY keeps for logical decoding: each slot (lost, about to be, idle, holding
// too much, or nobody's), an old transaction that holds it back whatever the replicas applied, and
// the disk it fills. Pure: facts in, verdicts out. A slot that belongs to one of this cluster's
// subscriptions is never offered for dropping; its replica's verdicts say what is wrong.
import { formatBytes } from '../output.js'
import { slotNames, subscriptionName } from '../replication/names.js'
import type { ClusterFacts, ReplicaFacts, Slot } from './facts.js'
import { type Say, type Thresholds, subscriptionOf } from './figures.js'

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
    // Its subscription could not be read: the slot names replkit gives it tell (a resync alternates two).
    if (!r.up) return slotNames(r).includes(slot.name)
    return (sub?.slotName ?? subscriptionName(r)) === slot.name || (syncOf !== undefined && sub?.id === Number(syncOf))
  })
}

/** Replicas whose subscriptions could not be read: a slot nobody else owns may be theirs. */
const unreadReplicas = (facts: ClusterFacts) => facts.replicas.filter(r => !r.up).map(r => r.name)

/** A setting in bytes: the value times its unit (pg_settings reports MB for the keep size, with a unit). */
export const megabytes = (value: string | undefined) => (value === undefined ? null : Number(value))

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

/** The slots, an old transaction holding WAL back (named instead of its slots), and the WAL disk. */
export function walRetentionVerdicts(facts: ClusterFacts, t: Thresholds, say: Say): void {
  const heldByTransaction = oldTransactionVerdict(facts, t, say)
  for (const slot of facts.primary.slots.filter(s => !heldByTransaction.includes(s.name)))
    slotVerdict(facts, slot, t, say)
  walDiskVerdict(facts, say)
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
  const unread = unreadReplicas(facts)
  // Never "drop it" while a replica that may use it could not be read: dropping a live subscription's slot forces its full resync.
  const abandoned = unread.length
    ? `do not drop it: ${unread.join(', ')} could not be read, and it may be ${unread.length === 1 ? 'its' : 'their'} subscription's slot; run make check again once ${unread.length === 1 ? 'it answers' : 'they answer'}`
    : `no subscription of this cluster uses it: if nothing else does, SELECT pg_drop_replication_slot('${slot.name}')`
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
  } else if (!slot.active && retained > 0 && !owner && !unread.length) {
    say(
      'SLOT_ORPHANED',
      'warning',
      `slot ${slot.name} is inactive and holds ${formatBytes(retained)} of WAL`,
      abandoned,
    )
  }
}
