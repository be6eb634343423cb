// Connections through the postgres driver. Every connection has connect and statement
// timeouts and libpq's TLS rules (libpq.ts), so nothing replkit does can hang on a dead node or
// on a port that speaks another protocol; errors name the node, never the password.
import { type Socket, createConnection } from 'node:net'
import postgres from 'postgres'
import type { NodeSpec } from './config.js'
import { EXIT, ReplkitError } from './errors.js'
import { driverSsl } from './libpq.js'

export type Sql = postgres.Sql<Record<string, never>>

/** Why a node could not be used: each has its own fix. */
export type FailureKind =
  | 'unreachable'
  | 'login'
  | 'no-database'
  | 'tls'
  | 'not-postgres'
  | 'slow'
  /** The server answered a query with an error of its own: up, but not read. */
  | 'query'
  | 'other'

/** A node that refused or failed the connection, with why: the command could not do its job (exit 2, as check's CRITICAL). */
export class NodeError extends ReplkitError {
  constructor(
    message: string,
    readonly kind: FailureKind,
  ) {
    super(message, EXIT.failed)
    this.name = 'NodeError'
  }
}

export function failureKind(error: unknown): FailureKind {
  const code = (error as { code?: string }).code
  if (code === '28P01' || code === '28000') return 'login'
  if (code === '3D000') return 'no-database'
  // query_canceled: the server answered, but a statement ran past its timeout.
  if (code === '57014') return 'slow'
  // Any other SQLSTATE but a connection failure (08), an operator intervention such as a shutdown
  // (57P) or exhausted resources (53): the server is up and answered.
  if (isSqlState(code) && !/^(08|57P|53)/.test(code!)) return 'query'
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'CONNECT_TIMEOUT' ||
    code === 'ETIMEDOUT' ||
    code === 'ECONNRESET'
  )
    return 'unreachable'
  if (typeof code === 'string' && /CERT|TLS|SSL/.test(code)) return 'tls'
  return 'other'
}

export interface ConnectOptions {
  connectTimeoutSeconds?: number
  /** Seconds an unused connection stays open (default 5); 0 keeps it (a long-running exporter). */
  idleTimeoutSeconds?: number
  statementTimeoutMs?: number
  max?: number
  database?: string
  /** A logical replication connection (replication=database): CREATE_REPLICATION_SLOT and SQL. */
  replication?: boolean
}

/**
 * A TCP connection with Nagle's algorithm off, as libpq makes it. The driver leaves it on: over
 * TLS the handshake's last record and the startup message go out as two small writes, and the
 * second waited for the server's delayed ACK — ~50 ms of every connection (make check opens three).
 * Handed over still connecting: the driver writes into it (queued until it connects), and a
 * refusal or a timeout reaches the driver's own error and close handlers, which reconnect later
 * as they do for a socket of their own (a factory that rejected left the connection dead).
 */
function tcpNoDelay(host: string, port: number): () => Socket {
  // The driver reads host and port back for TLS's server name and its error messages.
  return () => Object.assign(createConnection({ host, port, noDelay: true }), { host, port })
}

export function connect(node: NodeSpec, opts: ConnectOptions = {}): Sql {
  return postgres({
    host: node.host,
    port: node.port,
    // A Unix socket directory is the driver's own path; TCP is opened here, without Nagle.
    ...(node.host.startsWith('/') ? {} : { socket: tcpNoDelay(node.host, node.port) }),
    database: opts.database ?? node.database,
    username: node.user,
    password: node.password,
    ssl: driverSsl(node),
    max: opts.max ?? 1,
    connect_timeout: opts.connectTimeoutSeconds ?? 5,
    idle_timeout: opts.idleTimeoutSeconds ?? 5,
    onnotice: () => {},
    prepare: false,
    // The array-type lookup is an extended-protocol query, which a walsender refuses.
    fetch_types: !opts.replication,
    connection: {
      application_name: 'replkit',
      // A replica is read-only for client sessions (replication/read-only.ts); replkit's own write
      // there. A string: the driver leaves falsy values out of the startup packet.
      ...(node.role === 'replica' ? ({ default_transaction_read_only: 'off' } as object) : {}),
      ...(opts.replication ? { replication: 'database' } : {}),
      statement_timeout: opts.statementTimeoutMs ?? 30_000,
      // Same rendering of values on every node, so row hashes compare across nodes.
      TimeZone: 'UTC',
      DateStyle: 'ISO, MDY',
      extra_float_digits: 1,
    },
  }) as unknown as Sql
}

const versionNums = new WeakMap<Sql, number>()

/** The server's server_version_num (150018, 180004, …): what every version-dependent query is chosen by. */
export async function serverVersionNum(sql: Sql): Promise<number> {
  let num = versionNums.get(sql)
  if (num === undefined) {
    const [row] = await sql`select current_setting('server_version_num')::int as num`
    num = row.num as number
    versionNums.set(sql, num)
  }
  return num
}

