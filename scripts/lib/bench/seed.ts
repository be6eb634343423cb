// The seed benchmark (make bench, section seed): our seed against a raw COPY and a row-at-a-time
// loop, on N generated products, in one run on one machine (only ratios measured together mean
// anything on a shared box), in two settings: a database of the PRIMARY that nothing replicates,
// and the shop database replicating to its replicas. Also the seed's client peak memory (the
// file is streamed). Destructive on the PRIMARY of the local cluster only; leaves it re-seeded
// with data/products.json.
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join, relative } from 'node:path'
import { isLocalClusterNode } from '../cluster/local-cluster.js'
import { ensureSchema } from '../schema.js'
import { type Config, type NodeSpec, loadEnv, repoRoot } from '../config.js'
import { type Sql, withNode } from '../db.js'
import { ReplkitError } from '../errors.js'
import { waitForCatchup } from '../replication/waits.js'
import { type SeedResult, columnLimits, loadCategories, seed } from '../seed/seed.js'
import { writeInventoryCopy, writeProductsCopy, writeProductsJson } from './generate-products.js'
import { inDatabase } from './bench-database.js'
import { clientPassSeconds, rawCopy, rowAtATime } from './seed-baselines.js'
import { runReplkit } from './peak-rss.js'
import { type Phase, type SeedBenchReport, type SeedSetting, settingTargets } from './seed-report.js'

const categoriesFile = join(repoRoot, 'data/categories.json')
const UNREPLICATED_DB = 'replkit_bench_seed'

export interface SeedBenchOptions {
  rows: number
  sample: number
  outDir: string
  say: (text: string) => void
}

function phase(name: string, rows: number, seconds: number, written: number, note: string): Phase {
  return { name, rows, seconds, rowsPerSecond: rows / seconds, written, note }
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now()
  const value = await fn()
  return [value, (performance.now() - start) / 1000]
}

/** Every timed phase starts from the same state: empty tables, a fresh checkpoint. */
async function emptyTables(sql: Sql, which: 'all' | 'products'): Promise<void> {
  await sql.unsafe(
    which === 'all'
      ? 'truncate public.categories, public.products, public.inventory cascade'
      : 'truncate public.products cascade',
  )
  await settle(sql)
}

/**
 * VACUUM ANALYZE (visibility map, hint bits, statistics), a CHECKPOINT, and — on a replicated
 * PRIMARY — every subscriber caught up, so no phase pays for the one before it (two cores:
 * replicas still applying the last phase's million rows would slow the next one down).
 */
async function settle(sql: Sql): Promise<void> {
  await sql.unsafe('vacuum analyze public.categories, public.products, public.inventory')
  await sql.unsafe('checkpoint')
  const subscribers = (await sql`select application_name from pg_stat_replication`).map(
    r => r.application_name as string,
  )
  await waitForCatchup(sql, subscribers, 600_000)
}

/**
 * Our seed as a user runs it (`replkit seed --json`, a process of its own) into spec's database:
 * its result, and its peak memory, the command's alone.
 */
async function runSeed(spec: NodeSpec, file: string): Promise<{ result: SeedResult; peak: number }> {
  const url = new URL(loadEnv().PRIMARY_URL!)
  url.pathname = `/${spec.database}`
  const run = await runReplkit({ ...process.env, PRIMARY_URL: url.href }, ['seed', '--file', file, '--json'])
  if (run.code !== 0) throw new ReplkitError(`bench: replkit seed exited ${run.code}: ${run.stderr.trim()}`)
  return { result: JSON.parse(run.stdout) as SeedResult, peak: run.peak }
}

const written = (r: SeedResult) => r.created + r.updated + r.inventoryChanged + r.categoriesChanged

