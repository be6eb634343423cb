// The connection string a subscription stores: where the replicas reach the PRIMARY, as the
// replication role, over TLS (require, verify-ca or verify-full against SSL_ROOT_CERT).
import type { Config } from '../config.js'

export interface SubscriptionTarget {
  host: string
  port: number
  sslmode: Config['subscriptionSslmode']
  sslrootcert?: string
}

/** SUBSCRIPTION_HOST/PORT (from the environment or .env, e.g. "primary:5432" in Docker), else PRIMARY_URL's. */
export function subscriptionTarget(config: Config): SubscriptionTarget {
  return {
    host: config.subscriptionHost ?? config.primary.host,
    port: config.subscriptionPort ?? config.primary.port,
    sslmode: config.subscriptionSslmode,
    sslrootcert: config.sslRootCert,
  }
}

/** libpq quoting for a conninfo value. */
export function conninfoValue(value: string): string {
  return /^[A-Za-z0-9_./:-]+$/.test(value) ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

export function subscriptionConninfo(config: Config, password: string, target = subscriptionTarget(config)): string {
  const parts: [string, string][] = [
    ['host', target.host],
    ['port', String(target.port)],
    ['dbname', config.primary.database],
    ['user', config.replicatorUser],
    ['password', password],
    ['sslmode', target.sslmode],
  ]
  if (target.sslrootcert) parts.push(['sslrootcert', target.sslrootcert])
  return parts.map(([k, v]) => `${k}=${conninfoValue(v)}`).join(' ')
}

/** The conninfo as it may be printed: the password replaced. */
export const printableConninfo = (conninfo: string) =>
  conninfo.replace(/password=('(?:[^'\\]|\\.)*'|\S+)/, 'password=<secret>')
