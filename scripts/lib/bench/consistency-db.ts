// The consistency benchmark's own database (replkit_bench) on every node: identical
// deterministic rows, replicated with copy_data = false, a writer for the compare under writes,
// and the nudges that make rows differ. The shop database is never touched.
import { setTimeout as sleep } from 'node:timers/promises'
import { ensureSchema } from '../schema.js'
import type { Config, NodeSpec } from '../config.js'
import { type Sql, connect, withNode } from '../db.js'
import { conninfoValue } from '../replication/conninfo.js'
import { waitForReplayPast } from '../replication/waits.js'
import { runSqlFile } from '../sql-files.js'
import { inDatabase } from './bench-database.js'

export const BENCH_DB = 'replkit_bench'
export const PUBLICATION = 'replkit_bench_pub'

export const benchSpec = (node: NodeSpec): NodeSpec => inDatabase(node, BENCH_DB)
/** The replica's name to a replkit command run on the bench database (benchEnv): its subscription is sub_ + that. */
const benchName = (replica: NodeSpec) => `bench_${replica.name}`
export const benchSubscription = (replica: NodeSpec) => `sub_${benchName(replica)}`

/** The environment a replkit command reaches the bench database with, as an operator would configure it. */
export function benchEnv(config: Config, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const inBench = (text: string) => {
    const url = new URL(text.trim())
    url.pathname = `/${BENCH_DB}`
    return url.href
  }
  return {
    ...env,
    PRIMARY_URL: inBench(env.PRIMARY_URL!),
    REPLICA_URLS: env.REPLICA_URLS!.split(',').map(inBench).join(','),
    REPLICA_NAMES: config.replicas.map(benchName).join(','),
    PUBLICATION,
    PUBLICATION_TABLES: 'products',
  }
}

/** The bench database on a node, with the schema and N deterministic products (loaded unless already there). */
export async function prepare(node: NodeSpec, rows: number): Promise<'loaded' | 'reused'> {
  await withNode({ ...node, database: 'postgres' }, async sql => {
    const [{ n }] = await sql`select count(*)::int as n from pg_database where datname = ${BENCH_DB}`
    if (n === 0) await sql.unsafe(`create database ${BENCH_DB}`)
  })
  const spec = benchSpec(node)
  await ensureSchema(spec)
  const [{ n }] = await withNode(spec, sql => sql`select count(*)::int as n from public.products`)
  if (n === rows) return 'reused'
  await runSqlFile(spec, 'sql/bench/010_load_products.sql', { vars: { rows: String(rows) }, dryRun: false })
  return 'loaded'
}

/**
 * The loaded rows replicated from the bench PRIMARY: a publication of products and, on each
 * replica, a subscription with copy_data = false (every node already holds the same rows), as
 * the superuser (this database is the bench's alone). Idempotent; waits until each streams.
 */
export async function replicate(config: Config, primary: Sql): Promise<void> {
  const [pub] = await primary`select 1 from pg_publication where pubname = ${PUBLICATION}`
  if (!pub) await primary.unsafe(`create publication ${PUBLICATION} for table public.products`)
  const p = config.primary
  const conninfo = `host=${p.host} port=${p.port} dbname=${BENCH_DB} user=${p.user} password=${conninfoValue(p.password)} sslmode=${p.sslmode === 'disable' ? 'disable' : 'prefer'}`
  for (const replica of config.replicas) {
    await withNode(benchSpec(replica), async sql => {
      const [sub] = await sql`select 1 from pg_subscription where subname = ${benchSubscription(replica)}`
      if (!sub)
        await sql.unsafe(
          `create subscription ${benchSubscription(replica)} connection '${conninfo.replaceAll("'", "''")}' publication ${PUBLICATION} with (copy_data = false)`,
        )
    })
  }
  const [{ lsn }] = await primary`select pg_current_wal_lsn()::text as lsn`
  await waitForReplayPast(primary, config.replicas.map(benchSubscription), lsn, 120_000)
}

export async function dropReplication(config: Config, primary: Sql | null): Promise<void> {
  for (const replica of config.replicas) {
    await withNode(benchSpec(replica), sql =>
      sql.unsafe(`drop subscription if exists ${benchSubscription(replica)}`),
    ).catch(() => {})
  }
  await primary?.unsafe(`drop publication if exists ${PUBLICATION}`).catch(() => {})
}

/** Changes the generate_series numbers' rows on one node as the apply worker would (no triggers): +by on price. */
export async function nudgePrices(sql: Sql, rows: number[], by: number): Promise<void> {
  await sql.begin(async tx => {
    await tx`set local session_replication_role = replica`
    await tx`update public.products set price = price + ${by} where id = any(select md5('product' || g)::uuid from unnest(${rows}::int[]) g)`
  })
}

/** count rows spread over the whole key range (every rows/count-th generate_series number). */
export const scattered = (rows: number, count: number, offset: number) =>
  Array.from({ length: count }, (_, i) => 1 + offset + Math.floor((i * rows) / count))

/** The application: 4 connections updating random bench products on the PRIMARY at about rate/s. */
export function startWriter(spec: NodeSpec, rows: number, rate: number) {
  const sql = connect(spec, { max: 4 })
  let running = true
  let writes = 0
  const started = performance.now()
  const worker = async () => {
    while (running) {
      const t = performance.now()
      await sql`update public.products set stock = stock + 1 where id = md5('product' || ${1 + Math.floor(Math.random() * rows)})::uuid`
      writes++
      await sleep(Math.max(0, 4000 / rate - (performance.now() - t)))
    }
  }
  const workers = [0, 1, 2, 3].map(worker)
  return {
    async stop() {
      running = false
      await Promise.all(workers)
      await sql.end()
      return writes / ((performance.now() - started) / 1000)
    },
  }
}

/** The bench database dropped on every node. */
export async function dropBenchDatabase(nodes: NodeSpec[]): Promise<void> {
  await Promise.all(
    nodes.map(n =>
      withNode({ ...n, database: 'postgres' }, sql => sql.unsafe(`drop database if exists ${BENCH_DB} with (force)`)),
    ),
  )
}
