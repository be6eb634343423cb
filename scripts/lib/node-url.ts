// A node as libpq would reach it from its URL: host, port, database and user from the URL, else
// from a connection service (pg_service.conf); sslmode and sslrootcert from the URL, the service,
// else PGSSLMODE / PGSSLROOTCERT; the password from the URL, the service, PGPASSWORD, else the
// password file (~/.pgpass).
import { ConfigError } from './errors.js'
import { passwordFromFile } from './pgpass.js'
import { serviceParams } from './pgservice.js'

type Env = Record<string, string | undefined>

export type Role = 'primary' | 'replica'

/** libpq's sslmode values, weakest first. */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]

export interface NodeSpec {
  name: string
  role: Role
  host: string
  port: number
  database: string
  user: string
  password: string
  /** libpq's sslmode: from the URL's ?sslmode=, else PGSSLMODE, else prefer (libpq's default). */
  sslmode: SslMode
  /** CA file for verify-ca / verify-full: ?sslrootcert= or PGSSLROOTCERT. */
  sslrootcert: string | undefined
  /** host:port/database as user — safe to print: never carries the password. */
  label: string
}

function sslmodeOf(value: string | undefined, where: string): SslMode {
  const mode = value ?? 'prefer'
  if (!(SSL_MODES as readonly string[]).includes(mode))
    throw new ConfigError(`${where}: sslmode "${mode}" is not one of ${SSL_MODES.join(', ')}`)
  return mode as SslMode
}

export function parseNodeUrl(url: string, name: string, role: Role, env: Env = {}): NodeSpec {
  const variable = role === 'primary' ? 'PRIMARY_URL' : `REPLICA_URLS (${name})`
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ConfigError(`${variable} is not a valid postgres:// URL`)
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(`${variable} must start with postgres://, not ${parsed.protocol}//`)
  }
  const known = new Set(['sslmode', 'sslrootcert', 'service'])
  for (const key of parsed.searchParams.keys())
    if (!known.has(key))
      throw new ConfigError(`${variable}: unknown parameter "${key}" (replkit reads sslmode, sslrootcert and service)`)
  // As libpq: what the URL says wins; a service (pg_service.conf) fills in the rest.
  const serviceName = parsed.searchParams.get('service') ?? env.PGSERVICE
  const service = serviceName ? serviceParams(serviceName, env, variable) : {}
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || service.dbname || ''
  const rawHost = parsed.hostname || service.host || ''
  if (!rawHost) throw new ConfigError(`${variable} has no host`)
  if (!database) throw new ConfigError(`${variable} names no database`)
  const port = parsed.port ? Number(parsed.port) : service.port ? Number(service.port) : 5432
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ConfigError(`${variable}: port "${service.port}" of service "${serviceName}" is not a port`)
  const sslmode = sslmodeOf(parsed.searchParams.get('sslmode') ?? service.sslmode ?? env.PGSSLMODE, variable)
  const sslrootcert = parsed.searchParams.get('sslrootcert') ?? service.sslrootcert ?? env.PGSSLROOTCERT
  const user = decodeURIComponent(parsed.username) || service.user || 'postgres'
  const host = rawHost.replace(/^\[|\]$/g, '')
  return {
    name,
    role,
    host,
    port,
    database,
    user,
    // libpq's order: the URL's password, else PGPASSWORD, else the password file (PGPASSFILE, ~/.pgpass).
    password:
      decodeURIComponent(parsed.password) ||
      service.password ||
      env.PGPASSWORD ||
      passwordFromFile({ host, port, database, user }, env) ||
      '',
    sslmode,
    sslrootcert,
    label: `${user}@${host}:${port}/${database}`,
  }
}
