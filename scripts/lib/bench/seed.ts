// The seed benchmark (make bench, section seed): our seed against a raw COPY and a row-at-a-time
// loop, on N generated products, in one run on one machine (only ratios measured together mean
// anything on a shared box). Destructive on the PRIMARY of the local cluster only; leaves it
// re-seeded with data/products.json.
import { createReadStream } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join, relative } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type postgres from 'postgres'
import { isLocalClusterNode } from '../cluster/local-cluster.js'
import { type Config, repoRoot } from '../config.js'
import { type Sql, withNode } from '../db.js'
import { ReplkitError } from '../errors.js'
import { colour, formatTable, progress } from '../output.js'
import { waitForCatchup } from '../replication/waits.js'
import { type SeedResult, loadCategories, seed } from '../seed/seed.js'
import { product, productId, writeInventoryCopy, writeProductsCopy, writeProductsJson } from './generate-products.js'
import type { ScriptTarget } from './targets.js'

const categoriesFile = join(repoRoot, 'data/categories.json')

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
  generateSeconds: number
  phases: Phase[]
  targets: ScriptTarget[]
  method: string
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
  await sql.unsafe(which === 'all' ? 'truncate public.categories, public.products, public.inventory cascade' : 'truncate public.products cascade')
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
  const subscribers = (await sql`select application_name from pg_stat_replication`).map(r => r.application_name as string)
  await waitForCatchup(sql, subscribers, 600_000)
}

async function runSeed(sql: Sql, file: string, label: string, showProgress: boolean): Promise<SeedResult> {
  const bar = progress(label)
  const result = await seed(sql, { file, categoriesFile, dryRun: false, onProgress: showProgress ? (n, f) => bar.update(n, f) : undefined })
  bar.done()
  return result
}

