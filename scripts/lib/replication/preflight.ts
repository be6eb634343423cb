// Preflight for make replicate: what every node is, before anything is changed. All nodes are
// asked in parallel; every problem is collected so the operator sees them all at once.
import { intendedPublication } from './publication.js'
import { sqlName, tableText } from '../table-name.js'
import { type Config, type NodeSpec, allNodes } from '../config.js'
import { type Column, type Drift, schemaDrift, tableColumns } from './schema-drift.js'
import { type Sql, majorOf, serverVersionNum, withNode } from '../db.js'
import { OWNER_SINCE } from './subscription-owner.js'
import { subscriptionName } from './names.js'
import { tablesHoldingRows } from './catalog.js'
import { existingSubscription } from './options.js'

export interface NodeFacts {
  version: string
  versionNum: number
  walLevel: string
  maxWalSenders: number
  maxReplicationSlots: number
  maxWorkerProcesses: number
  maxLogicalReplicationWorkers: number
  ssl: string
}

export interface Preflight {
  nodes: Record<string, NodeFacts>
  report: string[]
  problems: string[]
  /** Per replica: its columns' differences from the PRIMARY's, in the tables it has. */
  drift: Record<string, Drift[]>
  /** Per replica: the published tables it lacks (all of them on a new replica). */
  missingTables: Record<string, string[]>
}

async function nodeFacts(sql: Sql): Promise<NodeFacts> {
  const [row] = await sql`
    select current_setting('server_version') as version, current_setting('server_version_num')::int as version_num,
           current_setting('wal_level') as wal_level, current_setting('max_wal_senders')::int as senders,
           current_setting('max_replication_slots')::int as slots, current_setting('max_worker_processes')::int as workers,
           current_setting('max_logical_replication_workers')::int as logical_workers, current_setting('ssl') as ssl`
  return {
    version: row.version,
    versionNum: row.version_num,
    walLevel: row.wal_level,
    maxWalSenders: row.senders,
    maxReplicationSlots: row.slots,
    maxWorkerProcesses: row.workers,
    maxLogicalReplicationWorkers: row.logical_workers,
    ssl: row.ssl,
  }
}

/** Tables that cannot be published: missing, or without a key to identify rows by. */
async function identityProblems(sql: Sql, tables: string[]): Promise<string[]> {
  const rows = await sql`
    select t.name, c.relreplident as ident,
           exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary) as has_pk,
           exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisreplident) as has_ident_index
    from unnest(${tables.map(sqlName)}::text[]) as t(name)
    left join pg_class c on c.oid = to_regclass(t.name)`
  return rows.flatMap(r => {
    if (r.ident === null) return [`primary: table ${r.name} does not exist (run make schema)`]
    const usable = r.ident === 'f' || (r.ident === 'd' && r.has_pk) || (r.ident === 'i' && r.has_ident_index)
    return usable
      ? []
      : [
          `primary: table ${r.name} has no primary key or usable REPLICA IDENTITY — once published, UPDATE and DELETE on it would fail on the PRIMARY`,
        ]
  })
}

/** The tables first (missing, no key); then the publication as PostgreSQL would make it from PUBLICATION_TABLES. */
async function publicationProblems(sql: Sql, config: Config, tryPublication: boolean): Promise<string[]> {
  const problems = await identityProblems(sql, config.tables)
  if (problems.length || !tryPublication) return problems
  return intendedPublication(sql, config).then(
    () => [],
    (error: Error) => [error.message],
  )
}

/** An operator's role as the catalogue has it: can it log in, is it a superuser; undefined when missing. */
async function roleOf(sql: Sql, role: string): Promise<{ login: boolean; superuser: boolean } | undefined> {
  const [found] = await sql`select rolcanlogin as login, rolsuper as superuser from pg_roles where rolname = ${role}`
  return found as { login: boolean; superuser: boolean } | undefined
}

