// The switchover's shared parts: its SQL files, the nodes it holds open, and what it does to one
// node's subscription (used by the switch, its rollback and its crash recovery).
import { type OpenNode, openNodes } from '../node.js'
import type { Config, NodeSpec } from '../config.js'
import type { Sql } from '../db.js'
import { ReplkitError, EXIT } from '../errors.js'
import { compareTable } from '../compare/at-lsn.js'
import { subscriptionConninfo } from '../replication/conninfo.js'
import { subscriptionName } from '../replication/names.js'
import { optionsBetween, withList } from '../replication/options.js'
import { pointsAt } from '../replication/roles.js'
import { runSqlFile } from '../sql-files.js'

export const sqlFile = (
  node: NodeSpec,
  file: string,
  vars: Record<string, string>,
  dryRun: boolean,
  secretVars?: Record<string, string>,
) => runSqlFile(node, `sql/switchover/${file}`, { vars, secretVars, dryRun })

export const dropSubscription = (node: NodeSpec, dryRun: boolean) =>
  runSqlFile(node, 'sql/rollback/010_revert_subscription.sql', {
    vars: { subscription: subscriptionName(node) },
    dryRun,
  })

/** node subscribes to `primary` from this point, without a copy (every node holds the same rows). */
export async function subscribeTo(
  config: Config,
  primary: Sql,
  node: NodeSpec,
  nodeSql: Sql,
  password: string,
): Promise<string> {
  const chosen = await optionsBetween(primary, nodeSql, config.tables)
  const vars = { subscription: subscriptionName(node), publication: config.publication, options: withList(chosen) }
  await sqlFile(node, '020_subscribe_to_new_primary.sql', vars, false, {
    conninfo: subscriptionConninfo(config, password),
  })
  return withList(chosen)
}

/** Every node, one connection each, kept open for the whole switchover (never idle-closed). */
export const openAll = (config: Config): Promise<OpenNode[]> =>
  openNodes([config.primary, ...config.replicas], { max: 1, idleTimeoutSeconds: 0 })

/**
 * Before the fence, under live writes: every table equal on every node at an LSN each replica had
 * applied (compare/at-lsn.ts, as make check compares), so the pause need not scan the tables.
 * Throws naming what differs or never held still; nothing has changed then.
 */
export async function proveEqualBeforeFence(config: Config, nodes: OpenNode[], timeoutMs: number): Promise<void> {
  const [primary, ...rest] = nodes
  const replicas = rest.map(n => ({ ...n, subscription: subscriptionName(n.spec) }))
  const problems: string[] = []
  for (const table of config.tables) {
    const compared = await compareTable(primary, replicas, table, { rows: false, timeoutMs })
    for (const r of compared.replicas.filter(r => r.state !== 'equal'))
      problems.push(`${table} on ${r.name} ${r.state === 'differs' ? 'differs' : 'kept changing in every round'}`)
  }
  if (problems.length)
    throw new ReplkitError(
      `not every table equals the PRIMARY's at an LSN the replicas reached: ${problems.join(', ')}; nothing was changed (make check ARGS="--diff TABLE" names the rows, make sync repairs them)`,
      EXIT.failed,
    )
}

/** Each replica's subscription counters (apply errors, 18's conflicts): any change after the proof is a change the proof did not see. */
export async function applyCounters(nodes: OpenNode[]): Promise<string[]> {
  return Promise.all(
    nodes.slice(1).map(async n => {
      const [row] = await n.sql`
        select (to_jsonb(s) - 'subid' - 'subname' - 'stats_reset')::text as counters
        from pg_stat_subscription_stats s where subname = ${subscriptionName(n.spec)}`
      return `${n.spec.name} ${row?.counters ?? 'no subscription'}`
    }),
  )
}

/** The conninfo of the node's subscription of that name, or null. */
export async function subscriptionOn(sql: Sql, name: string): Promise<string | null> {
  const [row] = await sql`select subconninfo from pg_subscription where subname = ${name}`
  return row?.subconninfo ?? null
}

export async function isSubscribedTo(sql: Sql, node: NodeSpec): Promise<boolean> {
  const rows =
    await sql`select subconninfo from pg_subscription where subdbid = (select oid from pg_database where datname = current_database())`
  return rows.some(r => pointsAt(r.subconninfo, node))
}
