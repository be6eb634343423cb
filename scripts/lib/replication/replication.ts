// Logical replication, the way PostgreSQL really behaves: names, the replication role's secret,
// pg_hba lines, and waits that poll the catalogues (never blind sleeps).
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Config } from '../config.js'
import type { Sql } from '../db.js'
import { ReplkitError } from '../errors.js'
import { isLocalClusterNode, localNode, reloadNode, tlsDir } from '../cluster/local-cluster.js'
import { generatePassword } from './scram.js'

/** replkit's subscription for a replica (its walsender's application_name and slot name too). */
export const subscriptionName = (replica: { name: string }) => `sub_${replica.name}`

export const qualifiedTables = (config: Config) => config.tables.map(t => `public.${t}`).join(', ')

export const replicatorPasswordFile = (config: Config) => join(config.clusterDir, 'replicator.password')

/**
 * REPLICATOR_PASSWORD from the environment or .env; on the local cluster, one generated once and
 * kept in CLUSTER_DIR with mode 0600. Any other cluster must be given one.
 */
export async function replicatorPassword(config: Config, create: boolean): Promise<string> {
  if (config.replicatorPassword) return config.replicatorPassword
  if (!isLocalClusterNode(config, config.primary)) {
    throw new ReplkitError('REPLICATOR_PASSWORD is not set: put it in .env or the environment (never on the command line)')
  }
  const file = replicatorPasswordFile(config)
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim()
  const password = generatePassword()
  if (create) await writeFile(file, `${password}\n`, { mode: 0o600 })
  return password
}

export interface SubscriptionTarget {
  host: string
  port: number
  sslmode: 'require' | 'verify-ca'
  sslrootcert?: string
}

/** Where replicas reach the PRIMARY: SUBSCRIPTION_HOST/PORT (e.g. "primary:5432" in Docker) or PRIMARY_URL's. */
export function subscriptionTarget(config: Config, env = process.env): SubscriptionTarget {
  const caFile = config.sslRootCert
  return {
    host: env.SUBSCRIPTION_HOST ?? config.primary.host,
    port: Number(env.SUBSCRIPTION_PORT ?? config.primary.port),
    sslmode: caFile ? 'verify-ca' : 'require',
    sslrootcert: caFile,
  }
}

