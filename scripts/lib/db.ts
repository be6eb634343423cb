// Connections through the postgres driver. Every connection has connect and statement
// timeouts, so nothing replkit does can hang on a dead node; errors name the node, never
// the password.
import postgres from 'postgres'
import type { NodeSpec } from './config.js'
import { ReplkitError } from './errors.js'

export type Sql = postgres.Sql<Record<string, never>>

export interface ConnectOptions {
  connectTimeoutSeconds?: number
  statementTimeoutMs?: number
  max?: number
  database?: string
}

export function connect(node: NodeSpec, opts: ConnectOptions = {}): Sql {
  return postgres({
    host: node.host,
    port: node.port,
    database: opts.database ?? node.database,
    username: node.user,
    password: node.password,
    max: opts.max ?? 1,
    connect_timeout: opts.connectTimeoutSeconds ?? 5,
    idle_timeout: 5,
    onnotice: () => {},
    prepare: false,
    connection: {
      application_name: 'replkit',
      statement_timeout: opts.statementTimeoutMs ?? 30_000,
      // Same rendering of values on every node, so row hashes compare across nodes.
      TimeZone: 'UTC',
      DateStyle: 'ISO, MDY',
      extra_float_digits: 1,
    },
  }) as unknown as Sql
}

/** Opens a connection and proves it with a round trip; a failure becomes one clear line. */
export async function connectChecked(node: NodeSpec, opts: ConnectOptions = {}): Promise<Sql> {
  const sql = connect(node, opts)
  try {
    await sql`select 1`
    return sql
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {})
    throw new ReplkitError(describeDbError(node, error))
  }
}

/** One line that says which node failed and why, in words an operator can act on. */
export function describeDbError(node: NodeSpec, error: unknown): string {
  const e = error as { code?: string; message?: string; errno?: string }
  const where = `${node.name} (${node.host}:${node.port}/${node.database})`
  switch (e.code) {
    case 'ECONNREFUSED':
      return `cannot reach ${where}: connection refused — is the server running? (make up starts the local cluster)`
    case 'ENOTFOUND':
      return `cannot reach ${where}: host ${node.host} not found`
    case 'CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `cannot reach ${where}: connection timed out`
    case '28P01':
      return `${where}: password authentication failed for user "${node.user}" — check the password in .env or the environment`
    case '28000':
      return `${where}: the server refused user "${node.user}" (pg_hba.conf has no matching entry)`
    case '3D000':
      return `${where}: database "${node.database}" does not exist (make up creates it on the local cluster)`
    case '57014':
      return `${where}: a query ran past its statement timeout`
    default:
      return `${where}: ${redact(e.message ?? String(error), node.password)}`
  }
}

function redact(text: string, secret: string): string {
  return secret ? text.split(secret).join('***') : text
}

/** Runs fn with a checked connection and always closes it. */
export async function withNode<T>(node: NodeSpec, fn: (sql: Sql) => Promise<T>, opts: ConnectOptions = {}): Promise<T> {
  const sql = await connectChecked(node, opts)
  try {
    return await fn(sql)
  } catch (error) {
    if (error instanceof ReplkitError) throw error
    throw new ReplkitError(describeDbError(node, error))
  } finally {
    await sql.end({ timeout: 1 })
  }
}
