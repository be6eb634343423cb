// Figures derived from the facts that every verdict module shares: the verdict's shape, each
// replica's subscription and lag, and each table compared with the PRIMARY. Pure.
import type { BlockingSession, ClusterFacts, ReplicaFacts, Subscription } from './facts.js'
import { subscriptionName } from '../replication/names.js'
import type { VerdictCode } from './verdict-codes.js'
import type { Drift } from '../replication/schema-drift.js'

/** unknown: something make check could not observe (a node that answered too slowly, rows not read). */
export type Level = 'warning' | 'critical' | 'unknown'

/** How the verdict rules report a problem: its code, level, words and fix. */
export type Say = (code: VerdictCode, level: Level, problem: string, fix: string) => void

export interface Verdict {
  /** Stable across releases (verdict-codes.ts): what machines match on, never the words. */
  code: VerdictCode
  level: Level
  node: string
  problem: string
  fix: string
}

export interface Thresholds {
  /** Lag above this many bytes is a WARNING (a committed transaction not applied over it, CRITICAL). */
  maxLagBytes: number
  /** Lag above this many bytes is CRITICAL. */
  criticalLagBytes: number
  /** A slot retaining more WAL than this is CRITICAL (the PRIMARY's disk fills). */
  maxRetainedBytes: number
}

export interface CanaryArrival {
  replica: string
  status: 'arrived' | 'late' | 'skipped'
  /** Insert committed on the PRIMARY → row visible on the replica, on one client clock. */
  ms: number | null
  reason: string | null
}

export interface CanaryFacts {
  sku: string | null
  timeoutMs: number
  arrivals: CanaryArrival[]
  error: string | null
}

export function subscriptionOf(replica: ReplicaFacts): Subscription | undefined {
  return replica.subscriptions.find(s => s.name === subscriptionName(replica))
}

/** What every verdict about one replica's subscription reads, looked up once (verdicts-replica.ts, verdicts-worker.ts). */
export interface Scene {
  facts: ClusterFacts
  replica: ReplicaFacts
  R: string
  name: string
  sub: Subscription
  breaking: Drift[]
  lag: Lag
  sender: ClusterFacts['primary']['walSenders'][number] | undefined
  t: Thresholds
  say: Say
}

export interface Lag {
  replica: string
  subscription: string
  /** walsender: replay_lsn in pg_stat_replication; slot: confirmed_flush_lsn when no walsender runs. */
  source: 'walsender' | 'slot' | null
  /** WAL not applied: behind the source's position, or, while a transaction is open on the apply worker, since its last applied commit. */
  bytes: number | null
  replayLagMs: number | null
  /** How long the replica has been applying one transaction (open on its apply worker); null when none is open. */
  applyingMs: number | null
  /** The sessions on the replica holding a lock its apply worker waits for; null when none. */
  blockedBy: BlockingSession[] | null
  /** WAL from the last commit the replica applied (its replication origin) to the PRIMARY's position; null when unknown. */
  sinceAppliedBytes: number | null
  /** Streaming with nothing left to apply and no transaction being applied: the only state that earns the words "caught up". */
  caughtUp: boolean
}

/** A replica holding one applied transaction open longer than this is applying a committed transaction, not keeping pace. */
export const APPLYING_GRACE_MS = 1000

/** The replica has held one applied transaction open past the grace: a committed transaction is not yet visible there. */
export const applyingLong = (lag: Lag): lag is Lag & { applyingMs: number } =>
  lag.applyingMs !== null && lag.applyingMs > APPLYING_GRACE_MS

/** An LSN ("16/B374D848") as a number of bytes. */
export const lsnBytes = (lsn: string) => {
  const [hi, lo] = lsn.split('/')
  return parseInt(hi, 16) * 2 ** 32 + parseInt(lo, 16)
}

/**
 * Lag per replica, measured on the PRIMARY (a replica's own WAL position says nothing about it):
 * the larger of the walsender's replay position and the slot's confirmed_flush_lsn, so a large
 * transaction the slot still holds is never shown as caught up.
 */
export function replicaLags(facts: ClusterFacts): Lag[] {
  return facts.replicas.map(replica => {
    const subscription = subscriptionName(replica)
    const slotName = subscriptionOf(replica)?.slotName ?? subscription
    const sender = facts.primary.walSenders.find(w => w.applicationName === subscription)
    const slot = facts.primary.slots.find(s => s.name === slotName)
    const sub = subscriptionOf(replica)
    const current = facts.primary.server?.currentLsn
    const applied = {
      applyingMs: sub?.applyingMs ?? null,
      blockedBy: sub?.applyingBlockedBy ?? null,
      sinceAppliedBytes: current && sub?.appliedLsn ? Math.max(0, lsnBytes(current) - lsnBytes(sub.appliedLsn)) : null,
    }
    // While a transaction is open on its apply worker, everything since its last commit is unapplied,
    // though streamed changes already count as received and spooled for the walsender and the slot.
    const unapplied = applied.applyingMs !== null ? (applied.sinceAppliedBytes ?? 0) : 0
    if (sender) {
      const bytes = Math.max(sender.lagBytes ?? 0, slot?.unconfirmedBytes ?? 0, unapplied)
      return {
        replica: replica.name,
        subscription,
        source: 'walsender',
        bytes,
        replayLagMs: sender.replayLagMs,
        ...applied,
        caughtUp: bytes === 0 && applied.applyingMs === null,
      }
    }
    if (slot)
      return {
        replica: replica.name,
        subscription,
        source: 'slot',
        bytes: slot.unconfirmedBytes === null ? null : Math.max(slot.unconfirmedBytes, unapplied),
        replayLagMs: null,
        ...applied,
        caughtUp: false,
      }
    return {
      replica: replica.name,
      subscription,
      source: null,
      bytes: null,
      replayLagMs: null,
      ...applied,
      caughtUp: false,
    }
  })
}

