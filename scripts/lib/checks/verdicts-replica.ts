// A replica's verdicts: its subscription, whether it streams, why apply stopped (each cause with
// its own fix), schema drift against the PRIMARY, table sync, lag. Pure: facts in, verdicts out.
// Errors are judged by whether they still block apply, so a recovered subscription is OK again
// without resetting counters; past errors become a note.
import { formatBytes } from '../output.js'
import { subscriptionName } from '../replication/names.js'
import type { ClusterFacts, ReplicaFacts } from './facts.js'
import { slotLoss } from './verdicts-wal.js'
import { contextFunction } from '../replication/server-error.js'
import { type Drift, describeDrift, schemaDrift } from '../replication/schema-drift.js'
import {
  applyingLong,
  type Say,
  type Thresholds,
  type Verdict,
  blockingApplyFailure,
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
  return schemaDrift(facts.primary.columns, replica.columns)
}

export function replicaVerdicts(facts: ClusterFacts, replica: ReplicaFacts, t: Thresholds): Verdict[] {
  const out: Verdict[] = []
  const say: Say = (code, level, problem, fix) => out.push({ code, level, node: replica.name, problem, fix })
  if (!replica.up) return out
  const R = replica.name
  const drift = replicaDrift(facts, replica)
  for (const d of drift) {
    say(
      'SCHEMA_DRIFT',
      d.breaksApply ? 'critical' : 'warning',
      `schema drift: ${describeDrift(d, R)}`,
      (d.ddl ? `on ${R}: ${d.ddl} — ${d.note}` : d.note).replaceAll('--replica R ', `--replica ${R} `),
    )
  }
  const receiver = shortTimeout(replica.server?.settings.wal_receiver_timeout?.setting)
  if (receiver) {
    say(
      'RECEIVER_TIMEOUT_SHORT',
      'warning',
      `wal_receiver_timeout is ${receiver} on ${R}: its apply worker gives up on the PRIMARY while the PRIMARY is still decoding a large transaction, and starts it again`,
      `on ${R}: ALTER SYSTEM SET wal_receiver_timeout = '60s'; SELECT pg_reload_conf(); (PostgreSQL's default)`,
    )
  }
  const name = subscriptionName(replica)
  const sub = subscriptionOf(replica)
  if (sub && replica.server && !replica.server.readOnlyForClients)
    say(
      'REPLICA_ACCEPTS_WRITES',
      'warning',
      `${R} accepts client writes: a session that reaches it (a libpq multi-host URL, an old address) writes rows the PRIMARY never gets`,
      `make replicate: it makes every replica read-only for client sessions (default_transaction_read_only for its database; the apply worker and replkit still write); sessions already open keep their setting until they reconnect`,
    )
  if (!sub) {
    say(
      'SUBSCRIPTION_MISSING',
      'critical',
      replica.subscriptions.length === 0 ? `no subscriptions on ${R}` : `subscription ${name} is missing on ${R}`,
      'run make replicate',
    )
    return out
  }
  const primary = facts.primary
  const slot = primary.slots.find(s => s.name === (sub.slotName ?? name))
  const lag = replicaLags(facts).find(l => l.replica === R)!
  const sender = primary.walSenders.find(w => w.applicationName === name)
  const failure = replica.log?.applyFailure ?? null
  const blocking = blockingApplyFailure(replica, lag)
  const logged = replica.log?.workerError ?? null
  const breaking = drift.filter(d => d.breaksApply)

  if (primary.up && slot?.walStatus === 'lost') {
    say(
      'SUBSCRIPTION_SLOT_LOST',
      'critical',
      `${name}'s slot ${slot.name} ${slotLoss(slot)}: ${R} can never resume from it, and ENABLE cannot help`,
      `resync ${R}: make sync ARGS="--replica ${R} --yes" (a new slot and a fresh copy; writes made meanwhile are copied too)`,
    )
    return out
  }
  if (primary.up && !slot) {
    say(
      'SUBSCRIPTION_SLOT_MISSING',
      'critical',
      `${name}'s slot ${sub.slotName ?? name} does not exist on the PRIMARY`,
      `resync ${R}: make sync ARGS="--replica ${R} --yes" (re-creates the subscription and its slot)`,
    )
    return out
  }
  if (!sub.enabled) {
    say(
      'SUBSCRIPTION_DISABLED',
      'critical',
      `${name} is disabled`,
      failure && sub.applyErrorCount > 0
        ? `${causeFix(R, name, failure, breaking)}; then ALTER SUBSCRIPTION ${name} ENABLE on ${R}`
        : `ALTER SUBSCRIPTION ${name} ENABLE on ${R}`,
    )
  } else if (primary.up && !sender) {
    // Enabled but the PRIMARY streams nothing to it: the worker cannot connect, or keeps failing.
    if (breaking.length) {
      say(
        'APPLY_STOPPED_BY_DRIFT',
        'critical',
        `${name} is not streaming: apply stops on the schema drift above`,
        'align the schema with the DDL above; apply resumes by itself',
      )
    } else if (blocking && sub.applyErrorCount > 0) {
      say('APPLY_FAILURE', 'critical', applyProblem(name, blocking), causeFix(R, name, blocking, breaking))
    } else if (logged?.cause === 'cannot-connect') {
      say(
        'SUBSCRIPTION_CANNOT_CONNECT',
        'critical',
        `${name} cannot connect to the PRIMARY as the replication role: ${logged.error.replace(/^could not connect to the publisher: /, '')} (${R}'s log, ${logged.loggedAt})`,
        `make replicate (sets the role's password from REPLICATOR_PASSWORD and its pg_hba lines on the PRIMARY, and points ${name} at them); nothing is lost meanwhile: the slot keeps every change`,
      )
    } else {
      say(
        'NOT_STREAMING',
        'critical',
        `${name} is enabled but the PRIMARY has no walsender for it: it is not streaming`,
        `read ${R}'s log (${replica.log?.source ?? 'its server log'}); a worker that cannot start (max_logical_replication_workers) or cannot connect says so there`,
      )
    }
  } else if (sub.applyErrorCount > 0 && blocking) {
    // Before "no worker": a worker that just died on this failure is about to die on it again.
    say('APPLY_FAILURE', 'critical', applyProblem(name, blocking), causeFix(R, name, blocking, breaking))
  } else if (sub.workerPid === null) {
    say(
      'WORKER_NOT_RUNNING',
      'critical',
      `${name} is enabled but no apply worker runs`,
      `read ${R}'s log for why the worker exits; check max_logical_replication_workers`,
    )
  }
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
  if (syncing.length > 0 && sub.enabled) {
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
  return out
}

function applyProblem(name: string, f: NonNullable<NonNullable<ReplicaFacts['log']>['applyFailure']>): string {
  const where = `${f.messageType ?? 'a change'}${f.relation ? ` on ${f.relation}` : ''} in remote transaction ${f.remoteXid ?? '?'} (finish LSN ${f.finishLsn})`
  switch (f.cause) {
    case 'key-conflict':
      return `${name} is stopped by a key conflict: ${f.detail ?? f.error} — ${where}`
    case 'trigger':
      return `${name} is stopped: a trigger on the replica raised "${f.error}" (${f.context}) — ${where}`
    case 'missing-column':
    case 'permission':
    case 'constraint':
    case 'missing-relation':
    case 'data':
      return `${name} is stopped: ${f.error}${f.detail ? ` (${f.detail})` : ''} — ${where}`
    default:
      return `${name} is stopped by an apply error, not a known cause: ${f.error}${f.detail ? ` (DETAIL: ${f.detail})` : ''}${f.context ? ` (CONTEXT: ${f.context})` : ''} — ${where}`
  }
}

type Failure = NonNullable<NonNullable<ReplicaFacts['log']>['applyFailure']>

/** The fix for each cause of a stopped apply worker. SKIP is never offered here: it loses a whole transaction. */
function causeFix(R: string, name: string, f: Failure, breaking: Drift[]): string {
  const relation = f.relation ?? 'the table'
  switch (f.cause) {
    case 'key-conflict':
      return `make fix-conflict ARGS="--replica ${R}" shows the conflicting row and the two ways out; --resync --yes repairs it without loss`
    case 'trigger': {
      const fn = contextFunction(f.context)
      return `on ${R}: SELECT tgname FROM pg_trigger WHERE tgrelid = '${relation}'::regclass AND tgfoid = '${fn}'::regproc; then fix ${fn}, or ALTER TABLE ${relation} DISABLE TRIGGER <that name>; apply resumes by itself, nothing lost (a resync would hit the same trigger)`
    }
    case 'constraint': {
      const constraint = /constraint "([^"]+)"/.exec(f.error)?.[1]
      return constraint
        ? `the PRIMARY's row breaks ${constraint} on ${R}: if ${R} alone has it, on ${R}: ALTER TABLE ${relation} DROP CONSTRAINT ${constraint}; apply resumes by itself, nothing lost (a resync would hit the same constraint)`
        : `make ${relation} on ${R} accept the PRIMARY's rows (compare its constraints with the PRIMARY's); apply resumes by itself`
    }
    case 'missing-relation':
      return `create it on ${R} from the PRIMARY's definition (pg_dump --schema-only --table=… of the PRIMARY, into ${R}); apply resumes by itself`
    case 'data':
      return breaking.length
        ? 'align the schema with the DDL above; apply resumes by itself'
        : `align the column types of ${relation} on ${R} with the PRIMARY's; apply resumes by itself`
    case 'missing-column':
      return breaking.length
        ? 'align the schema with the DDL above; apply resumes by itself'
        : `add the missing column on ${R} as it is on the PRIMARY; apply resumes by itself`
    case 'permission':
      return `grant ${name}'s owner the privilege the error names, on ${R}; apply resumes by itself`
    default:
      return `read ${R}'s log; make fix-conflict ARGS="--replica ${R}" shows the failing transaction`
  }
}
