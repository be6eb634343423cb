// What `make check` knows about the cluster, gathered from every node at once. Each node gets
// one connection with short timeouts; a node that cannot be reached is recorded as down, with
// the reason, and the others are still gathered. Nothing here writes.
import { tableText } from '../table-name.js'
import type { Config, NodeSpec } from '../config.js'
import { type FailureKind, type Sql, describeDbError, failureKind } from '../db.js'
import { subscriptionName } from '../replication/names.js'
import { ownedSequences } from '../replication/sequences.js'
import {
  classifyApplyError,
  currentApplyFailure,
  lastWorkerError,
  loggedConflicts,
  readServerLog,
} from '../replication/worker-log.js'
import { tableColumns } from '../replication/schema-drift.js'
import type { ServerAccess } from '../server-access.js'
import { GUARDED_VIEWS, type GuardedView, checkQuery, readableViews } from '../sql-files.js'
import { onReplica, publishedParts, tableSums, tablesLockable } from './fingerprint.js'
import type { PublishedPart } from '../publication-tables.js'
import type { TriedNode } from '../node.js'

export * from './fact-types.js'
import {
  type Setting,
  type ServerFacts,
  type Subscription,
  type ConflictType,
  type NodeFacts,
  type PrimaryFacts,
  type WorkerLog,
  type ClusterFacts,
  CONFLICT_TYPES,
} from './fact-types.js'
import { streamingOption } from '../replication/options.js'
import { admissionFact, num, slotFact } from './fact-rows.js'

const query = checkQuery

async function serverFacts(sql: Sql): Promise<ServerFacts> {
  const [[row], readable] = await Promise.all([query(sql, 'node.sql'), readableViews(sql)])
  const settings: Record<string, Setting> = {}
  for (const [name, s] of Object.entries(
    row.settings as Record<string, { setting: string; pending_restart: boolean }>,
  )) {
    settings[name] = { setting: s.setting, pendingRestart: s.pending_restart }
  }
  return {
    version: row.version,
    versionNum: row.version_num,
    inRecovery: row.in_recovery,
    currentLsn: row.current_lsn ?? null,
    walLevelInFile: row.wal_level_in_file ?? null,
    readOnlyForClients: row.read_only_for_clients,
    settings,
    walSendersUsed: row.wal_senders_used,
    slotsUsed: row.slots_used,
    hasFingerprint: row.has_fingerprint,
    tls: row.tls ?? null,
    role: row.role,
    unreadable: (Object.keys(GUARDED_VIEWS) as GuardedView[]).filter(v => !readable.has(v)),
  }
}

async function primaryFacts(sql: Sql, config: Config): Promise<Omit<PrimaryFacts, keyof NodeFacts | 'walDisk'>> {
  const [unpublished, publications, publishedTables, slots, walSenders, [role], old] = await Promise.all([
    query(sql, 'unpublished_tables.sql', [config.publication]),
    query(sql, 'publication_names.sql'),
    query(sql, 'publications.sql', [config.tables]),
    query(sql, 'slots.sql'),
    query(sql, 'walsenders.sql'),
    query(sql, 'replication_admission.sql', [config.replicatorUser]),
    query(sql, 'old_transactions.sql'),
  ])
  return {
    unpublished: unpublished.map(u => ({
      schema: u.schema,
      table: u.table,
      writes: Number(u.writes),
      liveRows: Number(u.live_rows),
    })),
    publications: publications.map(p => ({ name: p.name, allTables: p.all_tables })),
    publishedTables: publishedTables.map(t => ({
      schema: t.schema,
      table: t.table,
      exists: t.exists,
      publications: t.publications,
      hasPrimaryKey: t.has_primary_key,
      replicaIdentity: t.replica_identity,
    })),
    slots: slots.map(slotFact),
    walSenders: walSenders.map(w => ({
      applicationName: w.application_name,
      state: w.state,
      lagBytes: num(w.lag_bytes),
      replayLagMs: num(w.replay_lag_ms),
    })),
    admission: role ? admissionFact(role, config) : null,
    oldTransactions: old.map(t => ({
      pid: t.pid,
      user: t.user,
      applicationName: t.application_name,
      state: t.state,
      ageSeconds: Number(t.age_seconds),
      query: t.query,
    })),
  }
}

