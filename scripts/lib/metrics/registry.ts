// The exporter's metrics: what `make check` knows, in Prometheus's naming (base units, _bytes,
// _seconds, _total; labels node, replica, subscription, slot, table, type). Values are set from
// one check report per scrape; counters mirror PostgreSQL's own cumulative counts.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { CheckReport } from '../checks/report.js'
import { type Lag, type Verdict, lsnBytes, subscriptionOf } from '../checks/figures.js'
import type { CompareResult } from './compare-result.js'
import { CONFLICT_TYPES } from '../checks/facts.js'
import { behindBy } from '../replication/sequences.js'
import { slotOwner } from '../checks/verdicts-wal.js'

const WAL_STATUSES = ['reserved', 'extended', 'unreserved', 'lost'] as const
const SYNC_STATES = ['i', 'd', 'f', 's', 'r'] as const

export function createMetrics() {
  const registry = new Registry()
  // process_* and nodejs_*: the exporter's own CPU, memory and event-loop lag. prom-client's three
  // gauges named *_total break Prometheus's naming (promtool check metrics): dropped.
  collectDefaultMetrics({ register: registry })
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    registry.removeSingleMetric(name)
  const m = defineSeries(registry)
  return {
    registry,
    /** Every per-scrape value from one report. */
    update: (report: CheckReport, compare: CompareResult | null, scrapeMs: number) =>
      update(m, report, compare, scrapeMs),
    /** A scrape that ran past its deadline: nothing known is claimed; every node reads as not up. */
    failed: (nodes: { name: string; role: string }[], scrapeMs: number) => failed(m, nodes, scrapeMs),
  }
}

export type Metrics = ReturnType<typeof createMetrics>

// One label scheme: node = the server read (a slot's: the PRIMARY), replica = the replica concerned
// (a slot no replica owns: empty, so absent), then subscription, slot, table (docs/monitoring.md).
const SLOT_LABELS = ['node', 'replica', 'slot']

/** Every series, its name, help and labels: a declarative table, longer than a function should be. */
function defineSeries(registry: Registry) {
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] })
  const counter = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name, help, labelNames, registers: [registry] })
  return {
    up: gauge('replkit_up', '1 when replkit could connect to the node and read its catalogues, 0 otherwise', [
      'node',
      'role',
    ]),
    info: gauge('replkit_node_info', "Constant 1, labelled with the node's role and PostgreSQL version", [
      'node',
      'role',
      'version',
    ]),
    versionNum: gauge('replkit_server_version_num', "The node's server_version_num (150018, 180004, …)", ['node']),
    walLevelLogical: gauge('replkit_wal_level_logical', '1 when wal_level = logical on the node', ['node']),
    walLsn: gauge(
      'replkit_wal_lsn_bytes',
      "The node's current WAL position (pg_current_wal_lsn) in bytes: rate() of the PRIMARY's is its WAL rate",
      ['node'],
    ),
    appliedLsn: gauge(
      'replkit_subscription_applied_lsn_bytes',
      "The PRIMARY's WAL position of the last transaction the replica applied (its replication origin), in bytes: rate() is the apply throughput",
      ['replica', 'subscription'],
    ),
    enabled: gauge('replkit_subscription_enabled', '1 when the subscription is enabled', ['replica', 'subscription']),
    worker: gauge('replkit_subscription_worker_running', "1 when the subscription's apply worker runs", [
      'replica',
      'subscription',
    ]),
    exists: gauge('replkit_subscription_present', "1 when replkit's subscription exists on the replica", [
      'replica',
      'subscription',
    ]),
    lagBytes: gauge(
      'replkit_replication_lag_bytes',
      "PRIMARY WAL not yet applied by the replica: behind its walsender's replay position (else its slot's), or, while its apply worker holds a transaction open, since the last commit it applied",
      ['replica', 'subscription'],
    ),
    lagSeconds: gauge(
      'replkit_replication_lag_seconds',
      "replay_lag of the replica's walsender, or how long it has been applying one transaction if longer; 0 when caught up; NaN when no walsender streams to it (down or stopped: see replkit_up)",
      ['replica', 'subscription'],
    ),
    applyErrors: counter('replkit_subscription_apply_errors_total', 'pg_stat_subscription_stats.apply_error_count', [
      'replica',
      'subscription',
    ]),
    syncErrors: counter('replkit_subscription_sync_errors_total', 'pg_stat_subscription_stats.sync_error_count', [
      'replica',
      'subscription',
    ]),
    conflicts: counter(
      'replkit_subscription_conflicts_total',
      'PostgreSQL 18+: conflicts by type (pg_stat_subscription_stats.confl_*)',
      ['replica', 'subscription', 'type'],
    ),
    tableState: gauge(
      'replkit_table_sync_state',
      "1 for the table's current pg_subscription_rel.srsubstate (i, d, f, s, r = ready)",
      ['replica', 'table', 'state'],
    ),
    slotRetained: gauge(
      'replkit_slot_retained_wal_bytes',
      'WAL the PRIMARY keeps for the slot (current LSN − restart_lsn)',
      SLOT_LABELS,
    ),
    slotActive: gauge('replkit_slot_active', '1 when a consumer is connected to the slot', SLOT_LABELS),
    slotWalStatus: gauge(
      'replkit_slot_wal_status',
      "1 for the slot's current wal_status (reserved, extended, unreserved, lost)",
      [...SLOT_LABELS, 'status'],
    ),
    slotSafe: gauge(
      'replkit_slot_safe_wal_size_bytes',
      'WAL that may still be written before the slot is lost (only with max_slot_wal_keep_size)',
      SLOT_LABELS,
    ),
    sequenceBehind: gauge(
      'replkit_sequence_behind',
      "How far the replica's sequence is below the PRIMARY's (sequences are not replicated)",
      ['replica', 'sequence'],
    ),
    tableConsistent: gauge(
      'replkit_table_consistent',
      "Last checksum compare: 1 when the replica's table equals the PRIMARY's, 0 when it differs",
      ['replica', 'table'],
    ),
    compareAge: gauge('replkit_table_compare_age_seconds', 'Seconds since the last checksum compare', []),
    status: gauge('replkit_check_status', "make check's verdict: 0 OK, 1 WARNING, 2 CRITICAL", []),
    verdicts: gauge(
      'replkit_verdicts',
      'Problems make check reports now, by level and by the node each names (0 for every node and level without one): the alerts ReplkitCheck* read this, so they fire for what make check reports',
      ['level', 'node'],
    ),
    scrapeSeconds: gauge('replkit_scrape_duration_seconds', 'Time this scrape spent reading the nodes', []),
    scrapeSuccess: gauge('replkit_scrape_success', '1 when the scrape finished within its deadline', []),
    canary: new Histogram({
      name: 'replkit_canary_latency_seconds',
      help: "A canary row's trip from the PRIMARY to the replica (with --canary)",
      labelNames: ['replica'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    }),
  }
}

