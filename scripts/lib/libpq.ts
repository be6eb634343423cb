// One way to reach a node: its URL becomes libpq's environment for every client program (psql,
// pg_prove, pgbench, pg_dump read PGHOST … PGSSLMODE themselves) and TLS options for the postgres
// driver, with libpq's meaning of sslmode. The password travels in PGPASSWORD, never in argv.
import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import type { NodeSpec } from './config.js'
import { ReplkitError } from './errors.js'

export interface ClientEnvOptions {
  database?: string
  connectTimeoutSeconds?: number
}

/** libpq's environment for a client program connecting to the node. */
export function clientEnv(node: NodeSpec, opts: ClientEnvOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGHOST: node.host,
    PGPORT: String(node.port),
    PGUSER: node.user,
    PGDATABASE: opts.database ?? node.database,
    PGPASSWORD: node.password,
    PGSSLMODE: node.sslmode,
    PGCONNECT_TIMEOUT: String(opts.connectTimeoutSeconds ?? 5),
    PGAPPNAME: 'replkit',
    // A replica is read-only for client sessions (replication/read-only.ts); replkit's own write there.
    PGOPTIONS: `-c TimeZone=UTC${node.role === 'replica' ? ' -c default_transaction_read_only=off' : ''}`,
  }
  if (node.sslrootcert) env.PGSSLROOTCERT = node.sslrootcert
  else delete env.PGSSLROOTCERT
  delete env.PGSERVICE
  return env
}

/** The postgres driver's ssl option for libpq's sslmode (verify-ca checks the chain, verify-full the host name too). */
export function driverSsl(node: NodeSpec): false | 'prefer' | 'require' | ConnectionOptions {
  switch (node.sslmode) {
    case 'disable':
      return false
    case 'allow':
    case 'prefer':
      return 'prefer'
    case 'require':
      return node.sslrootcert ? verifying(node, false) : 'require'
    case 'verify-ca':
      return verifying(node, false)
    case 'verify-full':
      return verifying(node, true)
  }
}

function verifying(node: NodeSpec, checkHost: boolean): ConnectionOptions {
  let ca: Buffer | undefined
  if (node.sslrootcert && node.sslrootcert !== 'system') {
    try {
      ca = readFileSync(node.sslrootcert)
    } catch (error) {
      throw new ReplkitError(
        `${node.name}: sslrootcert ${node.sslrootcert} cannot be read (${(error as NodeJS.ErrnoException).code})`,
      )
    }
  }
  return {
    ca,
    rejectUnauthorized: true,
    // libpq's verify-ca checks the chain but not the name; verify-full checks both.
    ...(checkHost ? { servername: node.host } : { checkServerIdentity: () => undefined }),
  }
}
