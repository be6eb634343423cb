// The initial-copy benchmark's baselines: the tools operators fill a database with today, each
// into one new, empty database on the first replica's server: pg_dump -Fd -j2 + pg_restore -j2,
// and pgcopydb clone. Each copy must land exactly the PRIMARY's rows.
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { $ } from 'zx'
import { clientEnv } from '../libpq.js'
import type { Config, NodeSpec } from '../config.js'
import { majorOf, serverVersionNum, withNode } from '../db.js'

export const JOBS = 2

/** pg_dump refuses a server of a newer major than its own: the reason, or null when it can dump the PRIMARY. */
export async function dumpCannotRead(config: Config): Promise<string | null> {
  const client = Number(/(\d+)/.exec((await $({ quiet: true })`pg_dump --version`).stdout.replace(/^\D*/, ''))?.[1])
  const server = majorOf(await withNode(config.primary, serverVersionNum))
  return server > client
    ? `pg_dump ${client} (which pgcopydb runs too) cannot dump a PostgreSQL ${server} PRIMARY (Debian has no newer client; the npm server builds ship none)`
    : null
}

/** A new, empty database on the node for a baseline to fill (dropped first if a run left it). */
async function freshDatabase(node: NodeSpec, name: string): Promise<void> {
  await withNode({ ...node, database: 'postgres' }, async sql => {
    await sql.unsafe(`drop database if exists ${name} with (force)`)
    await sql.unsafe(`create database ${name}`)
  })
}

async function dropDatabase(node: NodeSpec, name: string): Promise<void> {
  await withNode({ ...node, database: 'postgres' }, sql => sql.unsafe(`drop database if exists ${name} with (force)`))
}

/** The PRIMARY's database as operators dump it: schema and data, directory format, 2 jobs each way. */
async function dumpRestore(config: Config, target: NodeSpec, database: string, workDir: string): Promise<void> {
  const dir = join(workDir, 'dump')
  await $({ env: clientEnv(config.primary), quiet: true })`pg_dump -Fd -j${JOBS} -Z0 -f ${dir}`
  await $({
    env: clientEnv(target, { database }),
    quiet: true,
  })`pg_restore -j${JOBS} --no-owner --no-acl --exit-on-error -d ${database} ${dir}`
}

/** pgcopydb clone of the PRIMARY's database; passwords in PGPASSWORD (both nodes of the local cluster share it). */
async function pgcopydbClone(config: Config, target: NodeSpec, database: string, workDir: string): Promise<void> {
  const conninfo = (node: NodeSpec, db: string) =>
    `host=${node.host} port=${node.port} dbname=${db} user=${node.user} sslmode=${node.sslmode}`
  await $({
    env: clientEnv(config.primary),
    quiet: true,
  })`pgcopydb clone --source ${conninfo(config.primary, config.primary.database)} --target ${conninfo(target, database)} --table-jobs ${JOBS} --index-jobs ${JOBS} --no-owner --no-acl --dir ${join(workDir, 'pgcopydb')}`
}

export interface BaselineTimes {
  dumpRestoreSeconds: number
  pgcopydbSeconds: number
}

/** Both baselines, timed; check(database) proves each copy holds the PRIMARY's rows before it is dropped. */
export async function runBaselines(
  config: Config,
  workDir: string,
  say: (text: string) => void,
  check: (target: NodeSpec, database: string, name: string) => Promise<void>,
): Promise<BaselineTimes> {
  const target = config.replicas[0]
  const scratch = await mkdtemp(join(workDir, 'initial-copy-'))
  const baseline = async (name: string, database: string, run: typeof dumpRestore) => {
    say(`  ${name} into one new database on ${target.name} (timed) ...`)
    await freshDatabase(target, database)
    await withNode(target, sql => sql.unsafe('checkpoint'))
    const started = performance.now()
    await run(config, target, database, scratch)
    const seconds = (performance.now() - started) / 1000
    await check(target, database, name)
    await dropDatabase(target, database)
    return seconds
  }
  try {
    return {
      dumpRestoreSeconds: await baseline(
        `pg_dump -Fd -j${JOBS} + pg_restore -j${JOBS}`,
        'replkit_bench_pgdump',
        dumpRestore,
      ),
      pgcopydbSeconds: await baseline('pgcopydb clone', 'replkit_bench_pgcopydb', pgcopydbClone),
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
