// Configuration: environment, then .env, then config/.env.example. Nodes are reached only
// through their URLs, so the same code drives the local cluster, Docker or remote hosts.
import { existsSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import dotenv from 'dotenv'
import { ConfigError, ReplkitError } from './errors.js'
import { type NodeSpec, parseNodeUrl } from './node-url.js'
import { canonicalTable, parseTableName, quoteIdent } from './table-name.js'
import { type PublicationTables, type PublishedPart, parsePublicationTables } from './publication-tables.js'

export { type NodeSpec, type Role, SSL_MODES, type SslMode, parseNodeUrl } from './node-url.js'

/** The project's root (sql/, config/, data/): the directory holding replkit's package.json, from the sources or the build in dist/. */
export const repoRoot = (function findRoot(dir: string): string {
  if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'sql'))) return dir
  const parent = dirname(dir)
  if (parent === dir) throw new Error('replkit: cannot find its own directory (package.json beside sql/)')
  return findRoot(parent)
})(dirname(fileURLToPath(import.meta.url)))

/**
 * A file the user names (a flag, a variable) is read where they are: relative to the working
 * directory, as with any command. Only a relative path that is not there falls back to the
 * package's own copy (data/products.json when replkit runs installed elsewhere).
 */
export function inputPath(path: string): string {
  const here = resolve(process.cwd(), path)
  if (existsSync(here) || isAbsolute(path)) return here
  const packaged = resolve(repoRoot, path)
  return existsSync(packaged) ? packaged : here
}

export interface Config {
  primary: NodeSpec
  replicas: NodeSpec[]
  clusterDir: string
  pgBindir: string | undefined
  /** PG_VERSIONS: the PostgreSQL major each local-cluster node runs, by node name. */
  localMajors: Record<string, Major>
  /** Why PG_VERSIONS does not fit the nodes (a count mismatch): refused by the local cluster only, since other commands do not need it. */
  pgVersionsProblem: string | null
  replicatorUser: string
  replicatorPassword: string | undefined
  /** A login role (MONITOR_USER) make replicate grants what make check and make metrics read, on every node. */
  monitorUser: string | undefined
  /** PostgreSQL 16+: a login role, not a superuser, that owns every subscription (SUBSCRIPTION_OWNER). */
  subscriptionOwner: string | undefined
  publication: string
  /** The published tables, each by its regclass text (table-name.ts). */
  tables: string[]
  /** The tables published in part (a column list, a row filter), from PUBLICATION_TABLES. */
  publishedParts: Record<string, PublishedPart>
  /** Schemas published whole (schema.*): their tables join `tables` once read on the PRIMARY (replication/schema-tables.ts). */
  publishedSchemas: string[]
  /** Tables of those schemas left out (-schema.table). */
  excludedTables: string[]
  /** There are schemas published whole whose tables are not in `tables` yet (the PRIMARY has not been read). */
  schemaTablesUnread: boolean
  /** CA file the subscriptions verify the PRIMARY against (SSL_ROOT_CERT); else sslmode=require. */
  sslRootCert: string | undefined
  /** SUBSCRIPTION_SSLMODE: verify-ca (default with a CA) or verify-full (the PRIMARY's name is checked too). */
  subscriptionSslmode: 'require' | 'verify-ca' | 'verify-full'
  /** Where the replicas reach the PRIMARY, when not at PRIMARY_URL's address (e.g. "primary" in Docker). */
  subscriptionHost: string | undefined
  subscriptionPort: number | undefined
  /** SAVE_DIR: where repairs keep the rows they discard or overwrite (default saved/ in the project). */
  saveDir: string
  /** PgBouncer in front of the PRIMARY (PGBOUNCER_PORT set), which make switchover pauses and repoints. */
  pgbouncer: PgbouncerSpec | null
}

export interface PgbouncerSpec {
  host: string
  port: number
  /** Its configuration file, whose [databases] entry for the PRIMARY's database make switchover rewrites. */
  ini: string
}

/** The majors replkit runs and is tested on: 15 from Debian, 16–18 from the npm builds. */
export const MAJORS = [15, 16, 17, 18] as const
export type Major = (typeof MAJORS)[number]

/**
 * PG_VERSIONS: one major for every node ("17") or one per node, primary first ("15,17,18"). A value
 * that is no major is refused; a count that does not fit the nodes is a problem for the local
 * cluster alone (replkit --primary URL check need not care about it).
 */