type Series = ReturnType<typeof defineSeries>
type Facts = CheckReport['facts']

/** Series of things that went away (a dropped slot, a stopped node's subscription) disappear. */
function resetPerScrape(m: Series): void {
  for (const g of [
    m.up,
    m.info,
    m.versionNum,
    m.walLevelLogical,
    m.walLsn,
    m.appliedLsn,
    m.enabled,
    m.worker,
    m.exists,
    m.lagBytes,
    m.lagSeconds,
    m.tableState,
    m.slotRetained,
    m.slotActive,
    m.slotWalStatus,
    m.slotSafe,
    m.sequenceBehind,
    m.tableConsistent,
    m.verdicts,
  ])
    g.reset()
  for (const c of [m.applyErrors, m.syncErrors, m.conflicts]) c.reset()
}

function update(m: Series, report: CheckReport, compare: CompareResult | null, scrapeMs: number): void {
  resetPerScrape(m)
  nodeSeries(m, report.facts)
  for (const replica of report.facts.replicas.filter(r => r.up)) subscriptionSeries(m, report.facts, replica)
  lagSeries(m, report)
  slotSeries(m, report.facts)
  for (const arrival of report.canary?.arrivals ?? [])
    if (arrival.ms !== null) m.canary.observe({ replica: arrival.replica }, arrival.ms / 1000)
  if (compare) compareSeries(m, report.facts, compare)
  verdictSeries(m, report, compare)
  m.scrapeSeconds.set(scrapeMs / 1000)
  m.scrapeSuccess.set(1)
}

/** Per node: up, version, wal_level, WAL position. */
function nodeSeries(m: Series, facts: Facts): void {
  for (const node of [facts.primary, ...facts.replicas]) {
    m.up.set({ node: node.name, role: node.role }, node.up && node.server ? 1 : 0)
    if (!node.server) continue
    m.info.set({ node: node.name, role: node.role, version: node.server.version.split(' ')[0] }, 1)
    m.versionNum.set({ node: node.name }, node.server.versionNum)
    m.walLevelLogical.set({ node: node.name }, node.server.settings.wal_level?.setting === 'logical' ? 1 : 0)
    if (node.server.currentLsn) m.walLsn.set({ node: node.name }, lsnBytes(node.server.currentLsn))
  }
}

