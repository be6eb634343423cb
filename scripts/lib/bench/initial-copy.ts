// Initial copy to every replica: `make replicate` (CREATE SUBSCRIPTION with copy_data, then wait
// for every table ready and caught up) against the classic way to fill a replica, pg_dump of the
// published tables' data piped into pg_restore on each replica, all replicas in parallel.
// Destructive on the local cluster only; the caller leaves it in the normal replicated state.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { $ } from 'zx'
import { clientEnv } from '../libpq.js'
import { type Config, type NodeSpec, repoRoot } from '../config.js'
import { majorOf, serverVersionNum, withNode } from '../db.js'
import { ReplkitError } from '../errors.js'
import { qualifiedTables } from '../replication/names.js'
import { loadCategories, seed } from '../seed/seed.js'
import { writeProductsJson } from './generate-products.js'
import { replicate } from '../replication/replicate.js'
import { teardown } from '../replication/teardown.js'
import { Steps } from '../steps.js'

const categoriesFile = join(repoRoot, 'data/categories.json')

export interface InitialCopy {
  rows: number
  replicas: number
  /** make replicate, as a separate process: preflight to caught up (what an operator waits for). */
  replicateSeconds: number
  /** The part of it spent waiting for the copies and the catch-up, as replicate reports it. */
  replicateCopySeconds: number
  /** pg_dump | pg_restore into every replica at once; null when pg_dump cannot dump this PRIMARY. */
  dumpRestoreSeconds: number | null
  /** dumpRestoreSeconds ÷ replicateSeconds: above 1, make replicate is the faster. */
  speedup: number | null
  /** Why the baseline was not run (Debian's pg_dump 15 refuses a newer server; the npm builds ship none). */
  baselineSkipped: string | null
  method: string
}

const timed = async (fn: () => Promise<unknown>) => {
  const started = performance.now()
  await fn()
  return (performance.now() - started) / 1000
}

async function emptyTables(node: NodeSpec, config: Config): Promise<void> {
  await withNode(node, async sql => {
    await sql.unsafe(`truncate ${qualifiedTables(config)} cascade`)
    await sql.unsafe('checkpoint')
  })
}

async function productCount(node: NodeSpec): Promise<number> {
  const [{ n }] = await withNode(node, sql => sql`select count(*)::int as n from public.products`, { statementTimeoutMs: 0 })
  return n
}

async function expectRows(config: Config, rows: number, after: string): Promise<void> {
  for (const replica of config.replicas) {
    const n = await productCount(replica)
    if (n !== rows) throw new ReplkitError(`bench: after ${after}, ${replica.name} holds ${n} products, expected ${rows}`)
  }
}

/**
 * The published tables' data from the PRIMARY into one replica. -Z0: nothing gains from
 * compressing a pipe on one machine. session_replication_role = replica skips FK triggers,
 * as the subscription's table-sync worker does (pg_restore --disable-triggers would re-enable
 * the ALWAYS canary trigger as an ordinary one).
 */
async function dumpRestore(config: Config, replica: NodeSpec): Promise<void> {
  const src = config.primary
  const tables = config.tables.flatMap(t => ['-t', `public.${t}`])
  const restoreEnv = { ...clientEnv(replica), PGOPTIONS: '-c session_replication_role=replica' }
  await $({ env: clientEnv(src), quiet: true })`pg_dump -Fc -Z0 --data-only ${tables}`
    .pipe($({ env: restoreEnv, quiet: true })`pg_restore --data-only --exit-on-error -d ${replica.database}`)
}

/** pg_dump refuses a server of a newer major than its own: the reason, or null when it can dump the PRIMARY. */
async function dumpCannotRead(config: Config): Promise<string | null> {
  const client = Number(/(\d+)/.exec((await $({ quiet: true })`pg_dump --version`).stdout.replace(/^\D*/, ''))?.[1])
  const server = majorOf(await withNode(config.primary, serverVersionNum))
  return server > client ? `pg_dump ${client} cannot dump a PostgreSQL ${server} PRIMARY (Debian has no newer client; the npm server builds ship none)` : null
}

