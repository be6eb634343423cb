// The seed benchmark (make bench, section seed): our seed against a raw COPY and a row-at-a-time
// loop, on N generated products, in one run on one machine (only ratios measured together mean
// anything on a shared box), in two settings: a database of the PRIMARY that nothing replicates,
// and the shop database replicating to its replicas. Also the seed's client peak memory (the
// file is streamed). Destructive on the PRIMARY of the local cluster only; leaves it re-seeded
// with data/products.json.
import { createReadStream } from 'node:fs'
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join, relative } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type postgres from 'postgres'
import { isLocalClusterNode } from '../cluster/local-cluster.js'
import { ensureSchema } from '../schema.js'
import { type Config, type NodeSpec, repoRoot } from '../config.js'
import { type Sql, withNode } from '../db.js'
import { ReplkitError } from '../errors.js'
import { colour, formatBytes, formatTable, progress } from '../output.js'
import { waitForCatchup } from '../replication/waits.js'
import { type SeedResult, loadCategories, seed } from '../seed/seed.js'
import { product, productId, writeInventoryCopy, writeProductsCopy, writeProductsJson } from './generate-products.js'
import { peakRss } from './peak-rss.js'
import { type ScriptTarget, showMeasured, showNeeded } from './targets.js'

const categoriesFile = join(repoRoot, 'data/categories.json')
const UNREPLICATED_DB = 'replkit_bench_seed'
const RSS_LIMIT_MB = 200

export interface SeedBenchOptions {
  rows: number
  sample: number
  outDir: string
  say: (text: string) => void
  showProgress: boolean
}

export interface SeedBenchReport {
  rows: number
  sample: number
  at: string
  machine: { cpus: number; node: string; postgres: string }
  /** Size of the generated products.json. */
  fileBytes: number
  generateSeconds: number
  settings: SeedSetting[]
  targets: ScriptTarget[]
  method: string
}

/** The same phases in one state of the PRIMARY. */
export interface SeedSetting {
  name: string
  where: string
  phases: Phase[]
  seedPeakRssBytes: number
}

export interface Phase {
  name: string
  rows: number
  seconds: number
  rowsPerSecond: number
  /** Rows the phase created or changed in the database (all tables). */
  written: number
  note: string
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

async function runSeed(sql: Sql, file: string, label: string, showProgress: boolean): Promise<SeedResult> {
  const bar = progress(label)
  const result = await seed(sql, {
    file,
    categoriesFile,
    dryRun: false,
    onProgress: showProgress ? (n, f) => bar.update(n, f) : undefined,
  })
  bar.done()
  return result
}

/** COPY of pre-generated text files: products, then their inventory rows; seconds for each. */
async function rawCopy(
  sql: Sql,
  productsFile: string,
  inventoryFile: string,
): Promise<{ products: number; inventory: number }> {
  const conn = await sql.reserve()
  const copy = async (statement: string, file: string) => {
    const [, seconds] = await timed(async () =>
      pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), await conn.unsafe(statement).writable()),
    )
    return seconds
  }
  try {
    return {
      products: await copy(
        'copy public.products (id, sku, title, description, price, stock, category_id, attributes) from stdin',
        productsFile,
      ),
      inventory: await copy('copy public.inventory (product_id, warehouse, quantity) from stdin', inventoryFile),
    }
  } finally {
    conn.release()
  }
}

/** What an ORM loop does: one parameterised upsert per product and per inventory row, each its own transaction. */
async function rowAtATime(sql: Sql, rows: number, slugs: string[], categoryIds: Map<string, string>): Promise<number> {
  const [, seconds] = await timed(async () => {
    for (let i = 0; i < rows; i++) {
      const p = product(i, slugs)
      await sql`
        insert into public.products (id, sku, title, description, price, stock, category_id, attributes)
        values (${productId(i)}::uuid, ${p.sku}, ${p.title}, ${p.description}, ${p.price.toFixed(2)}::numeric, ${p.stock}, ${categoryIds.get(p.category)!}::uuid, ${sql.json(p.attributes as postgres.JSONValue)})
        on conflict (sku) do update
          set title = excluded.title, description = excluded.description, price = excluded.price,
              stock = excluded.stock, category_id = excluded.category_id, attributes = excluded.attributes`
      await sql`
        insert into public.inventory (product_id, warehouse, quantity) values (${productId(i)}::uuid, 'main', ${p.stock})
        on conflict (product_id, warehouse) do update set quantity = excluded.quantity`
    }
  })
  return seconds
}