/** MONITOR_USER must exist on every node: replkit grants it what make check reads, and creates no login. */
async function monitorRoleProblems(sql: Sql, node: NodeSpec, role: string | undefined): Promise<string[]> {
  if (!role) return []
  const found = await roleOf(sql, role)
  if (!found)
    return [
      `${node.name}: MONITOR_USER ${role} does not exist: create it there as a superuser (CREATE ROLE ${role} LOGIN PASSWORD '…'), then run make replicate again; replkit grants it what make check reads`,
    ]
  if (!found.login) return [`${node.name}: MONITOR_USER ${role} cannot log in (ALTER ROLE ${role} LOGIN)`]
  return []
}

/**
 * SUBSCRIPTION_OWNER must exist on every node (any node may subscribe after a switchover), log
 * in (the apply worker logs in as its subscription's owner) and not be a superuser; a replica
 * must run 16+, since 15 lets only a superuser own a subscription.
 */
async function subscriptionOwnerProblems(sql: Sql, node: NodeSpec, role: string | undefined): Promise<string[]> {
  if (!role) return []
  const found = await roleOf(sql, role)
  const major = majorOf(await serverVersionNum(sql))
  if (node.role === 'replica' && major < OWNER_SINCE)
    return [
      `${node.name}: SUBSCRIPTION_OWNER needs PostgreSQL ${OWNER_SINCE}+ on every replica, and ${node.name} runs ${major}, where only a superuser may own a subscription: unset SUBSCRIPTION_OWNER, or upgrade ${node.name}`,
    ]
  if (!found)
    return [
      `${node.name}: SUBSCRIPTION_OWNER ${role} does not exist: create it there as a superuser (CREATE ROLE ${role} LOGIN), then run make replicate again; replkit grants it what its subscription needs`,
    ]
  if (!found.login)
    return [
      `${node.name}: SUBSCRIPTION_OWNER ${role} cannot log in, and the apply worker logs in as its subscription's owner (ALTER ROLE ${role} LOGIN)`,
    ]
  if (found.superuser)
    return [`${node.name}: SUBSCRIPTION_OWNER ${role} is a superuser: name a role that is not one, or unset it`]
  return []
}

/**
 * make replicate: a replica with no subscription whose tables already hold rows (after a
 * rollback, say) would collide with its first copy; refused here, before anything is written,
 * unless --truncate-replicas. A parallel copy killed part-way is left to the subscription step,
 * which first rebuilds the indexes it had deferred (replkit.deferred_indexes), then says the same.
 */
async function occupiedProblems(
  sql: Sql,
  node: NodeSpec,
  config: Config,
  truncateReplicas: boolean,
): Promise<string[]> {
  if (node.role !== 'replica' || truncateReplicas) return []
  if (await existingSubscription(sql, subscriptionName(node))) return []
  const [state] = await sql`
    select to_regclass('replkit.deferred_indexes') is not null as has_deferred_table,
           array(select to_regclass(t) is not null from unnest(${config.tables.map(sqlName)}::text[]) with ordinality u (t, i)
                  order by i) as present`
  if (state.has_deferred_table && (await sql`select 1 from replkit.deferred_indexes limit 1`).length) return []
  const occupied = await tablesHoldingRows(
    sql,
    config.tables.filter((_, i) => (state.present as boolean[])[i]),
  )
  return occupied.length
    ? [
        `${node.name}: has no subscription yet but already holds rows in ${occupied.join(', ')}; the initial copy would hit duplicate keys. Re-run with --truncate-replicas --yes to empty its tables first (their rows are saved before they are replaced)`,
      ]
    : []
}

