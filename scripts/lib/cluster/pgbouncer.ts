// The local cluster's PgBouncer (PGBOUNCER_PORT set): one process on loopback in front of the
// PRIMARY, transaction pooling (so PAUSE needs only the transactions in flight to end), SCRAM
// with the cluster's own logins (their secrets copied from the PRIMARY's pg_authid, so PgBouncer
// logs in to the server with the client's own proof). make up starts it, make down stops it.
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Config, PgbouncerSpec } from '../config.js'
import { withNode } from '../db.js'
import { ReplkitError } from '../errors.js'
import { databaseLine } from '../pgbouncer.js'
import { fromCatalogues } from '../replication/roles.js'
import { poll, waitFor } from '../wait.js'
import { asServerUser, giveToServerUser } from './binaries.js'
import { portInUse } from './local-cluster.js'

const files = (bouncer: PgbouncerSpec) => {
  const dir = dirname(bouncer.ini)
  return { dir, users: join(dir, 'userlist.txt'), log: join(dir, 'pgbouncer.log'), pid: join(dir, 'pgbouncer.pid') }
}

/** The pid of the running PgBouncer, or null. */
export async function bouncerPid(bouncer: PgbouncerSpec): Promise<number | null> {
  const { pid } = files(bouncer)
  if (!existsSync(pid)) return null
  const n = Number((await readFile(pid, 'utf8')).trim())
  try {
    process.kill(n, 0)
    return n
  } catch {
    return null
  }
}

async function writeConfiguration(config: Config, bouncer: PgbouncerSpec): Promise<void> {
  const f = files(bouncer)
  const primary = (await fromCatalogues(config)).primary
  const logins = await withNode(
    primary,
    sql => sql`select rolname, rolpassword from pg_authid where rolcanlogin and rolpassword like 'SCRAM-SHA-256$%'`,
  )
  await mkdir(f.dir, { recursive: true })
  await writeFile(f.users, `${logins.map(l => `"${l.rolname}" "${l.rolpassword}"`).join('\n')}\n`, { mode: 0o600 })
  const ini = [
    '[databases]',
    databaseLine(primary),
    '',
    '[pgbouncer]',
    `listen_addr = ${bouncer.host}`,
    `listen_port = ${bouncer.port}`,
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${f.users}`,
    `admin_users = ${primary.user}`,
    'pool_mode = transaction',
    'max_client_conn = 500',
    'default_pool_size = 20',
    'ignore_startup_parameters = extra_float_digits,options',
    'server_tls_sslmode = prefer',
    `logfile = ${f.log}`,
    `pidfile = ${f.pid}`,
  ]
  await writeFile(bouncer.ini, `${ini.join('\n')}\n`)
  await giveToServerUser(f.dir)
}

/** Starts PgBouncer in front of the PRIMARY (as the catalogues have it) unless it runs already. */
export async function upPgbouncer(config: Config, bouncer: PgbouncerSpec): Promise<'started' | 'running'> {
  if (await bouncerPid(bouncer)) return 'running'
  await writeConfiguration(config, bouncer)
  const binary = existsSync('/usr/sbin/pgbouncer') ? '/usr/sbin/pgbouncer' : 'pgbouncer'
  const run = await asServerUser(binary, ['-d', bouncer.ini])
  if (run.exitCode !== 0)
    throw new ReplkitError(`PgBouncer did not start: ${run.stderr.trim().split('\n').pop()} (${files(bouncer).log})`)
  // -d forks before it binds its port: started means alive and listening (twice, 100 ms apart: another
  // server on the port would answer too while PgBouncer dies of "nowhere to listen on").
  let seen = 0
  const listening = await poll(
    async () => {
      seen = (await bouncerPid(bouncer)) && (await portInUse(bouncer.host, bouncer.port)) ? seen + 1 : 0
      return seen === 2 ? true : undefined
    },
    5000,
    100,
  )
  if (listening) return 'started'
  const log = await readFile(files(bouncer).log, 'utf8').catch(() => '')
  const why = log
    .split('\n')
    .filter(l => / (FATAL|WARNING) /.test(l))
    .slice(-2)
    .join('; ')
  throw new ReplkitError(
    `PgBouncer did not start on ${bouncer.host}:${bouncer.port}: ${why || 'it does not accept connections'} (${files(bouncer).log})`,
  )
}

/** Stops PgBouncer (SIGINT: it closes its connections and exits); false when it was not running. */
export async function downPgbouncer(bouncer: PgbouncerSpec): Promise<boolean> {
  const pid = await bouncerPid(bouncer)
  if (!pid) return false
  process.kill(pid, 'SIGINT')
  await waitFor({
    what: `PgBouncer (pid ${pid}) to stop`,
    timeoutMs: 5000,
    until: async () => ((await bouncerPid(bouncer)) ? undefined : true),
  })
  return true
}