/** The five timed phases in one database of the PRIMARY; the generated JSON file is shared. */
async function runPhases(
  sql: Sql,
  spec: NodeSpec,
  files: BenchFiles,
  rows: number,
  sample: number,
  slugs: string[],
  opts: SeedBenchOptions,
): Promise<{ phases: Phase[]; seedPeakRss: number }> {
  const seeds = await timedSeeds(sql, spec, files, rows, opts)
  // Category ids are this database's own, so the COPY files are written per database.
  const categoryIds = new Map(
    (await sql`select slug, id from public.categories`).map(r => [r.slug as string, r.id as string]),
  )
  opts.say('  raw COPY baseline (writing the COPY files first, untimed) ...')
  await writeProductsCopy(files.productsCopy, rows, slugs, categoryIds)
  await writeInventoryCopy(files.inventoryCopy, rows, slugs)
  const copyFiles = { products: files.productsCopy, inventory: files.inventoryCopy }
  await emptyTables(sql, 'products')
  const copySeconds = { keyInBulk: await rawCopy(sql, copyFiles, true), keyPerRow: 0 }
  await emptyTables(sql, 'products')
  copySeconds.keyPerRow = await rawCopy(sql, copyFiles, false)
  opts.say(`  row-at-a-time baseline on ${sample.toLocaleString('en-US')} rows ...`)
  await emptyTables(sql, 'products')
  const loopSeconds = await rowAtATime(sql, sample, slugs, categoryIds)
  return { seedPeakRss: seeds.peakRss, phases: phasesOf(rows, sample, seeds, copySeconds, loopSeconds) }
}

interface TimedSeeds {
  first: SeedResult
  seedSeconds: number
  again: SeedResult
  reseedSeconds: number
  peakRss: number
}

/** Our seed into empty tables (the command's peak memory read), then again with the file unchanged. */
async function timedSeeds(
  sql: Sql,
  spec: NodeSpec,
  files: BenchFiles,
  rows: number,
  opts: SeedBenchOptions,
): Promise<TimedSeeds> {
  opts.say('  our seed into empty tables ...')
  await emptyTables(sql, 'all')
  const [{ result: first, peak }, seedSeconds] = await timed(() => runSeed(spec, files.json))
  if (first.created !== rows) throw new ReplkitError(`the seed created ${first.created} products, expected ${rows}`)
  opts.say('  re-seed of the unchanged file ...')
  await settle(sql)
  const [{ result: again }, reseedSeconds] = await timed(() => runSeed(spec, files.json))
  return { first, seedSeconds, again, reseedSeconds, peakRss: peak }
}

function phasesOf(
  rows: number,
  sample: number,
  s: TimedSeeds,
  copySeconds: { keyInBulk: number; keyPerRow: number },
  loopSeconds: number,
): Phase[] {
  const { again } = s
  return [
    phase(
      'our seed (empty tables)',
      rows,
      s.seedSeconds,
      written(s.first),
      'whole user path: read + validate + COPY straight into products and inventory (products was empty), their key checked after; one transaction',
    ),
    phase(
      'raw COPY (products + inventory)',
      rows,
      copySeconds.keyInBulk,
      2 * rows,
      "COPY of pre-generated text files into the empty, indexed products and inventory tables in one transaction, inventory's key to products added after the data (one anti-join, as pg_restore does): the seed's end state, the baseline the targets use",
    ),
    phase(
      'row-at-a-time upsert',
      sample,
      loopSeconds,
      2 * sample,
      'an INSERT ... ON CONFLICT DO UPDATE per product and per inventory row, autocommit (an ORM loop), category ids cached client-side',
    ),
    phase(
      're-seed, file unchanged',
      rows,
      s.reseedSeconds,
      written(again),
      `created ${again.created}, updated ${again.updated}, skipped ${again.skipped}, inventory ${again.inventoryChanged}, categories ${again.categoriesChanged}`,
    ),
    phase(
      'raw COPY, key checked per row',
      rows,
      copySeconds.keyPerRow,
      2 * rows,
      "the raw COPY above with inventory's key to products left in place, checked row by row, for reference (the seed does this when its role does not own the tables)",
    ),
  ]
}

interface BenchFiles {
  json: string
  productsCopy: string
  inventoryCopy: string
}

/** A database of the PRIMARY that no publication or slot covers: the seed with nothing replicating it. */
const unreplicatedSpec = (primary: NodeSpec): NodeSpec => inDatabase(primary, UNREPLICATED_DB)

async function dropUnreplicated(primary: NodeSpec): Promise<void> {
  await withNode({ ...primary, database: 'postgres' }, sql =>
    sql.unsafe(`drop database if exists ${UNREPLICATED_DB} with (force)`),
  )
}