/** COPY of pre-generated text files: products, then their inventory rows; seconds for each. */
async function rawCopy(sql: Sql, productsFile: string, inventoryFile: string): Promise<{ products: number; inventory: number }> {
  const conn = await sql.reserve()
  const copy = async (statement: string, file: string) => {
    const [, seconds] = await timed(async () => pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), await conn.unsafe(statement).writable()))
    return seconds
  }
  try {
    return {
      products: await copy('copy public.products (id, sku, title, description, price, stock, category_id, attributes) from stdin', productsFile),
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

/** Runs every phase; writes outDir/seed.json. */
export async function seedBench(config: Config, opts: SeedBenchOptions): Promise<SeedBenchReport> {
  if (!isLocalClusterNode(config, config.primary)) {
    throw new ReplkitError(`the seed benchmark is destructive and runs only on this checkout's local cluster; the PRIMARY (${config.primary.label}) is not one of its nodes (make up)`)
  }
  const { rows, say } = opts
  const sample = Math.min(opts.sample, rows)
  const slugs = (await loadCategories(categoriesFile)).map(c => c.slug)
  await mkdir(opts.outDir, { recursive: true })
  const jsonFile = join(opts.outDir, `products-${rows}.json.tmp`)
  const copyFile = join(opts.outDir, `products-${rows}.copy.tmp`)
  const inventoryFile = join(opts.outDir, `inventory-${rows}.copy.tmp`)

  say(`Generating ${rows.toLocaleString('en-US')} products into ${relative(process.cwd(), jsonFile)} ...`)
  const [, generateSeconds] = await timed(() => writeProductsJson(jsonFile, rows, slugs))

  const phases = await withNode(config.primary, async sql => {
    try {
      say('1. our seed into an empty PRIMARY ...')
      await emptyTables(sql, 'all')
      const [first, seedSeconds] = await timed(() => runSeed(sql, jsonFile, 'Seeding', opts.showProgress))
      if (first.created !== rows) throw new ReplkitError(`the seed created ${first.created} products, expected ${rows}`)

      say('4. re-seed of the unchanged file ...')
      await settle(sql)
      const [again, reseedSeconds] = await timed(() => runSeed(sql, jsonFile, 'Re-seeding', opts.showProgress))

      const categoryIds = new Map((await sql`select slug, id from public.categories`).map(r => [r.slug as string, r.id as string]))
      say('2. raw COPY baseline (writing the COPY file first, untimed) ...')
      await writeProductsCopy(copyFile, rows, slugs, categoryIds)
      await writeInventoryCopy(inventoryFile, rows, slugs)
      await emptyTables(sql, 'products')
      const copySeconds = await rawCopy(sql, copyFile, inventoryFile)

      say(`3. row-at-a-time baseline on ${sample.toLocaleString('en-US')} rows ...`)
      await emptyTables(sql, 'products')
      const loopSeconds = await rowAtATime(sql, sample, slugs, categoryIds)

      return [
        phase('our seed (empty PRIMARY)', rows, seedSeconds, written(first), 'whole user path: read + validate + staging COPY + upserts of categories, products, inventory; one transaction'),
        phase('raw COPY (products + inventory)', rows, copySeconds.products + copySeconds.inventory, 2 * rows, 'COPY of pre-generated text files into the empty, indexed products and inventory tables (FKs checked): the seed\'s end state, the baseline the targets use'),
        phase('row-at-a-time upsert', sample, loopSeconds, 2 * sample, 'an INSERT ... ON CONFLICT DO UPDATE per product and per inventory row, autocommit (an ORM loop), category ids cached client-side'),
        phase('re-seed, file unchanged', rows, reseedSeconds, written(again), `created ${again.created}, updated ${again.updated}, skipped ${again.skipped}, inventory ${again.inventoryChanged}, categories ${again.categoriesChanged}`),
        phase('raw COPY (products only)', rows, copySeconds.products, rows, 'the products part of the raw COPY above, for reference (the seed also writes inventory)'),
      ]
    } finally {
      say('Restoring the PRIMARY to data/products.json ...')
      await emptyTables(sql, 'all')
      await seed(sql, { file: join(repoRoot, 'data/products.json'), categoriesFile, dryRun: false })
    }
  }, { statementTimeoutMs: 0 }).finally(() => Promise.all([jsonFile, copyFile, inventoryFile].map(f => rm(f, { force: true }))))

  const [ours, copy, loop, reseed] = phases
  const targets = [
    { target: 'seed ≥ 0.85× raw COPY rate (same end state)', measured: ours.rowsPerSecond / copy.rowsPerSecond, needed: 0.85, unit: '×' },
    { target: 'seed ≥ 20× row-at-a-time rate', measured: ours.rowsPerSecond / loop.rowsPerSecond, needed: 20, unit: '×' },
    { target: 're-seed ≥ 2× raw COPY rate (same end state)', measured: reseed.rowsPerSecond / copy.rowsPerSecond, needed: 2, unit: '×' },
    { target: 're-seed writes 0 rows', measured: reseed.written, needed: 0, unit: ' rows' },
  ].map(t => ({ ...t, met: t.unit === ' rows' ? t.measured === t.needed : t.measured >= t.needed }))

  const [{ server }] = await withNode(config.primary, sql => sql`select current_setting('server_version') as server`)
  const report = {
    rows,
    sample,
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, postgres: server as string },
    generateSeconds,
    phases,
    targets,
    method: 'Each timed phase starts from truncated tables after VACUUM ANALYZE and CHECKPOINT (the re-seed from the seeded tables after the same), so none pays for the previous one\'s hint bits or dirty buffers.',
  }
  await writeFile(join(opts.outDir, 'seed.json'), JSON.stringify(report, null, 2) + '\n')
  return report
}

export function formatSeedBench(report: SeedBenchReport): string {
  const { phases, targets } = report
  const copy = phases[1]
  const ratio = (p: Phase) => `${(p.rowsPerSecond / copy.rowsPerSecond).toFixed(2)}×`
  return [
    `Seed benchmark: ${report.rows.toLocaleString('en-US')} generated products (generated in ${report.generateSeconds.toFixed(1)} s), ${report.machine.cpus} CPUs, PostgreSQL ${report.machine.postgres}\n`,
    formatTable(['Phase', 'Rows', 'Seconds', 'Rows/s', 'vs raw COPY', 'Rows written'],
      phases.map(p => [p.name, p.rows, Number(p.seconds.toFixed(2)), Math.round(p.rowsPerSecond), ratio(p), p.written])),
    '',
    formatTable(['Target', 'Measured', 'Needed', 'Result'],
      targets.map(t => [t.target, t.unit === '×' ? `${t.measured.toFixed(2)}×` : `${t.measured}${t.unit}`, `${t.needed}${t.unit}`, t.met ? colour.green('met') : colour.red('NOT met')])),
    '',
    ...phases.map(p => colour.dim(`${p.name}: ${p.note}`)),
    colour.dim(report.method),
  ].join('\n')
}