/** 15, 16, 17, 18 …: the major of a server_version_num. */
export const majorOf = (versionNum: number) => Math.floor(versionNum / 10000)

/** Opens a connection and proves it with a round trip, within the connect timeout; a failure becomes one clear line. */
export async function connectChecked(node: NodeSpec, opts: ConnectOptions = {}): Promise<Sql> {
  const seconds = opts.connectTimeoutSeconds ?? 5
  const sql = connect(node, opts)
  let timer: NodeJS.Timeout | undefined
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('no answer'), { code: 'CONNECT_TIMEOUT' })),
        seconds * 1000 + 500,
      )
    })
    const [row] = await Promise.race([sql`select current_setting('server_version_num')::int as num`, deadline])
    versionNums.set(sql, row.num as number)
    return sql
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {})
    const { message, kind } = await explainConnectFailure(node, error, seconds)
    throw new NodeError(message, kind)
  } finally {
    clearTimeout(timer)
  }
}

/** SQLSTATEs are five characters; anything else is a socket or protocol failure worth probing. */
const isSqlState = (code: unknown) => typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)

async function explainConnectFailure(
  node: NodeSpec,
  error: unknown,
  seconds: number,
): Promise<{ message: string; kind: FailureKind }> {
  const code = (error as { code?: string }).code
  const plain = { message: describeDbError(node, error), kind: failureKind(error) }
  if (isSqlState(code) || code === 'ECONNREFUSED' || code === 'ENOTFOUND') return plain
  const answer = await probeProtocol(node.host, node.port, Math.min(seconds, 3) * 1000)
  if (answer.kind === 'other') {
    return {
      kind: 'not-postgres',
      message: `${where(node)} does not speak the PostgreSQL protocol: it answered ${JSON.stringify(answer.sample)} — is the port in the URL right?`,
    }
  }
  if (answer.kind === 'silent')
    return {
      kind: 'not-postgres',
      message: `${where(node)} accepts connections but never answers a PostgreSQL handshake within ${Math.min(seconds, 3)} s — is the port in the URL right?`,
    }
  return plain
}

export type ProbeAnswer =
  | { kind: 'postgres' }
  | { kind: 'other'; sample: string }
  | { kind: 'silent' }
  | { kind: 'closed' }

/** Sends PostgreSQL's SSLRequest and reads the first byte: 'S' or 'N' is a PostgreSQL server. */
export function probeProtocol(host: string, port: number, timeoutMs: number): Promise<ProbeAnswer> {
  return new Promise(resolve => {
    const socket = createConnection({ host, port })
    const done = (answer: ProbeAnswer) => {
      socket.destroy()
      resolve(answer)
    }
    socket.setTimeout(timeoutMs, () => done({ kind: 'silent' }))
    socket.once('error', () => done({ kind: 'closed' }))
    socket.once('close', () => done({ kind: 'closed' }))
    socket.once('connect', () => socket.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])))
    socket.once('data', data => {
      const first = data.subarray(0, 1).toString('latin1')
      done(
        first === 'S' || first === 'N' || first === 'E'
          ? { kind: 'postgres' }
          : {
              kind: 'other',
              sample: data
                .subarray(0, 24)
                .toString('latin1')
                .replace(/[^\x20-\x7e]/g, '.'),
            },
      )
    })
  })
}

const where = (node: NodeSpec) => `${node.name} (${node.host}:${node.port}/${node.database})`

/** One line that says which node failed and why, in words an operator can act on. */
export function describeDbError(node: NodeSpec, error: unknown): string {
  const e = error as { code?: string; message?: string; errno?: string }
  const at = where(node)
  switch (e.code) {
    case 'ECONNREFUSED':
      return `cannot reach ${at}: connection refused — is the server running?`
    case 'ENOTFOUND':
      return `cannot reach ${at}: host ${node.host} not found`
    case 'CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `cannot reach ${at}: connection timed out`
    case '28P01':
      return `${at}: password authentication failed for user "${node.user}" — check the password in .env or the environment`
    case '28000':
      return `${at}: the server refused user "${node.user}" (pg_hba.conf has no matching entry${node.sslmode === 'disable' ? ', or it requires TLS and sslmode=disable' : ''})`
    case '3D000':
      return `${at}: database "${node.database}" does not exist`
    case '57014':
      return `${at}: answered, but a query ran past its statement timeout (the server is busy, not down)`
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'CERT_HAS_EXPIRED':
      return `${at}: the server's TLS certificate was refused under sslmode=${node.sslmode} (${e.code}${node.sslrootcert ? `, CA ${node.sslrootcert}` : ''})`
    default:
      return `${at}: ${redact(e.message ?? String(error), node.password)}`
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
