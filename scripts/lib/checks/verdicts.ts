// The judgement of `make check`, as pure functions: facts in, derived figures (lag, table
// comparisons) and verdicts out, each verdict naming the problem and the fix. No I/O here, so
// every rule is unit-tested with hand-made facts.
import type { ClusterFacts, ReplicaFacts, Subscription } from './facts.js'
import { EXIT } from '../errors.js'
import { formatBytes } from '../output.js'
import { subscriptionName } from '../replication/names.js'

export type Level = 'warning' | 'critical'

export interface Verdict {
  level: Level
  node: string
  problem: string
  fix: string
}

export interface Thresholds {
  /** Lag above this many bytes is a WARNING. */
  maxLagBytes: number
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

export interface Lag {
  replica: string
  subscription: string
  /** walsender: replay_lsn in pg_stat_replication; slot: confirmed_flush_lsn when no walsender runs. */
  source: 'walsender' | 'slot' | null
  bytes: number | null
  replayLagMs: number | null
}

/** Lag per replica, measured on the PRIMARY (a replica's own WAL position says nothing about it). */
export function replicaLags(facts: ClusterFacts): Lag[] {
  return facts.replicas.map(replica => {
    const subscription = subscriptionName(replica)
    const slotName = subscriptionOf(replica)?.slotName ?? subscription
    const sender = facts.primary.walSenders.find(w => w.applicationName === subscription)
    if (sender) return { replica: replica.name, subscription, source: 'walsender', bytes: sender.lagBytes, replayLagMs: sender.replayLagMs }
    const slot = facts.primary.slots.find(s => s.name === slotName)
    if (slot) return { replica: replica.name, subscription, source: 'slot', bytes: slot.unconfirmedBytes, replayLagMs: null }
    return { replica: replica.name, subscription, source: null, bytes: null, replayLagMs: null }
  })
}

export type CellState = 'reference' | 'match' | 'differs' | 'missing' | 'unknown'

export interface TableCell {
  node: string
  rows: number | null
  checksum: string | null
  state: CellState
}

export interface TableComparison {
  table: string
  cells: TableCell[]
}

/** Each table on each node against the PRIMARY's row count and checksum. */
export function compareTables(facts: ClusterFacts): TableComparison[] {
  return facts.tables.map(table => {
    const reference = facts.primary.tables.find(t => t.table === table)
    const cells = [facts.primary, ...facts.replicas].map((node): TableCell => {
      const sum = node.tables.find(t => t.table === table)
      const cell = { node: node.name, rows: sum?.rows ?? null, checksum: sum?.checksum ?? null }
      if (!node.up || !sum) return { ...cell, state: 'unknown' }
      if (!sum.exists) return { ...cell, state: 'missing' }
      if (node === facts.primary) return { ...cell, state: 'reference' }
      if (!reference?.exists) return { ...cell, state: 'unknown' }
      const same = sum.rows === reference.rows && sum.checksum === reference.checksum
      return { ...cell, state: same ? 'match' : 'differs' }
    })
    return { table, cells }
  })
}


const restartOnly = ['wal_level', 'max_wal_senders', 'max_replication_slots', 'max_worker_processes', 'max_logical_replication_workers']
const syncStates: Record<string, string> = { i: 'initializing', d: 'copying data', f: 'copy finished', s: 'synchronized' }

function primaryVerdicts(facts: ClusterFacts, t: Thresholds): Verdict[] {
  const p = facts.primary
  const out: Verdict[] = []
  const say = (level: Level, problem: string, fix: string) => out.push({ level, node: p.name, problem, fix })
  if (!p.up || !p.server) return out
  const walLevel = p.server.settings.wal_level
  if (walLevel && walLevel.setting !== 'logical') {
    if (walLevel.pendingRestart) say('critical', `wal_level is ${walLevel.setting} on primary and a new value waits for a restart`, 'restart the PRIMARY (a reload is not enough)')
    else say('critical', `wal_level is ${walLevel.setting} on primary`, 'run make replicate (needs a restart)')
  }
  for (const name of restartOnly.filter(n => n !== 'wal_level' || walLevel?.setting === 'logical')) {
    if (p.server.settings[name]?.pendingRestart) say('warning', `${name} was changed on primary but is not in effect`, 'restart the PRIMARY to apply it')
  }
  const capacity = [['max_wal_senders', p.server.walSendersUsed], ['max_replication_slots', p.server.slotsUsed]] as const
  for (const [name, used] of capacity) {
    const total = Number(p.server.settings[name]?.setting ?? 0)
    if (used >= total) say('warning', `${name} is exhausted on primary (${used} of ${total} in use)`, `raise ${name} (ALTER SYSTEM, then a restart) before adding a replica`)
  }
  if (!p.publications.some(pub => pub.name === facts.publication)) {
    say('critical', p.publications.length === 0 ? 'no publications on primary' : `publication ${facts.publication} is missing on primary`, 'run make replicate')
  } else {
    const unpublished = p.publishedTables.filter(t => t.schema === 'public' && facts.tables.includes(t.table) && t.exists && !t.publications.includes(facts.publication))
    if (unpublished.length > 0) {
      const names = unpublished.map(t => t.table).join(', ')
      say('critical', `${facts.publication} does not publish ${names}`, `ALTER PUBLICATION ${facts.publication} ADD TABLE ${names}; then ALTER SUBSCRIPTION … REFRESH PUBLICATION on each replica`)
    }
  }
  for (const table of p.publishedTables.filter(t => t.exists && t.publications.length > 0)) {
    const identity = table.replicaIdentity === 'full' || table.replicaIdentity === 'index' || (table.replicaIdentity === 'default' && table.hasPrimaryKey)
    if (!identity) {
      say('critical', `${table.schema}.${table.table} is published without a primary key or replica identity: UPDATE and DELETE on it fail on the PRIMARY`,
        `add a primary key, or ALTER TABLE ${table.schema}.${table.table} REPLICA IDENTITY FULL`)
    }
  }
  for (const slot of p.slots) {
    const retained = slot.retainedBytes ?? 0
    if (slot.walStatus === 'lost') {
      say('critical', `slot ${slot.name} has lost WAL it needed (wal_status lost): its subscriber cannot resume`, 'resync that replica with make sync (drops and re-creates the subscription and slot)')
    } else if (retained > t.maxRetainedBytes) {
      say('critical', `slot ${slot.name} retains ${formatBytes(retained)} of WAL (over ${formatBytes(t.maxRetainedBytes)})`,
        slot.active ? 'its subscriber is far behind: see its apply errors and the replica\'s log' : `bring its subscriber back, or drop the slot if it is abandoned: SELECT pg_drop_replication_slot('${slot.name}')`)
    } else if (!slot.active && retained > 0) {
      say('warning', `slot ${slot.name} is inactive and holds ${formatBytes(retained)} of WAL`,
        `bring its subscriber back, or drop the slot if it is abandoned: SELECT pg_drop_replication_slot('${slot.name}')`)
    }
  }
  return out
}

function replicaVerdicts(facts: ClusterFacts, replica: ReplicaFacts, t: Thresholds): Verdict[] {
  const out: Verdict[] = []
  const say = (level: Level, problem: string, fix: string) => out.push({ level, node: replica.name, problem, fix })
  if (!replica.up) return out
  const name = subscriptionName(replica)
  const sub = subscriptionOf(replica)
  if (!sub) {
    say('critical', replica.subscriptions.length === 0 ? `no subscriptions on ${replica.name}` : `subscription ${name} is missing on ${replica.name}`, 'run make replicate')
    return out
  }
  if (!sub.enabled) {
    say('critical', `${name} is disabled`, sub.applyErrorCount > 0
      ? `fix the failing change first (see below), then ALTER SUBSCRIPTION ${name} ENABLE`
      : `ALTER SUBSCRIPTION ${name} ENABLE`)
  } else if (sub.workerPid === null) {
    say('critical', `${name} is enabled but no apply worker runs`, `see ${replica.name}'s log for why the worker exits; check max_logical_replication_workers`)
  }
  const lag = replicaLags(facts).find(l => l.replica === replica.name)
  // apply_error_count is cumulative: a PRIMARY restart or a fixed conflict leaves it above 0.
  // A conflict that still blocks apply keeps the walsender behind (its transaction is WAL after
  // replay_lsn), so a running worker whose walsender is fully caught up means past errors only.
  const caughtUp = sub.enabled && sub.workerPid !== null && lag?.source === 'walsender' && lag.bytes === 0
  if (sub.applyErrorCount > 0 && caughtUp) {
    say('warning', `${name} had ${sub.applyErrorCount} apply error${sub.applyErrorCount === 1 ? '' : 's'} but is running and caught up now`,
      `read ${replica.name}'s log for what failed (a PRIMARY restart counts too); then clear the count with SELECT pg_stat_reset_subscription_stats(${sub.id})`)
  } else if (sub.applyErrorCount > 0) {
    say('critical', `${name} has ${sub.applyErrorCount} apply error${sub.applyErrorCount === 1 ? '' : 's'}`,
      `see ${replica.name}'s log for the failing change and its "finished at" LSN; remove the conflicting row on ${replica.name}, ` +
      `or skip the failing transaction with ALTER SUBSCRIPTION ${name} SKIP (lsn = '<finished at LSN>') (loses that whole transaction on ${replica.name}), ` +
      `or resync with make sync; then clear the count with SELECT pg_stat_reset_subscription_stats(${sub.id})`)
  }
  if (sub.syncErrorCount > 0) {
    say('critical', `${name} has ${sub.syncErrorCount} table sync error${sub.syncErrorCount === 1 ? '' : 's'}`,
      `see ${replica.name}'s log (often rows already present on the replica: resync with make sync); then SELECT pg_stat_reset_subscription_stats(${sub.id})`)
  }
  const notSubscribed = facts.tables.filter(table => !(table in sub.tableStates))
  if (notSubscribed.length > 0) {
    say('critical', `${name} does not subscribe to ${notSubscribed.join(', ')}`, `publish them on the PRIMARY, then ALTER SUBSCRIPTION ${name} REFRESH PUBLICATION`)
  }
  const syncing = Object.entries(sub.tableStates).filter(([, state]) => state !== 'r')
  if (syncing.length > 0 && sub.enabled) {
    say('warning', `${name} is still synchronizing ${syncing.map(([table, state]) => `${table} (${syncStates[state] ?? state})`).join(', ')}`,
      'wait for the initial copy and run make check again')
  }
  const primary = facts.primary
  if (primary.up && !primary.slots.some(s => s.name === (sub.slotName ?? name))) {
    say('critical', `${name}'s slot ${sub.slotName ?? name} does not exist on the PRIMARY`, 'resync with make sync (re-creates the subscription and its slot)')
  }
  if (lag?.bytes != null && lag.bytes > t.maxLagBytes) {
    say('warning', `${replica.name} is ${formatBytes(lag.bytes)} behind the PRIMARY`, 'see its apply errors and the replica\'s log; lag that keeps growing means apply is stuck')
  }
  return out
}

function consistencyVerdicts(facts: ClusterFacts): Verdict[] {
  const out: Verdict[] = []
  for (const { table, cells } of compareTables(facts)) {
    const reference = cells[0]
    for (const cell of cells) {
      if (cell.state === 'missing') {
        out.push({ level: 'critical', node: cell.node, problem: `table ${table} does not exist on ${cell.node}`, fix: 'run make schema (DDL is not replicated)' })
      }
      if (cell.state !== 'differs') continue
      const replica = facts.replicas.find(r => r.name === cell.node)
      const subscribed = replica && subscriptionOf(replica)
      const what = cell.rows !== reference.rows
        ? `${table} has ${cell.rows} rows on ${cell.node}, primary has ${reference.rows}`
        : `${table} differs in content on ${cell.node} (same ${cell.rows} rows, different checksum)`
      out.push({
        level: 'critical', node: cell.node, problem: what,
        fix: subscribed
          ? `find the rows with make check ARGS="--diff ${table}"; if replication is behind, wait and check again; else resync with make sync`
          : 'replication is not set up: run make replicate (it copies the data)',
      })
    }
  }
  return out
}

function canaryVerdicts(canary: CanaryFacts | null): Verdict[] {
  if (!canary) return []
  if (canary.error) return [{ level: 'warning', node: 'primary', problem: `canary not run: ${canary.error}`, fix: 'seed the PRIMARY (make seed) so a category exists' }]
  return canary.arrivals.filter(a => a.status === 'late').map(a => ({
    level: 'critical' as const, node: a.replica,
    problem: `the canary row did not reach ${a.replica} within ${canary.timeoutMs} ms`,
    fix: 'replication is stuck or far behind: see that subscription\'s verdicts and the replica\'s log',
  }))
}

/** Every problem, worst first, each with its fix. */
export function verdicts(facts: ClusterFacts, thresholds: Thresholds, canary: CanaryFacts | null = null): Verdict[] {
  const down = [facts.primary, ...facts.replicas].filter(n => !n.up).map((n): Verdict => ({
    level: 'critical', node: n.name, problem: `${n.name} is down: ${n.error}`,
    fix: n.role === 'primary' ? 'start the PRIMARY; nothing replicates meanwhile' : `start ${n.name}; it catches up from its slot on the PRIMARY when it returns`,
  }))
  const all = [
    ...down,
    ...primaryVerdicts(facts, thresholds),
    ...facts.replicas.flatMap(r => replicaVerdicts(facts, r, thresholds)),
    ...consistencyVerdicts(facts),
    ...canaryVerdicts(canary),
  ]
  return [...all.filter(v => v.level === 'critical'), ...all.filter(v => v.level === 'warning')]
}

export type Status = 'OK' | 'WARNING' | 'CRITICAL'

export function status(found: Verdict[]): Status {
  if (found.some(v => v.level === 'critical')) return 'CRITICAL'
  return found.length > 0 ? 'WARNING' : 'OK'
}

export function exitCode(found: Verdict[]): number {
  return { OK: EXIT.ok, WARNING: EXIT.warning, CRITICAL: EXIT.critical }[status(found)]
}