const written = (r: SeedResult) => r.created + r.updated + r.inventoryChanged + r.categoriesChanged

/** The five timed phases in one database of the PRIMARY; the generated JSON file is shared. */
async function runPhases(
  sql: Sql,
  files: BenchFiles,
  rows: number,
  sample: number,
  slugs: string[],
  opts: SeedBenchOptions,
): Promise<{ phases: Phase[]; seedPeakRss: number }> {
  const { say } = opts
  say('  our seed into empty tables ...')
  await emptyTables(sql, 'all')
  const {
    value: [first, seedSeconds],
    peak: seedPeakRss,
  } = await peakRss(() => timed(() => runSeed(sql, files.json, 'Seeding', opts.showProgress)))
  if (first.created !== rows) throw new ReplkitError(`the seed created ${first.created} products, expected ${rows}`)

  say('  re-seed of the unchanged file ...')
  await settle(sql)
  const [again, reseedSeconds] = await timed(() => runSeed(sql, files.json, 'Re-seeding', opts.showProgress))

  // Category ids are this database's own, so the COPY files are written per database.
  const categoryIds = new Map(
    (await sql`select slug, id from public.categories`).map(r => [r.slug as string, r.id as string]),
  )
  say('  raw COPY baseline (writing the COPY files first, untimed) ...')
  await writeProductsCopy(files.productsCopy, rows, slugs, categoryIds)
  await writeInventoryCopy(files.inventoryCopy, rows, slugs)
  await emptyTables(sql, 'products')
  const copySeconds = await rawCopy(sql, files.productsCopy, files.inventoryCopy)

  say(`  row-at-a-time baseline on ${sample.toLocaleString('en-US')} rows ...`)
  await emptyTables(sql, 'products')
  const loopSeconds = await rowAtATime(sql, sample, slugs, categoryIds)

  return {
    seedPeakRss,
    phases: [
      phase(
        'our seed (empty tables)',
        rows,
        seedSeconds,
        written(first),
        'whole user path: read + validate + staging COPY + upserts of categories, products, inventory; one transaction',
      ),
      phase(
        'raw COPY (products + inventory)',
        rows,
        copySeconds.products + copySeconds.inventory,
        2 * rows,
        "COPY of pre-generated text files into the empty, indexed products and inventory tables (FKs checked): the seed's end state, the baseline the targets use",
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
        reseedSeconds,
        written(again),
        `created ${again.created}, updated ${again.updated}, skipped ${again.skipped}, inventory ${again.inventoryChanged}, categories ${again.categoriesChanged}`,
      ),
      phase(
        'raw COPY (products only)',
        rows,
        copySeconds.products,
        rows,
        'the products part of the raw COPY above, for reference (the seed also writes inventory)',
      ),
    ],
  }
}

interface BenchFiles {
  json: string
  productsCopy: string
  inventoryCopy: string
}

/** A database of the PRIMARY that no publication or slot covers: the seed with nothing replicating it. */
const unreplicatedSpec = (primary: NodeSpec): NodeSpec => ({
  ...primary,
  database: UNREPLICATED_DB,
  label: primary.label.replace(/\/[^/]+$/, `/${UNREPLICATED_DB}`),
})

async function dropUnreplicated(primary: NodeSpec): Promise<void> {
  await withNode({ ...primary, database: 'postgres' }, sql =>
    sql.unsafe(`drop database if exists ${UNREPLICATED_DB} with (force)`),
  )
}