/**
 * The logged apply failure still holding the worker: one it has not applied past, not a lost
 * connection (retried by itself), on a replica that has not caught up.
 */
export function blockingApplyFailure(
  replica: ReplicaFacts,
  lag: Lag,
): NonNullable<NonNullable<ReplicaFacts['log']>['applyFailure']> | null {
  const failure = replica.log?.applyFailure
  return failure && failure.cause !== 'connection-lost' && !lag.caughtUp ? failure : null
}

/** The subscription's tables not yet copied and ready (state other than r), with their states. */
export function tablesCopying(sub: Subscription): [string, string][] {
  return Object.entries(sub.tableStates).filter(([, state]) => state !== 'r')
}

/**
 * applying: the replica had WAL left to apply when read (streaming or not) and could not be compared
 * at an LSN it reached, so a difference proves nothing; writing: compared at LSNs, but rows kept
 * changing in every round (neither equal nor proven different).
 */
export type CellState = 'reference' | 'match' | 'differs' | 'applying' | 'writing' | 'missing' | 'unknown'

export interface TableCell {
  node: string
  rows: number | null
  checksum: string | null
  state: CellState
}

export interface TableComparison {
  table: string
  cells: TableCell[]
  /** Rounds of the comparison at an LSN, when the first read did not settle it. */
  rounds: number | null
}

/**
 * Each table on each node against the PRIMARY's row count and checksum. A replica that differed
 * when first read is judged by the comparison at an LSN it reached (facts.compared); without one,
 * a replica that had not applied everything is "applying", not "differs".
 */
export function compareTables(facts: ClusterFacts): TableComparison[] {
  const lags = replicaLags(facts)
  return facts.tables.map(table => {
    const atLsn = facts.compared?.[table]
    const reference = facts.primary.tables.find(t => t.table === table)
    const cells = [facts.primary, ...facts.replicas].map((node): TableCell => {
      const sum = node.tables.find(t => t.table === table)
      const cell = { node: node.name, rows: sum?.rows ?? null, checksum: sum?.checksum ?? null }
      if (!node.up || !sum) return { ...cell, state: 'unknown' }
      if (!sum.exists) return { ...cell, state: 'missing' }
      if (node === facts.primary) return { ...cell, state: 'reference' }
      if (!reference?.exists) return { ...cell, state: 'unknown' }
      const same = sum.rows === reference.rows && sum.checksum === reference.checksum
      const verdict = atLsn?.replicas.find(r => r.name === node.name)?.state
      const lag = lags.find(l => l.replica === node.name)
      const unapplied = behind(lag)
      // Compared as it stands (not waited for) with WAL left to apply: a difference proves nothing.
      const proven = verdict === 'differs' ? waitedFor(facts, node.name, lag) || !unapplied : verdict !== undefined
      if (!same && proven)
        return { ...cell, state: verdict === 'equal' ? 'match' : verdict === 'differs' ? 'differs' : 'writing' }
      return { ...cell, state: same ? 'match' : unapplied ? 'applying' : 'differs' }
    })
    return { table, cells, rounds: atLsn?.rounds ?? null }
  })
}

/**
 * Whether the comparison at an LSN waits for this replica to reach it: only a streaming one whose
 * worker is not stopped by an apply error (that one never reaches it, so it is compared as it stands).
 */
export function waitedFor(facts: ClusterFacts, replica: string, lag: Lag | undefined): boolean {
  return lag?.source === 'walsender' && !facts.replicas.find(r => r.name === replica)?.log?.applyFailure
}

/**
 * WAL left to apply: streaming and not caught up, or not streaming (a worker that keeps failing, a
 * disabled subscription) with WAL its slot has not confirmed. Either way a difference read now may
 * be a committed transaction the replica has not applied.
 */
function behind(lag: Lag | undefined): boolean {
  if (lag?.source === 'walsender') return !lag.caughtUp
  if (lag?.source === 'slot') return lag.bytes === null || lag.bytes > 0
  return false
}

/** A sender or receiver timeout (pg_settings reports ms) shorter than 30 s, as "5s"; 0 disables it. */
export function shortTimeout(ms: string | undefined): string | null {
  if (ms === undefined) return null
  const value = Number(ms)
  return value > 0 && value < 30_000 ? `${value / 1000}s` : null
}