async function subscriptions(sql: Sql): Promise<Subscription[]> {
  return (await query(sql, 'subscriptions.sql')).map(s => ({
    id: Number(s.id),
    name: s.name,
    enabled: s.enabled,
    owner: s.owner,
    slotName: s.slot_name,
    publications: s.publications,
    workerPid: s.worker_pid,
    lastMsgSendTime: s.last_msg_send_time,
    lastMsgReceiptTime: s.last_msg_receipt_time,
    latestEndTime: s.latest_end_time,
    appliedLsn: s.applied_lsn ?? null,
    applyingMs: num(s.applying_ms),
    applyingBlockedBy: s.applying_blocked_by ?? null,
    applyErrorCount: Number(s.apply_error_count),
    syncErrorCount: Number(s.sync_error_count),
    statsReset: s.stats_reset,
    tableStates: Object.fromEntries(
      (s.table_states as [string, string, string][]).map(([schema, name, state]) => [
        tableText({ schema, name }),
        state,
      ]),
    ),
    options: {
      streaming: streamingOption(s.streaming),
      binary: s.binary,
      origin: s.origin ?? null,
      failover: s.failover ?? null,
    },
    conflicts: s.conflicts
      ? (Object.fromEntries(CONFLICT_TYPES.map(t => [t, Number(s.conflicts[t] ?? 0)])) as Record<ConflictType, number>)
      : null,
  }))
}

function emptyNode(node: TriedNode, error: string | null, kind: FailureKind | null): NodeFacts {
  return {
    name: node.spec.name,
    role: node.spec.role,
    label: node.spec.label,
    up: error === null,
    error,
    errorKind: error === null ? null : (kind ?? 'other'),
    startFailure: null,
    server: null,
    tables: [],
    columns: [],
    sequences: [],
  }
}

/**
 * What every node reports besides its role's facts: settings, checksums, columns, sequences.
 * summed: the tables whose checksums are read here; unsummed: one a comparison at an LSN sums instead.
 */
async function commonFacts(
  sql: Sql,
  tables: string[],
  { summed, unsummed }: { summed: string[]; unsummed: string[] },
  parts: Record<string, PublishedPart>,
) {
  const server = await serverFacts(sql)
  const [sums, lockable, columns, sequences] = await Promise.all([
    summed.length ? sumsWhereInstalled(sql, server, summed, parts) : Promise.resolve([]),
    unsummed.length ? tablesLockable(sql, unsummed) : Promise.resolve([]),
    tableColumns(sql, tables),
    ownedSequences(sql, tables),
  ])
  return { server, tables: [...sums, ...lockable], columns, sequences }
}

/** The replica's server log, read for its subscription's worker failures (local file or pg_read_file). */
async function workerLog(spec: NodeSpec, sql: Sql, subs: Subscription[], servers: ServerAccess): Promise<WorkerLog> {
  const log = await readServerLog(spec, sql, servers)
  const sub = subs.find(s => s.name === subscriptionName(spec))
  let failure = log.text && sub ? currentApplyFailure(log.text, sub.id, sub.appliedLsn) : null
  let workerError = log.text ? lastWorkerError(log.text, subscriptionName(spec)) : null
  // Of the two kinds of logged error, only the newer tells what is happening now.
  if (failure && workerError) {
    if (workerError.loggedAt > failure.loggedAt) failure = null
    else workerError = null
  }
  return {
    applyFailure: failure ? { ...failure, cause: classifyApplyError(failure.error, failure.context) } : null,
    workerError,
    conflicts: log.text && sub?.conflicts ? loggedConflicts(log.text) : [],
    source: log.source,
  }
}