export function parseMajors(
  value: string | undefined,
  nodes: string[],
): { majors: Record<string, Major>; problem: string | null } {
  const items = (value ?? '15').split(',').map(v => v.trim())
  const majors = items.map(item => {
    const major = Number(item)
    if (!(MAJORS as readonly number[]).includes(major))
      throw new ConfigError(`PG_VERSIONS: "${item}" is not a PostgreSQL major replkit runs (${MAJORS.join(', ')})`)
    return major as Major
  })
  if (items.length !== 1 && items.length !== nodes.length) {
    return {
      majors: {},
      problem: `PG_VERSIONS has ${items.length} versions for ${nodes.length} nodes (${nodes.join(', ')}): give one for all, or one per node`,
    }
  }
  return {
    majors: Object.fromEntries(nodes.map((name, i) => [name, majors[items.length === 1 ? 0 : i]])),
    problem: null,
  }
}

export const DEFAULT_TABLES = ['categories', 'products', 'inventory', 'orders', 'order_items', 'payments']

type Env = Record<string, string | undefined>

/** The effective environment: process env wins over .env (the working directory's, then the project's), which wins over the example. */
export function loadEnv(root = repoRoot, env: Env = process.env): Env {
  const files = [join(root, 'config/.env.example'), join(root, '.env')]
  // Installed as a command (npm install -g), replkit reads the .env of the directory it runs in.
  if (resolve(process.cwd()) !== resolve(root)) files.push(join(process.cwd(), '.env'))
  const merged: Env = {}
  for (const file of files) {
    if (existsSync(file)) Object.assign(merged, dotenv.config({ path: file, processEnv: {}, quiet: true }).parsed)
  }
  return { ...merged, ...definedOnly(env) }
}

