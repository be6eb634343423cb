// The switchover's shared parts: its SQL files, the nodes it holds open, and what it does to one
// node's subscription (used by the switch, its rollback and its crash recovery).
import type { Config, NodeSpec } from '../config.js'
import { type Sql, connectChecked } from '../db.js'
import { ReplkitError, EXIT } from '../errors.js'
import { fingerprints, sameFingerprint } from '../checks/fingerprint.js'
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

export interface Open {
  spec: NodeSpec
  sql: Sql
}

export async function openAll(config: Config): Promise<Open[]> {
  return Promise.all(
    [config.primary, ...config.replicas].map(async spec => ({
      spec,
      sql: await connectChecked(spec, { max: 1, idleTimeoutSeconds: 0 }),
    })),
  )
}

/** Every node's tables hold the same rows as the fenced PRIMARY's: the proof before anyone else writes. */
export async function proveEqual(config: Config, nodes: Open[]): Promise<void> {
  const sums = await Promise.all(nodes.map(n => fingerprints(n.sql, config.tables)))
  const differ = nodes
    .slice(1)
    .flatMap((n, i) =>
      config.tables.filter(t => !sameFingerprint(sums[0][t], sums[i + 1][t])).map(t => `${t} on ${n.spec.name}`),
    )
  if (differ.length)
    throw new ReplkitError(`checksums differ from the fenced PRIMARY's: ${differ.join(', ')}`, EXIT.failed)
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