/** A server replkit runs that refuses connections: the FATAL line that ended its last start, if one did. */
const whyItDidNotStart = (node: TriedNode, kind: FailureKind | null, servers: ServerAccess) =>
  kind === 'unreachable' && servers.owns(node.spec) ? servers.startFailure(node.spec).catch(() => null) : null

/** Runs fn on a node; a failure (timeout, lost connection) marks the node as failed, not the run. */
async function onNode<T>(
  node: TriedNode,
  fn: (sql: Sql) => Promise<T>,
): Promise<{ value: T | null; error: string | null; kind: FailureKind | null }> {
  if (!node.sql) return { value: null, error: node.error, kind: node.errorKind }
  try {
    return { value: await fn(node.sql), error: null, kind: null }
  } catch (error) {
    return { value: null, error: describeDbError(node.spec, error), kind: failureKind(error) }
  }
}

/** Checksums where make schema has installed their function; none (compared as unknown) elsewhere. */
const sumsWhereInstalled = (sql: Sql, server: ServerFacts, tables: string[], parts: Record<string, PublishedPart>) =>
  server.hasFingerprint ? tableSums(sql, tables, parts) : Promise.resolve([])

/** What the publication sends in part, from the PRIMARY first (the checksums sum only that); none when it cannot be read. */
const partsFrom = (primary: TriedNode, config: Config, checksums: boolean) =>
  primary.sql && checksums
    ? publishedParts(primary.sql, config.publication, config.tables).catch(() => ({}))
    : Promise.resolve({})

/**
 * Every node's facts, all nodes in parallel; without checksums (the exporter's scrape) every table
 * compares as unknown. unsummed: a table whose checksums a comparison at an LSN reads instead (--diff).
 */
export async function gatherFacts(
  config: Config,
  nodes: TriedNode[],
  servers: ServerAccess,
  checksums = true,
  unsummed?: string,
): Promise<ClusterFacts> {
  const [primaryNode, ...replicaNodes] = nodes
  const parts: Record<string, PublishedPart> = await partsFrom(primaryNode, config, checksums)
  const sums = {
    summed: checksums ? config.tables.filter(t => t !== unsummed) : [],
    unsummed: checksums && unsummed !== undefined ? [unsummed] : [],
  }
  const [primary, ...replicas] = await Promise.all([
    onNode(primaryNode, async sql => {
      const [common, rest, walDisk] = await Promise.all([
        commonFacts(sql, config.tables, sums, parts),
        primaryFacts(sql, config),
        servers.owns(primaryNode.spec) ? servers.walDisk(primaryNode.spec).catch(() => null) : null,
      ])
      return { ...common, ...rest, walDisk }
    }),
    ...replicaNodes.map(node =>
      onNode(node, async sql => {
        const [common, subs] = await Promise.all([
          commonFacts(sql, config.tables, sums, onReplica(parts)),
          subscriptions(sql),
        ])
        return { ...common, subscriptions: subs, log: await workerLog(node.spec, sql, subs, servers) }
      }),
    ),
  ])
  const startFailures = await Promise.all(
    [primary, ...replicas].map((r, i) => whyItDidNotStart(nodes[i], r.kind, servers)),
  )
  return {
    publication: config.publication,
    tables: config.tables,
    excludedTables: config.excludedTables,
    publishedParts: parts,
    ...(config.subscriptionOwner ? { subscriptionOwner: config.subscriptionOwner } : {}),
    primary: {
      ...emptyNode(primaryNode, primary.error, primary.kind),
      startFailure: startFailures[0],
      unpublished: [],
      publications: [],
      publishedTables: [],
      slots: [],
      walSenders: [],
      admission: null,
      oldTransactions: [],
      walDisk: null,
      ...primary.value,
    },
    replicas: replicas.map((r, i) => ({
      ...emptyNode(replicaNodes[i], r.error, r.kind),
      startFailure: startFailures[i + 1],
      subscriptions: [],
      log: null,
      ...r.value,
    })),
  }
}