/** Runs every phase in both settings; writes outDir/seed.json. */
export async function seedBench(config: Config, opts: SeedBenchOptions): Promise<SeedBenchReport> {
  if (!isLocalClusterNode(config, config.primary)) {
    throw new ReplkitError(
      `the seed benchmark is destructive and runs only on this checkout's local cluster; the PRIMARY (${config.primary.label}) is not one of its nodes (make up)`,
    )
  }
  const { rows, say } = opts
  const sample = Math.min(opts.sample, rows)
  const slugs = (await loadCategories(categoriesFile)).map(c => c.slug)
  await mkdir(opts.outDir, { recursive: true })
  const files: BenchFiles = {
    json: join(opts.outDir, `products-${rows}.json.tmp`),
    productsCopy: join(opts.outDir, `products-${rows}.copy.tmp`),
    inventoryCopy: join(opts.outDir, `inventory-${rows}.copy.tmp`),
  }
  say(`Generating ${rows.toLocaleString('en-US')} products into ${relative(process.cwd(), files.json)} ...`)
  const [, generateSeconds] = await timed(() => writeProductsJson(files.json, rows, slugs))
  const fileBytes = (await stat(files.json)).size
  say("Timing Node's part of the seed alone (read, validate, COPY text) ...")
  const limits = await withNode(config.primary, columnLimits)
  const clientSeconds = await clientPassSeconds(files.json, slugs, limits)
  const run = (sql: Sql, spec: NodeSpec) => runPhases(sql, spec, files, rows, sample, slugs, opts)
  const settings: SeedSetting[] = []
  try {
    settings.push(await unreplicatedSetting(config, run, say))
    settings.push(await replicatingSetting(config, run, say))
  } finally {
    await dropUnreplicated(config.primary)
    await Promise.all(Object.values(files).map(f => rm(f, { force: true })))
  }
  const [{ server }] = await withNode(config.primary, sql => sql`select current_setting('server_version') as server`)
  const report = {
    rows,
    sample,
    fileBytes,
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, postgres: server as string },
    generateSeconds,
    settings,
    clientSeconds,
    targets: settings.flatMap(s => settingTargets(s, clientSeconds, cpus().length)),
    method:
      'Each timed phase starts from truncated tables after VACUUM ANALYZE, CHECKPOINT and every subscriber caught up (the re-seed from the seeded tables after the same), so none pays for the previous one. Our seed runs as the replkit seed command, in a process of its own, as a user runs it; its client memory is the peak resident set of that process (VmHWM, as the kernel counts it).',
  }
  await writeFile(join(opts.outDir, 'seed.json'), `${JSON.stringify(report, null, 2)}\n`)
  return report
}

type RunPhases = (sql: Sql, spec: NodeSpec) => ReturnType<typeof runPhases>

/** Setting 1: a database of its own on the PRIMARY that nothing replicates. */
async function unreplicatedSetting(config: Config, run: RunPhases, say: (text: string) => void): Promise<SeedSetting> {
  const unreplicated = unreplicatedSpec(config.primary)
  say(`Setting 1: database ${UNREPLICATED_DB} on the PRIMARY, not replicated ...`)
  await dropUnreplicated(config.primary)
  await withNode({ ...config.primary, database: 'postgres' }, sql => sql.unsafe(`create database ${UNREPLICATED_DB}`))
  await ensureSchema(unreplicated)
  const quiet = await withNode(unreplicated, sql => run(sql, unreplicated), { statementTimeoutMs: 0 })
  await dropUnreplicated(config.primary)
  return {
    name: 'not replicated',
    where: `a database of its own on the PRIMARY (${UNREPLICATED_DB}) that no publication or slot covers; the walsenders of ${config.primary.database} read its WAL and skip it`,
    phases: quiet.phases,
    seedPeakRssBytes: quiet.seedPeakRss,
  }
}

/** Setting 2: the shop database replicating to every replica; data/products.json seeded back after. */
async function replicatingSetting(config: Config, run: RunPhases, say: (text: string) => void): Promise<SeedSetting> {
  return withNode(
    config.primary,
    async sql => {
      const replicas = (await sql`select count(*)::int as n from pg_stat_replication`)[0].n as number
      say(`Setting 2: database ${config.primary.database}, replicating to ${replicas} replicas ...`)
      try {
        const live = await run(sql, config.primary)
        return {
          name: `replicating to ${replicas} replicas`,
          where: `${config.primary.database} on the PRIMARY, published to ${replicas} subscribed replicas that apply every phase (the realistic re-seed)`,
          phases: live.phases,
          seedPeakRssBytes: live.seedPeakRss,
        }
      } finally {
        say('Restoring the PRIMARY to data/products.json ...')
        await emptyTables(sql, 'all')
        await seed(sql, { file: join(repoRoot, 'data/products.json'), categoriesFile, dryRun: false })
      }
    },
    { statementTimeoutMs: 0 },
  )
}
