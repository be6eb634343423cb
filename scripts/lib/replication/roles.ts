// Who is the PRIMARY, from the catalogues rather than from which URL is called PRIMARY_URL: after
// make switchover (without --write-env) the node at PRIMARY_URL subscribes to the node that now
// publishes. Nodes keep their names (their identity: data directory, sub_<name>); roles move.
import { type Config, type NodeSpec, loadConfig } from '../config.js'
import { type Sql, connect, withNode } from '../db.js'
import { ConfigError } from '../errors.js'
import { expandSchemas } from './schema-tables.js'

/** The configuration with `next` as the PRIMARY and the PRIMARY in its place among the replicas. */
export function swapRoles(config: Config, next: NodeSpec): Config {
  if (next.name === config.primary.name) return config
  const demoted: NodeSpec = { ...config.primary, role: 'replica' }
  return {
    ...config,
    primary: { ...next, role: 'primary' },
    replicas: config.replicas.map(r => (r.name === next.name ? demoted : r)),
    // SUBSCRIPTION_HOST/PORT say where the replicas reach the configured PRIMARY, not another node.
    subscriptionHost: undefined,
    subscriptionPort: undefined,
  }
}

/** host and port of a libpq conninfo string ("host=127.0.0.1 port=54322 …"). */
export function conninfoAddress(conninfo: string): { host: string | null; port: number } {
  const host = /(?:^|\s)host\s*=\s*'?([^'\s]+)'?/.exec(conninfo)?.[1] ?? null
  const port = Number(/(?:^|\s)port\s*=\s*'?(\d+)'?/.exec(conninfo)?.[1] ?? 5432)
  return { host, port }
}

/** The conninfo reaches this node (its URL's host and port). */
export function pointsAt(conninfo: string, node: NodeSpec): boolean {
  const { host, port } = conninfoAddress(conninfo)
  return host === node.host && port === node.port
}

/** The node the given one's replkit subscription streams from, if it has one. */
export async function upstreamOf(config: Config, sql: Sql): Promise<NodeSpec | null> {
  const [row] = await sql`
    select subconninfo from pg_subscription
    where subdbid = (select oid from pg_database where datname = current_database()) and ${config.publication} = any(subpublications)
    limit 1`
  if (!row) return null
  return config.replicas.find(r => pointsAt(row.subconninfo, r)) ?? null
}

/**
 * The configuration as the catalogues have it: when the PRIMARY_URL node subscribes to one of the
 * replicas, that replica is the PRIMARY; each schema.* of PUBLICATION_TABLES is the tables the
 * PRIMARY holds there (schema-tables.ts). When the PRIMARY cannot be reached the configuration
 * stands (make check then reports it down, and nothing publishes an unexpanded schema.*).
 */
export async function fromCatalogues(config: Config, primary?: Sql): Promise<Config> {
  const sql = primary ?? connect(config.primary, { connectTimeoutSeconds: 3 })
  try {
    let actual: Config
    try {
      const upstream = await upstreamOf(config, sql)
      actual = upstream ? swapRoles(config, upstream) : config
    } catch {
      return config
    }
    return await readSchemaTables(actual, actual.primary.name === config.primary.name ? sql : null)
  } finally {
    if (!primary) await sql.end({ timeout: 1 })
  }
}

/** Each schema.* read on the PRIMARY (over `sql` when that is its connection); unread when it cannot be reached. */
async function readSchemaTables(config: Config, sql: Sql | null): Promise<Config> {
  if (config.publishedSchemas.length === 0) return config
  try {
    if (sql) return await expandSchemas(config, sql)
    return await withNode(config.primary, other => expandSchemas(config, other), { connectTimeoutSeconds: 3 })
  } catch (error) {
    if (error instanceof ConfigError) throw error
    return config
  }
}

/** loadConfig, then what the catalogues show: what every command that acts on the cluster uses. */
export async function loadClusterConfig(): Promise<Config> {
  return fromCatalogues(loadConfig())
}
