// A replica's verdicts: its subscription, whether it streams and why apply stopped (each cause with
// its own fix: verdicts-worker.ts), schema drift against the PRIMARY, table sync, lag. Pure: facts in, verdicts out.
// Errors are judged by whether they still block apply, so a recovered subscription is OK again
// without resetting counters; past errors become a note.
import { formatBytes } from '../output.js'
import { subscriptionName } from '../replication/names.js'
import type { ClusterFacts, ReplicaFacts, Subscription } from './facts.js'
import { slotLoss } from './verdicts-wal.js'
import { ownerVerdict, workerVerdicts } from './verdicts-worker.js'
import { type Drift, describeDrift, schemaDrift } from '../replication/schema-drift.js'
import {
  applyingLong,
  type Say,
  type Scene,
  type Thresholds,
  type Verdict,
  replicaLags,
  shortTimeout,
  subscriptionOf,
  tablesCopying,
} from './figures.js'

const syncStates: Record<string, string> = {
  i: 'initializing',
  d: 'copying data',
  f: 'copy finished',
  s: 'synchronized',
}

/** Drift between the PRIMARY's and the replica's replicated tables (none when either is unknown). */
export function replicaDrift(facts: ClusterFacts, replica: ReplicaFacts): Drift[] {
  if (!facts.primary.columns.length || !replica.columns.length) return []
  return schemaDrift(facts.primary.columns, replica.columns, facts.publishedParts)
}

export function replicaVerdicts(facts: ClusterFacts, replica: ReplicaFacts, t: Thresholds): Verdict[] {
  const out: Verdict[] = []
  const say: Say = (code, level, problem, fix) => out.push({ code, level, node: replica.name, problem, fix })
  if (!replica.up) return out
  const drift = replicaDrift(facts, replica)
  driftVerdicts(replica.name, drift, say)
  settingVerdicts(replica, say)
  const sub = subscriptionOf(replica)
  if (!sub) {
    missingSubscription(replica, say)
    return out
  }
  const scene = sceneOf(facts, replica, sub, drift, t, say)
  if (slotGone(scene)) return out
  workerVerdicts(scene)
  tableSyncVerdicts(scene)
  lagVerdicts(scene)
  ownerVerdict(scene)
  return out
}

/** The Scene of one replica's subscription, looked up once. */
function sceneOf(
  facts: ClusterFacts,
  replica: ReplicaFacts,
  sub: Subscription,
  drift: Drift[],
  t: Thresholds,
  say: Say,
): Scene {
  const name = subscriptionName(replica)
  return {
    facts,
    replica,
    R: replica.name,
    name,
    sub,
    breaking: drift.filter(d => d.breaksApply),
    lag: replicaLags(facts).find(l => l.replica === replica.name)!,
    sender: facts.primary.walSenders.find(w => w.applicationName === name),
    t,
    say,
  }
}

/** Columns that differ from the PRIMARY's, each with the DDL that aligns them. */
function driftVerdicts(R: string, drift: Drift[], say: Say): void {
  for (const d of drift) {
    say(
      'SCHEMA_DRIFT',
      d.breaksApply ? 'critical' : 'warning',
      `schema drift: ${describeDrift(d, R)}`,
      (d.ddl ? `on ${R}: ${d.ddl} — ${d.note}` : d.note).replaceAll('--replica R ', `--replica ${R} `),
    )
  }
}

/** Settings of the replica that break apply or let clients write beside it. */
function settingVerdicts(replica: ReplicaFacts, say: Say): void {
  const R = replica.name
  const receiver = shortTimeout(replica.server?.settings.wal_receiver_timeout?.setting)
  if (receiver) {
    say(
      'RECEIVER_TIMEOUT_SHORT',
      'warning',
      `wal_receiver_timeout is ${receiver} on ${R}: its apply worker gives up on the PRIMARY while the PRIMARY is still decoding a large transaction, and starts it again`,
      `on ${R}: ALTER SYSTEM SET wal_receiver_timeout = '60s'; SELECT pg_reload_conf(); (PostgreSQL's default)`,
    )
  }
  if (subscriptionOf(replica) && replica.server && !replica.server.readOnlyForClients)
    say(
      'REPLICA_ACCEPTS_WRITES',
      'warning',
      `${R} accepts client writes: a session that reaches it (a libpq multi-host URL, an old address) writes rows the PRIMARY never gets`,
      `make replicate: it makes every replica read-only for client sessions (default_transaction_read_only for its database; the apply worker and replkit still write); sessions already open keep their setting until they reconnect`,
    )
}

function missingSubscription(replica: ReplicaFacts, say: Say): void {
  const R = replica.name
  say(
    'SUBSCRIPTION_MISSING',
    'critical',
    replica.subscriptions.length === 0
      ? `no subscriptions on ${R}`
      : `subscription ${subscriptionName(replica)} is missing on ${R}`,
    'run make replicate',
  )
}