function definedOnly(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/

function identifier(value: string, what: string): string {
  if (!IDENTIFIER.test(value)) throw new ConfigError(`${what} "${value}" must be a lower-case SQL identifier`)
  return value
}

export function loadConfig(env: Env = loadEnv()): Config {
  if (!env.PRIMARY_URL) throw new ConfigError('PRIMARY_URL is not set (see config/.env.example)')
  if (!env.REPLICA_URLS) throw new ConfigError('REPLICA_URLS is not set (see config/.env.example)')
  const urls = env.REPLICA_URLS.split(',')
    .map(s => s.trim())
    .filter(Boolean)
  const names = env.REPLICA_NAMES
    ? env.REPLICA_NAMES.split(',').map(s => s.trim())
    : urls.map((_, i) => `replica${i + 1}`)
  if (names.length !== urls.length) {
    throw new ConfigError(`REPLICA_NAMES has ${names.length} names for ${urls.length} REPLICA_URLS`)
  }
  for (const n of names) identifier(n, 'replica name')
  // A node's name is its identity (data directory, subscription sub_<name>), not its role: after
  // a switchover the node called "primary" may be a replica (PRIMARY_NAME names the PRIMARY).
  const primaryName = identifier(env.PRIMARY_NAME ?? 'primary', 'PRIMARY_NAME')
  if (new Set([primaryName, ...names]).size !== names.length + 1) {
    throw new ConfigError(`node names must be unique (PRIMARY_NAME ${primaryName}, REPLICA_NAMES ${names.join(',')})`)
  }
  const primary = parseNodeUrl(env.PRIMARY_URL, primaryName, 'primary', env)
  const replicas = urls.map((u, i) => parseNodeUrl(u, names[i], 'replica', env))
  const seen = new Map<string, string>()
  for (const node of [primary, ...replicas]) {
    const key = `${node.host}:${node.port}/${node.database}`
    if (seen.has(key)) throw new ConfigError(`${node.name} and ${seen.get(key)} are the same database (${key})`)
    seen.set(key, node.name)
  }
  const clusterDir = env.CLUSTER_DIR ?? '.cluster'
  return {
    primary,
    replicas,
    // Directories replkit writes are the user's: relative to where it runs (make runs in the checkout).
    clusterDir: resolve(process.cwd(), clusterDir),
    pgBindir: env.PG_BINDIR,
    ...(({ majors, problem }) => ({ localMajors: majors, pgVersionsProblem: problem }))(
      parseMajors(env.PG_VERSIONS, [primaryName, ...names]),
    ),
    replicatorUser: identifier(env.REPLICATOR_USER ?? 'replicator', 'REPLICATOR_USER'),
    replicatorPassword: env.REPLICATOR_PASSWORD,
    monitorUser: env.MONITOR_USER === undefined ? undefined : identifier(env.MONITOR_USER, 'MONITOR_USER'),
    subscriptionOwner:
      env.SUBSCRIPTION_OWNER === undefined ? undefined : identifier(env.SUBSCRIPTION_OWNER, 'SUBSCRIPTION_OWNER'),
    publication: identifier(env.PUBLICATION ?? 'ecommerce_pub', 'PUBLICATION'),
    ...(({ tables, parts, schemas, excluded }) => ({
      tables,
      publishedParts: parts,
      publishedSchemas: schemas,
      excludedTables: excluded,
      schemaTablesUnread: schemas.length > 0,
    }))(publicationTables(env.PUBLICATION_TABLES)),
    sslRootCert: env.SSL_ROOT_CERT,
    subscriptionSslmode: subscriptionSslmode(env),
    saveDir: resolve(process.cwd(), env.SAVE_DIR ?? 'saved'),
    subscriptionHost: env.SUBSCRIPTION_HOST,
    subscriptionPort:
      env.SUBSCRIPTION_PORT === undefined ? undefined : portNumber(env.SUBSCRIPTION_PORT, 'SUBSCRIPTION_PORT'),
    pgbouncer: env.PGBOUNCER_PORT
      ? {
          host: env.PGBOUNCER_HOST ?? '127.0.0.1',
          port: portNumber(env.PGBOUNCER_PORT, 'PGBOUNCER_PORT'),
          ini: resolve(process.cwd(), clusterDir, env.PGBOUNCER_INI ?? 'pgbouncer/pgbouncer.ini'),
        }
      : null,
  }
}

/** PUBLICATION_TABLES (publication-tables.ts): the tables, and the ones published in part. */
function publicationTables(value: string | undefined): PublicationTables {
  if (value === undefined) return { tables: DEFAULT_TABLES, parts: {}, schemas: [], excluded: [] }
  try {
    return parsePublicationTables(value)
  } catch (error) {
    throw new ConfigError(`PUBLICATION_TABLES: ${(error as Error).message}`)
  }
}

function portNumber(value: string, variable: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ConfigError(`${variable} must be a port number (1-65535), not "${value}"`)
  return port
}

function subscriptionSslmode(env: Env): Config['subscriptionSslmode'] {
  const mode = env.SUBSCRIPTION_SSLMODE ?? (env.SSL_ROOT_CERT ? 'verify-ca' : 'require')
  if (mode !== 'require' && mode !== 'verify-ca' && mode !== 'verify-full') {
    throw new ConfigError(`SUBSCRIPTION_SSLMODE must be require, verify-ca or verify-full, not "${mode}"`)
  }
  if (mode !== 'require' && !env.SSL_ROOT_CERT)
    throw new ConfigError(
      `SUBSCRIPTION_SSLMODE=${mode} needs SSL_ROOT_CERT (the CA file the replicas verify the PRIMARY with)`,
    )
  return mode
}

export function allNodes(config: Config): NodeSpec[] {
  return [config.primary, ...config.replicas]
}

export function findNode(config: Config, name: string): NodeSpec {
  const node = allNodes(config).find(n => n.name === name)
  if (!node)
    throw new ReplkitError(
      `no node named "${name}" (nodes: ${allNodes(config)
        .map(n => n.name)
        .join(', ')})`,
    )
  return node
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}

/** --replica and --table as given name a replica and a replicated table: checked before anything asks for --yes. The table as replkit keys it. */
export function checkTargets(config: Config, targets: { replica?: string; table?: string }): { table?: string } {
  const { replica, table } = targets
  if (replica !== undefined && !config.replicas.some(r => r.name === replica)) {
    throw new ReplkitError(
      `--replica ${replica}: not a replica (replicas: ${config.replicas.map(r => r.name).join(', ')})`,
    )
  }
  return table === undefined ? {} : { table: replicatedTable(config, table, '--table') }
}

/** The table is in a schema published whole (schema.*), and not excluded. */
function inWholeSchema(config: Config, table: string): boolean {
  try {
    return config.publishedSchemas.includes(parseTableName(table).schema) && !config.excludedTables.includes(table)
  } catch {
    return false
  }
}

/** PUBLICATION_TABLES publishes the table: it names it, or its whole schema without excluding it. */
export const publishesTable = (config: Config, table: string) =>
  config.tables.includes(table) || inWholeSchema(config, table)

/**
 * A table a flag names (as SQL writes it), as replkit keys it; one clear line when it is not
 * replicated. Before a schema.* is expanded (fromCatalogues), any table of that schema may be.
 */
export function replicatedTable(config: Config, text: string, flag: string): string {
  let table: string
  try {
    table = canonicalTable(text)
  } catch {
    table = text
  }
  if (!config.tables.includes(table) && !(config.schemaTablesUnread && inWholeSchema(config, table))) {
    const published = [...config.tables, ...config.publishedSchemas.map(s => `${quoteIdent(s)}.*`)]
    throw new ReplkitError(`${flag} ${text}: not a replicated table (${published.join(', ')})`)
  }
  return table
}
