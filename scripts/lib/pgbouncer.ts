// PgBouncer in front of the PRIMARY, driven through its admin console (the "pgbouncer" database):
// make switchover PAUSEs the PRIMARY's database before the fence (clients wait instead of failing),
// points the [databases] entry of its configuration at the new PRIMARY and RELOADs, then RESUMEs.
// A client connected through PgBouncer sees a pause, never an error.
import { readFile, writeFile } from 'node:fs/promises'
import type { NodeSpec, PgbouncerSpec } from './config.js'
import { ReplkitError } from './errors.js'
import { clientEnv } from './libpq.js'

/** Admin-console commands, in order in one session, as the PRIMARY's login (PgBouncer's admin_users), within the deadline. */
export async function bouncerAdmin(
  bouncer: PgbouncerSpec,
  login: NodeSpec,
  commands: string | string[],
  timeoutMs = 10_000,
): Promise<string> {
  const command = [commands].flat().join('; ')
  const args = [commands].flat().flatMap(c => ['-c', c])
  const { $ } = await import('zx')
  // libpq's environment for the login, at PgBouncer's address: its admin console takes no
  // startup options, and PgBouncer here speaks no TLS to its clients.
  const env = {
    ...clientEnv(login, { database: 'pgbouncer' }),
    PGHOST: bouncer.host,
    PGPORT: String(bouncer.port),
    PGSSLMODE: 'disable',
    PGOPTIONS: '',
  }
  const run = await $({ env, quiet: true, nothrow: true, timeout: timeoutMs })`psql -X -qAt ${args}`
  if (run.exitCode !== 0) {
    const why = run.signal ? `no answer within ${timeoutMs / 1000} s` : run.stderr.trim().split('\n').pop()
    throw new ReplkitError(`PgBouncer ${bouncer.host}:${bouncer.port}: ${command} failed: ${why}`)
  }
  return run.stdout
}

/**
 * PAUSE the database: PgBouncer lets the transactions in flight finish and holds every new one.
 * Past the deadline (a transaction that does not end), RESUME and refuse.
 */
export async function pauseClients(bouncer: PgbouncerSpec, login: NodeSpec, timeoutMs: number): Promise<void> {
  try {
    await bouncerAdmin(bouncer, login, `PAUSE ${login.database}`, timeoutMs)
  } catch (error) {
    await bouncerAdmin(bouncer, login, `RESUME ${login.database}`).catch(() => {})
    throw error
  }
}

export const resumeClients = (bouncer: PgbouncerSpec, login: NodeSpec) =>
  bouncerAdmin(bouncer, login, `RESUME ${login.database}`)

/** The [databases] line that sends the database's clients to node. */
export const databaseLine = (node: NodeSpec) =>
  `${node.database} = host=${node.host} port=${node.port} dbname=${node.database}`

/** The configuration with the database's entry pointing at node (other lines kept). */
export function pointedAt(ini: string, node: NodeSpec): string {
  const entry = new RegExp(`^\\s*${node.database.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=.*$`, 'm')
  if (!entry.test(ini))
    throw new ReplkitError(`PgBouncer's configuration has no [databases] entry for ${node.database}`)
  return ini.replace(entry, databaseLine(node))
}

/**
 * Rewrites the entry for the database to node and RELOADs: new server connections go there. Any
 * `then` commands run in the same admin session (the switchover's RESUME: one psql, not two).
 */
export async function pointClientsAt(
  bouncer: PgbouncerSpec,
  login: NodeSpec,
  node: NodeSpec,
  then: string[] = [],
): Promise<void> {
  await writeFile(bouncer.ini, pointedAt(await readFile(bouncer.ini, 'utf8'), node))
  await bouncerAdmin(bouncer, login, ['RELOAD', ...then])
}