/** `truncateReplicas`: make replicate --truncate-replicas --yes (a switchover's preflight leaves it unset: it checks no rows). */
/** truncateReplicas: what make replicate was asked (else occupied tables are not judged); publication: try PUBLICATION_TABLES on the PRIMARY (make replicate). */
export async function preflight(
  config: Config,
  opts: { truncateReplicas?: boolean; publication?: boolean } = {},
): Promise<Preflight> {
  const results = await Promise.allSettled(
    allNodes(config).map(node =>
      withNode(
        node,
        async sql => ({
          facts: await nodeFacts(sql),
          columns: await tableColumns(sql, config.tables),
          identity: [
            ...(node.role === 'primary' ? await publicationProblems(sql, config, opts.publication ?? false) : []),
            ...(await monitorRoleProblems(sql, node, config.monitorUser)),
            ...(await subscriptionOwnerProblems(sql, node, config.subscriptionOwner)),
            ...(opts.truncateReplicas === undefined
              ? []
              : await occupiedProblems(sql, node, config, opts.truncateReplicas)),
          ],
        }),
        { connectTimeoutSeconds: 5 },
      ),
    ),
  )
  const out: Preflight = { nodes: {}, report: [], problems: [], drift: {}, missingTables: {} }
  const nodes = allNodes(config)
  let primaryColumns: Column[] | undefined
  results.forEach((result, i) => {
    const node = nodes[i]
    if (result.status === 'rejected') {
      out.problems.push((result.reason as Error).message)
      return
    }
    const { facts } = result.value
    out.nodes[node.name] = facts
    if (node.role === 'primary') primaryColumns = result.value.columns
    out.report.push(
      `${node.name}: reachable, PostgreSQL ${facts.version}, wal_level = ${facts.walLevel}, ${
        node.role === 'primary'
          ? `max_wal_senders = ${facts.maxWalSenders}, max_replication_slots = ${facts.maxReplicationSlots}`
          : `max_worker_processes = ${facts.maxWorkerProcesses}, max_logical_replication_workers = ${facts.maxLogicalReplicationWorkers}`
      }`,
    )
    out.problems.push(...result.value.identity, ...versionAndCapacityProblems(node, facts))
  })
  results.forEach((result, i) => {
    if (nodes[i].role === 'replica' && result.status === 'fulfilled' && primaryColumns) {
      const has = new Set(result.value.columns.map(c => c.table))
      out.missingTables[nodes[i].name] = config.tables.filter(t => !has.has(t))
      out.drift[nodes[i].name] = schemaDrift(primaryColumns, result.value.columns, config.publishedParts)
    }
  })
  return out
}

function versionAndCapacityProblems(node: NodeSpec, facts: NodeFacts): string[] {
  const problems: string[] = []
  if (facts.versionNum < 150000)
    problems.push(`${node.name}: PostgreSQL ${facts.version} — replkit needs 15 or later (subscription stats, SKIP)`)
  if (node.role === 'replica' && facts.maxLogicalReplicationWorkers < 2) {
    problems.push(
      `${node.name}: max_logical_replication_workers = ${facts.maxLogicalReplicationWorkers}; an apply worker and a table-sync worker need at least 2 (restart needed)`,
    )
  }
  if (node.role === 'replica' && facts.maxWorkerProcesses < facts.maxLogicalReplicationWorkers + 1) {
    problems.push(
      `${node.name}: max_worker_processes = ${facts.maxWorkerProcesses} leaves no room for ${facts.maxLogicalReplicationWorkers} logical replication workers`,
    )
  }
  return problems
}

export interface RoleState {
  exists: boolean
  login: boolean
  replication: boolean
  superuser: boolean
  verifier: string | null
  missingGrants(tables: string[]): string[]
  extraGrants(tables: string[]): string[]
}

export async function roleState(sql: Sql, role: string): Promise<RoleState> {
  const [r] =
    await sql`select rolcanlogin, rolreplication, rolsuper, rolpassword from pg_authid where rolname = ${role}`
  const selectable = r
    ? (
        await sql`
        select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'v', 'm', 'f')
          and n.nspname not in ('pg_catalog', 'information_schema', 'pgtap', 'replkit', 'pg_toast')
          and has_table_privilege(${role}, c.oid, 'SELECT')`
      ).map(x => tableText({ schema: x.nspname, name: x.relname }))
    : []
  return {
    exists: Boolean(r),
    login: Boolean(r?.rolcanlogin),
    replication: Boolean(r?.rolreplication),
    superuser: Boolean(r?.rolsuper),
    verifier: r?.rolpassword ?? null,
    missingGrants: tables => tables.filter(t => !selectable.includes(t)),
    extraGrants: tables => selectable.filter(t => !tables.includes(t)),
  }
}