/** A readable replica's subscription: present, enabled, worker, applied LSN, counters, table states, sequences. */
function subscriptionSeries(m: Series, facts: Facts, replica: Facts['replicas'][number]): void {
  const sub = subscriptionOf(replica)
  m.exists.set({ replica: replica.name, subscription: sub?.name ?? `sub_${replica.name}` }, sub ? 1 : 0)
  if (!sub) return
  const labels = { replica: replica.name, subscription: sub.name }
  m.enabled.set(labels, sub.enabled ? 1 : 0)
  m.worker.set(labels, sub.workerPid === null ? 0 : 1)
  if (sub.appliedLsn) m.appliedLsn.set(labels, lsnBytes(sub.appliedLsn))
  m.applyErrors.inc(labels, sub.applyErrorCount)
  m.syncErrors.inc(labels, sub.syncErrorCount)
  if (sub.conflicts) for (const type of CONFLICT_TYPES) m.conflicts.inc({ ...labels, type }, sub.conflicts[type])
  for (const [table, state] of Object.entries(sub.tableStates)) {
    for (const s of SYNC_STATES) m.tableState.set({ replica: replica.name, table, state: s }, state === s ? 1 : 0)
  }
  for (const p of facts.primary.sequences) {
    const mine = replica.sequences.find(s => s.sequence === p.sequence)
    m.sequenceBehind.set(
      { replica: replica.name, sequence: p.sequence },
      Number(behindBy(p.lastValue, mine?.lastValue ?? null)),
    )
  }
}

/** The lag as make check reads it; none for a replica whose lag is unknown. */
function lagSeries(m: Series, report: CheckReport): void {
  for (const lag of report.lag) {
    if (lag.bytes === null) continue
    const labels = { replica: lag.replica, subscription: lag.subscription }
    m.lagBytes.set(labels, lag.bytes)
    m.lagSeconds.set(labels, lagSeconds(lag))
  }
}

/** The PRIMARY's slots, each labelled with the replica it streams to (slotOwner: by its name or its subscription). */
function slotSeries(m: Series, facts: Facts): void {
  for (const slot of facts.primary.slots) {
    const labels = { node: facts.primary.name, replica: slotOwner(facts, slot)?.name ?? '', slot: slot.name }
    if (slot.retainedBytes !== null) m.slotRetained.set(labels, slot.retainedBytes)
    m.slotActive.set(labels, slot.active ? 1 : 0)
    for (const status of WAL_STATUSES) m.slotWalStatus.set({ ...labels, status }, slot.walStatus === status ? 1 : 0)
    if (slot.safeWalSize !== null) m.slotSafe.set(labels, slot.safeWalSize)
  }
}

/** The last checksum compare; a replica that cannot be read now has no known state, whatever it said. */
function compareSeries(m: Series, facts: Facts, compare: CompareResult): void {
  const readable = new Set(facts.replicas.filter(r => r.up).map(r => r.name))
  for (const [table, replicas] of Object.entries(compare.tables))
    for (const [replica, equal] of Object.entries(replicas))
      m.tableConsistent.set({ replica, table }, readable.has(replica) ? equal : NaN)
  m.compareAge.set((Date.now() - compare.at) / 1000)
}

/**
 * make check's exit code and its verdicts by level and node: what the ReplkitCheck* alerts read.
 * A table the last compare found different, or could not prove equal, counts too (for a replica
 * readable now), as it does in make check, which runs the checksums itself.
 */
function verdictSeries(m: Series, report: CheckReport, compare: CompareResult | null): void {
  const { facts } = report
  m.status.set(report.exitCode)
  const readable = new Set(facts.replicas.filter(r => r.up).map(r => r.name))
  // "Not proven" held because the replica was behind: over once this scrape sees it caught up.
  const behind = new Set(report.lag.filter(l => !l.caughtUp).map(l => l.replica))
  const said = new Set(report.verdicts.map(v => `${v.code} ${v.node}`))
  const stillTrue = (v: Verdict) =>
    readable.has(v.node) && !said.has(`${v.code} ${v.node}`) && (v.code !== 'TABLE_NOT_PROVEN' || behind.has(v.node))
  const verdicts = [...report.verdicts, ...(compare?.verdicts ?? []).filter(stillTrue)]
  const nodes = new Set([facts.primary.name, ...facts.replicas.map(r => r.name), ...verdicts.map(v => v.node)])
  for (const level of ['critical', 'unknown', 'warning'] as const)
    for (const node of nodes)
      m.verdicts.set({ level, node }, verdicts.filter(v => v.level === level && v.node === node).length)
}

function failed(m: Series, nodes: { name: string; role: string }[], scrapeMs: number): void {
  resetPerScrape(m)
  for (const n of nodes) m.up.set({ node: n.name, role: n.role }, 0)
  m.scrapeSeconds.set(scrapeMs / 1000)
  m.scrapeSuccess.set(0)
}

/** Seconds behind: NaN without a walsender (nothing streams, so no time is known), never a healthy-looking 0. */
export function lagSeconds(lag: Lag): number {
  if (lag.source !== 'walsender') return NaN
  if (lag.caughtUp) return 0
  return Math.max(lag.replayLagMs ?? 0, lag.applyingMs ?? 0) / 1000
}