/** libpq quoting for a conninfo value. */
function conninfoValue(value: string): string {
  return /^[A-Za-z0-9_.\/:-]+$/.test(value) ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

export function subscriptionConninfo(config: Config, password: string, target = subscriptionTarget(config)): string {
  const parts: [string, string][] = [
    ['host', target.host], ['port', String(target.port)], ['dbname', config.primary.database],
    ['user', config.replicatorUser], ['password', password], ['sslmode', target.sslmode],
  ]
  if (target.sslrootcert) parts.push(['sslrootcert', target.sslrootcert])
  return parts.map(([k, v]) => `${k}=${conninfoValue(v)}`).join(' ')
}

/** The local cluster's CA, for operators who want sslmode=verify-ca (SSL_ROOT_CERT). */
export const localCaFile = (config: Config) => join(tlsDir(config), 'ca.crt')

export function hbaLines(config: Config): string[] {
  const addresses = [...new Set(config.replicas.map(r => (r.host.includes(':') ? `${r.host}/128` : /^[\d.]+$/.test(r.host) ? `${r.host}/32` : r.host)))]
  return [
    ...addresses.map(a => `hostssl   ${config.primary.database.padEnd(8)}  ${config.replicatorUser.padEnd(10)}  ${a.padEnd(15)}  scram-sha-256`),
    `host      all       ${config.replicatorUser.padEnd(10)}  all              reject`,
  ]
}

const BEGIN = '# replkit:replication begin'
const END = '# replkit:replication end'

/** Replaces the managed block of pg_hba.conf; returns the new text, or null when already so. */
export function withHbaBlock(hba: string, lines: string[]): string | null {
  const start = hba.split('\n').findIndex(l => l.startsWith(BEGIN))
  const end = hba.split('\n').findIndex(l => l.startsWith(END))
  if (start < 0 || end < start) throw new ReplkitError('pg_hba.conf has no "# replkit:replication begin/end" block (it was not made by make up)')
  const all = hba.split('\n')
  if (all.slice(start + 1, end).join('\n') === lines.join('\n')) return null
  return [...all.slice(0, start + 1), ...lines, ...all.slice(end)].join('\n')
}

/** Writes the replication role's lines into the local PRIMARY's pg_hba.conf and reloads. */
export async function ensureLocalHba(config: Config, lines: string[], dryRun: boolean): Promise<boolean> {
  const node = localNode(config, config.primary)
  const file = join(node.dataDir, 'pg_hba.conf')
  const next = withHbaBlock(await readFile(file, 'utf8'), lines)
  if (next === null) return false
  if (!dryRun) {
    await writeFile(file, next)
    await reloadNode(config, node)
  }
  return true
}

export const READY_STATES = new Set(['r', 's'])

export async function tableStates(sql: Sql, subscription: string): Promise<{ table: string; state: string }[]> {
  return (await sql`
    select sr.srrelid::regclass::text as table, sr.srsubstate as state
    from pg_subscription_rel sr join pg_subscription s on s.oid = sr.srsubid
    where s.subname = ${subscription} order by 1`) as unknown as { table: string; state: string }[]
}

/** What an operator needs when a subscription does not become ready: never a bare "timed out". */
export async function subscriptionDiagnostics(sql: Sql, subscription: string): Promise<string> {
  const rel = await sql`
    select sr.srrelid::regclass::text as "table", sr.srsubstate as state, sr.srsublsn::text as lsn
    from pg_subscription_rel sr join pg_subscription s on s.oid = sr.srsubid where s.subname = ${subscription} order by 1`
  const stat = await sql`
    select subname, pid, relid::regclass::text as syncing_table, received_lsn::text, last_msg_receipt_time::text, latest_end_lsn::text
    from pg_stat_subscription where subname = ${subscription}`
  const stats = await sql`select subname, apply_error_count, sync_error_count, stats_reset::text from pg_stat_subscription_stats where subname = ${subscription}`
  const show = (title: string, rows: readonly Record<string, unknown>[]) =>
    `${title}:\n${rows.length ? rows.map(r => `    ${JSON.stringify(r)}`).join('\n') : '    (no rows)'}`
  return [show('pg_subscription_rel', rel), show('pg_stat_subscription', stat), show('pg_stat_subscription_stats', stats)].join('\n')
}

export async function poll<T>(what: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 50): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await what()
    if (value !== undefined) return value
    if (Date.now() >= deadline) return undefined
    await new Promise(resolve => setTimeout(resolve, intervalMs))
  }
}

/** Waits until every table of the subscription is ready (r) or synchronised (s). */
export async function waitForSync(sql: Sql, subscription: string, timeoutMs: number): Promise<boolean> {
  const ready = await poll(async () => {
    const states = await tableStates(sql, subscription)
    return states.length > 0 && states.every(s => READY_STATES.has(s.state)) ? true : undefined
  }, timeoutMs)
  return ready === true
}

/**
 * PostgreSQL::Test::Cluster's wait_for_catchup: take the PRIMARY's current LSN, then wait until
 * each subscription's walsender has replayed past it.
 */
export async function waitForCatchup(primary: Sql, subscriptions: string[], timeoutMs: number): Promise<string[]> {
  const [{ target }] = await primary`select pg_current_wal_lsn()::text as target`
  const done = await poll(async () => {
    const rows = await primary`
      select application_name from pg_stat_replication
      where application_name = any(${subscriptions}) and replay_lsn >= ${target}::pg_lsn`
    return rows.length === subscriptions.length ? true : undefined
  }, timeoutMs, 20)
  if (done) return []
  const caught = new Set((await primary`
    select application_name from pg_stat_replication
    where application_name = any(${subscriptions}) and replay_lsn >= ${target}::pg_lsn`).map(r => r.application_name as string))
  return subscriptions.filter(s => !caught.has(s))
}