function settingTargets(setting: SeedSetting): ScriptTarget[] {
  const [ours, copy, loop, reseed] = setting.phases
  const seedRatio = ours.rowsPerSecond / copy.rowsPerSecond
  const loopRatio = ours.rowsPerSecond / loop.rowsPerSecond
  const reseedRatio = reseed.rowsPerSecond / copy.rowsPerSecond
  const rssMb = setting.seedPeakRssBytes / 1024 / 1024
  return [
    {
      target: 'seed ≥ 0.85× raw COPY rate (same end state)',
      measured: seedRatio,
      needed: 0.85,
      unit: '×',
      met: seedRatio >= 0.85,
    },
    { target: 'seed ≥ 20× row-at-a-time rate', measured: loopRatio, needed: 20, unit: '×', met: loopRatio >= 20 },
    {
      target: 're-seed ≥ 2× raw COPY rate (same end state)',
      measured: reseedRatio,
      needed: 2,
      unit: '×',
      met: reseedRatio >= 2,
    },
    { target: 're-seed writes 0 rows', measured: reseed.written, needed: 0, unit: ' rows', met: reseed.written === 0 },
    {
      target: `seed's client memory < ${RSS_LIMIT_MB} MB (streamed)`,
      measured: rssMb,
      needed: RSS_LIMIT_MB,
      unit: ' MB',
      met: rssMb < RSS_LIMIT_MB,
    },
  ].map(t => ({ ...t, target: `${setting.name}: ${t.target}` }))
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

  const settings: SeedSetting[] = []
  try {
    const unreplicated = unreplicatedSpec(config.primary)
    say(`Setting 1: database ${UNREPLICATED_DB} on the PRIMARY, not replicated ...`)
    await dropUnreplicated(config.primary)
    await withNode({ ...config.primary, database: 'postgres' }, sql => sql.unsafe(`create database ${UNREPLICATED_DB}`))
    await ensureSchema(unreplicated)
    const quiet = await withNode(unreplicated, sql => runPhases(sql, files, rows, sample, slugs, opts), {
      statementTimeoutMs: 0,
    })
    settings.push({
      name: 'not replicated',
      where: `a database of its own on the PRIMARY (${UNREPLICATED_DB}) that no publication or slot covers; the walsenders of ${config.primary.database} read its WAL and skip it`,
      phases: quiet.phases,
      seedPeakRssBytes: quiet.seedPeakRss,
    })
    await dropUnreplicated(config.primary)

    await withNode(
      config.primary,
      async sql => {
        const replicas = (await sql`select count(*)::int as n from pg_stat_replication`)[0].n as number
        say(`Setting 2: database ${config.primary.database}, replicating to ${replicas} replicas ...`)
        try {
          const live = await runPhases(sql, files, rows, sample, slugs, opts)
          settings.push({
            name: `replicating to ${replicas} replicas`,
            where: `${config.primary.database} on the PRIMARY, published to ${replicas} subscribed replicas that apply every phase (the realistic re-seed)`,
            phases: live.phases,
            seedPeakRssBytes: live.seedPeakRss,
          })
        } finally {
          say('Restoring the PRIMARY to data/products.json ...')
          await emptyTables(sql, 'all')
          await seed(sql, { file: join(repoRoot, 'data/products.json'), categoriesFile, dryRun: false })
        }
      },
      { statementTimeoutMs: 0 },
    )
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
    targets: settings.flatMap(settingTargets),
    method:
      'Each timed phase starts from truncated tables after VACUUM ANALYZE, CHECKPOINT and every subscriber caught up (the re-seed from the seeded tables after the same), so none pays for the previous one. Client memory: peak resident set of this process during the seed, sampled every 50 ms.',
  }
  await writeFile(join(opts.outDir, 'seed.json'), `${JSON.stringify(report, null, 2)}\n`)
  return report
}

/** One setting's phases as a table: rate, ratio to that setting's raw COPY, rows written. */
export function formatSeedPhases(setting: SeedSetting): string {
  const copy = setting.phases[1]
  return formatTable(
    ['phase', 'rows', 'seconds', 'rows/s', 'vs raw COPY', 'rows written'],
    setting.phases.map(p => [
      p.name,
      p.rows,
      Number(p.seconds.toFixed(2)),
      Math.round(p.rowsPerSecond),
      `${(p.rowsPerSecond / copy.rowsPerSecond).toFixed(2)}×`,
      p.written,
    ]),
  )
}

export const seedSettingTitle = (s: SeedSetting) =>
  `${s.name}: ${s.where}; seed's client peak memory ${formatBytes(s.seedPeakRssBytes)}`

export function formatSeedBench(report: SeedBenchReport): string {
  return [
    `Seed benchmark: ${report.rows.toLocaleString('en-US')} generated products (a ${formatBytes(report.fileBytes)} file, generated in ${report.generateSeconds.toFixed(1)} s), ${report.machine.cpus} CPUs, PostgreSQL ${report.machine.postgres}`,
    ...report.settings.flatMap(s => ['', seedSettingTitle(s), formatSeedPhases(s)]),
    '',
    formatTable(
      ['Target', 'Measured', 'Needed', 'Result'],
      report.targets.map(t => [
        t.target,
        showMeasured(t),
        showNeeded(t),
        t.met ? colour.green('met') : colour.red('NOT met'),
      ]),
    ),
    '',
    ...report.settings[0].phases.map(p => colour.dim(`${p.name}: ${p.note}`)),
    colour.dim(report.method),
  ].join('\n')
}