/** A slot lost or missing on the PRIMARY: the subscription can never resume, so nothing else is judged. */
function slotGone({ facts, sub, name, R, say }: Scene): boolean {
  if (!facts.primary.up) return false
  const slot = facts.primary.slots.find(s => s.name === (sub.slotName ?? name))
  if (slot?.walStatus === 'lost') {
    say(
      'SUBSCRIPTION_SLOT_LOST',
      'critical',
      `${name}'s slot ${slot.name} ${slotLoss(slot)}: ${R} can never resume from it, and ENABLE cannot help`,
      `resync ${R}: make sync ARGS="--replica ${R} --yes" (a new slot and a fresh copy; writes made meanwhile are copied too)`,
    )
    return true
  }
  if (!slot) {
    say(
      'SUBSCRIPTION_SLOT_MISSING',
      'critical',
      `${name}'s slot ${sub.slotName ?? name} does not exist on the PRIMARY`,
      `resync ${R}: make sync ARGS="--replica ${R} --yes" (re-creates the subscription and its slot)`,
    )
    return true
  }
  return false
}

/** The initial copy of each table: errors, tables not subscribed, tables still copying. */
function tableSyncVerdicts({ facts, sub, name, R, breaking, say }: Scene): void {
  const syncing = tablesCopying(sub)
  // The count is cumulative; a sync error is current only while a table is still being copied.
  if (sub.syncErrorCount > 0 && syncing.length > 0) {
    say(
      'TABLE_SYNC_ERRORS',
      'critical',
      `${name} has ${sub.syncErrorCount} table sync error${sub.syncErrorCount === 1 ? '' : 's'}`,
      `see ${R}'s log (often rows already present on the replica: resync with make sync ARGS="--replica ${R} --yes")`,
    )
  }
  const notSubscribed = facts.tables.filter(table => !(table in sub.tableStates))
  if (notSubscribed.length > 0) {
    say(
      'TABLES_NOT_SUBSCRIBED',
      'critical',
      `${name} does not subscribe to ${notSubscribed.join(', ')}`,
      'run make replicate (it publishes them and refreshes the subscription, which copies them once)',
    )
  }
  if (syncing.length === 0 || !sub.enabled) return
  const tables = syncing.map(([table, state]) => `${table} (${syncStates[state] ?? state})`).join(', ')
  if (breaking.some(d => syncing.some(([table]) => table === d.table))) {
    say(
      'TABLE_COPY_BLOCKED',
      'critical',
      `${name} cannot finish copying ${tables}: the columns differ from the PRIMARY's`,
      'align the schema with the DDL above; the copy then restarts by itself',
    )
  } else {
    say(
      'TABLES_SYNCHRONIZING',
      'warning',
      `${name} is still synchronizing ${tables}`,
      'wait for the initial copy and run make check again',
    )
  }
}

/** Committed transactions not yet applied: one held open by the apply worker, or WAL still to apply. */
function lagVerdicts({ R, lag, sender, t, say }: Scene): void {
  if (sender && applyingLong(lag)) {
    // The walsender's position counts streamed changes as they are spooled: only the open apply transaction tells.
    const left = lag.bytes ?? 0
    const rows = `its rows are not visible on ${R} until it commits there (${formatBytes(left)} of the PRIMARY's WAL since the last commit ${R} applied)`
    const held = `${(lag.applyingMs / 1000).toFixed(1)} s`
    if (lag.blockedBy)
      say(
        'APPLY_WAITS_FOR_LOCK',
        left > t.maxLagBytes ? 'critical' : 'warning',
        `${R} has not applied a transaction the PRIMARY committed: its apply worker has waited ${held} for a lock held on ${R} by ${lag.blockedBy.map(b => `pid ${b.pid} (${b.application}, ${b.state} for ${b.seconds} s)`).join('; ')}; ${rows}`,
        `end that session's transaction on ${R}; if it is abandoned: SELECT pg_terminate_backend(pid) FROM unnest('{${lag.blockedBy.map(b => b.pid).join(',')}}'::int[]) AS pid; on ${R}. The worker then applies by itself`,
      )
    else
      say(
        'APPLY_IN_PROGRESS',
        left > t.maxLagBytes ? 'critical' : 'warning',
        `${R} has not applied a transaction the PRIMARY committed: its apply worker has been applying it for ${held}, and ${rows}`,
        "wait and run make check again: the rows appear when that transaction commits on the replica; if it never does, read the replica's log",
      )
  } else if (lag.bytes !== null && lag.bytes > t.maxLagBytes && sender) {
    const critical = lag.bytes > t.criticalLagBytes
    say(
      'REPLICATION_LAG',
      critical ? 'critical' : 'warning',
      `${R} has ${formatBytes(lag.bytes)} of the PRIMARY's WAL still to apply (over ${formatBytes(critical ? t.criticalLagBytes : t.maxLagBytes)})`,
      'a large transaction in flight, or apply slower than the writes: wait, it shrinks as the replica applies; if it only grows, read its log',
    )
  }
}