/** Leaves the PRIMARY holding `rows` generated products and no replication (both baselines start there). */
async function loadPrimary(config: Config, rows: number, workDir: string): Promise<void> {
  const file = join(workDir, `initial-copy-${rows}.json.tmp`)
  try {
    await writeProductsJson(file, rows, (await loadCategories(categoriesFile)).map(c => c.slug))
    await emptyTables(config.primary, config)
    await withNode(config.primary, async sql => {
      const result = await seed(sql, { file, categoriesFile, dryRun: false })
      if (result.created !== rows) throw new ReplkitError(`bench: the seed created ${result.created} products, expected ${rows}`)
      await sql.unsafe('vacuum analyze')
      await sql.unsafe('checkpoint')
    }, { statementTimeoutMs: 0 })
  } finally {
    await rm(file, { force: true })
  }
}

export async function initialCopyBench(config: Config, rows: number, workDir: string, say: (text: string) => void): Promise<InitialCopy> {
  say(`  removing replication and loading ${rows.toLocaleString('en-US')} generated products into the PRIMARY ...`)
  await teardown(config, NO_TEARDOWN_EXTRAS, new Steps(true))
  await loadPrimary(config, rows, workDir)

  say('  make replicate (timed) ...')
  await Promise.all(config.replicas.map(r => emptyTables(r, config)))
  const started = performance.now()
  const run = await replicateQuietly(config, 600_000)
  const replicateSeconds = (performance.now() - started) / 1000
  // replicate waits for every replica's copy at once (each "ready after" counts from the same
  // start), then for the catch-up: the slowest copy plus the catch-up is the time spent waiting.
  const ready = run.ready.map(r => r.readyMs)
  const catchUp = run.catchupMs ?? 0
  await expectRows(config, rows, 'make replicate')

  const baselineSkipped = await dumpCannotRead(config)
  let dumpRestoreSeconds: number | null = null
  if (baselineSkipped) say(`  pg_dump | pg_restore baseline not run: ${baselineSkipped}`)
  else {
    say('  pg_dump | pg_restore into every replica in parallel (timed) ...')
    await teardown(config, NO_TEARDOWN_EXTRAS, new Steps(true))
    await Promise.all(config.replicas.map(r => emptyTables(r, config)))
    dumpRestoreSeconds = await timed(() => Promise.all(config.replicas.map(r => dumpRestore(config, r))))
    await expectRows(config, rows, 'pg_restore')
  }

  return {
    rows,
    replicas: config.replicas.length,
    replicateSeconds,
    replicateCopySeconds: (Math.max(0, ...ready) + catchUp) / 1000,
    dumpRestoreSeconds,
    speedup: dumpRestoreSeconds === null ? null : dumpRestoreSeconds / replicateSeconds,
    baselineSkipped,
    method: 'The PRIMARY holds the generated products (seeded, VACUUM ANALYZE, CHECKPOINT) and no replication; replicas are truncated and checkpointed before each timed phase. ' +
      'make replicate is timed in process (replkit\'s replicate(), without the command\'s start-up) from preflight to every table ready and caught up; it creates every subscription, then waits for the copies together. ' +
      'The baseline is pg_dump -Fc -Z0 --data-only of the published tables piped into pg_restore --data-only (session_replication_role = replica, as a table-sync worker) on every replica at once, with replication rolled back so nothing is applied twice.',
  }
}

/** The normal demo state: the 30 products of data/products.json on the PRIMARY, replicated and caught up. */
export async function restoreDemoState(config: Config): Promise<void> {
  await teardown(config, NO_TEARDOWN_EXTRAS, new Steps(true))
  await emptyTables(config.primary, config)
  await withNode(config.primary, sql => seed(sql, { file: join(repoRoot, 'data/products.json'), categoriesFile, dryRun: false }))
  await replicateQuietly(config, 120_000)
}

const NO_TEARDOWN_EXTRAS = { dryRun: false, revertWalLevel: false, dropRole: false }

/** make replicate from any state (replicas emptied first), its lines kept; fails with them. */
async function replicateQuietly(config: Config, timeoutMs: number) {
  const run = await replicate(config, { dryRun: false, timeoutMs, truncateReplicas: true }, new Steps(true))
  if (run.steps.failed) throw new ReplkitError(`bench: make replicate failed:\n${run.steps.lines.join('\n')}`)
  return run
}
