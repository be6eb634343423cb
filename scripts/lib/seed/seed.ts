// Step 1 of the runbook as one transaction: stream-validate the file in batches into a temporary
// staging table with COPY, and upsert each batch's categories, products and inventory set-based;
// into an empty products table, each batch goes straight from staging into the tables (046).
// Any bad record aborts the transaction, so a bad file writes nothing.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { repoRoot } from '../config.js'
import type { Sql } from '../db.js'
import { ReplkitError } from '../errors.js'
import { type RecordBatches, SEED_BATCH_BYTES, SEED_BATCH_RECORDS, recordBatches } from './batches.js'
import type { Limits } from './products.js'

export const seedSqlDir = join(repoRoot, 'sql/seed')

export interface Category {
  slug: string
  name: string
  description: string | null
}

export interface SeedResult {
  found: number
  created: number
  updated: number
  skipped: number
  unlisted: number
  categoriesChanged: number
  inventoryChanged: number
  /** products was empty: each staged batch went straight into the tables, with no match against them (046). */
  direct: boolean
}

export interface SeedOptions {
  file: string
  categoriesFile: string
  dryRun: boolean
  onProgress?: (records: number, fraction: number) => void
  /** Records per batch; SEED_BATCH_RECORDS unless a test needs many batches from a small file. */
  batchRecords?: number
}

/** The statements seed() runs for every batch of the file, in order. */
export const batchStatements = [
  '022_next_batch.sql',
  '023_file_skus.sql',
  '024_duplicate_sku.sql',
  '025_match.sql',
  '030_update_products.sql',
  '035_insert_products.sql',
  '040_update_inventory.sql',
  '045_insert_inventory.sql',
]

/** Run for every batch instead of batchStatements when products was empty (021). */
const directStatements = ['046_insert_into_empty.sql']

export const seedStatements = [
  '005_planner_settings.sql',
  '010_staging.sql',
  '015_analyze.sql',
  '020_categories.sql',
  '021_products_empty.sql',
  '022_next_batch.sql',
  '023_file_skus.sql',
  '024_duplicate_sku.sql',
  '025_match.sql',
  '030_update_products.sql',
  '035_insert_products.sql',
  '040_update_inventory.sql',
  '045_insert_inventory.sql',
  ...directStatements,
  '050_unlisted.sql',
]

/** When seed() runs a statement, for --dry-run: once, once per batch, or only on a repeated sku. */
export function whenRun(name: string): string {
  const perBatch = `once per batch of ${SEED_BATCH_RECORDS.toLocaleString('en-US')} records or ${SEED_BATCH_BYTES >> 20} MB`
  if (name === '024_duplicate_sku.sql') return 'only when a batch repeats a sku'
  if (name === '015_analyze.sql')
    return 'once, and again each time the seed has doubled the rows it added, or at the end of a load into empty tables'
  if (directStatements.includes(name)) return `${perBatch}, when products was empty (instead of 023-045)`
  if (name === '022_next_batch.sql') return perBatch
  return batchStatements.includes(name) ? `${perBatch}, when products held rows` : 'once'
}

async function statement(name: string): Promise<string> {
  return readFile(join(seedSqlDir, name), 'utf8')
}

export async function loadCategories(file: string): Promise<Category[]> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new ReplkitError(`${file}: ${(error as Error).message}`)
  }
  if (!Array.isArray(parsed)) throw new ReplkitError(`${file}: the top level must be a JSON array of categories`)
  return parsed.map((c, i) => {
    if (typeof c?.slug !== 'string' || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(c.slug))
      throw new ReplkitError(`${file}: record [${i}]: slug must be lower-case words joined by -`)
    if (typeof c.name !== 'string' || !c.name)
      throw new ReplkitError(`${file}: record [${i}] (slug "${c.slug}"): name must be a non-empty string`)
    return { slug: c.slug, name: c.name, description: c.description ?? null }
  })
}

/** Column limits come from the PRIMARY itself, so validation matches the schema that is there. */
export async function columnLimits(sql: Sql): Promise<Limits> {
  const rows = await sql`
    select column_name, character_maximum_length as max from information_schema.columns
    where table_schema = 'public' and table_name = 'products' and column_name in ('sku', 'title')`
  if (rows.length < 2) throw new ReplkitError('primary: table public.products is missing: run make schema')
  const max = (name: string) => Number(rows.find(r => r.column_name === name)?.max ?? Infinity)
  return { sku: max('sku'), title: max('title') }
}

/** What the file is checked against: its categories, the PRIMARY's column limits and known slugs. */
interface SeedInput {
  categories: Category[]
  limits: Limits
  known: Set<string>
}

export async function seed(sql: Sql, opts: SeedOptions): Promise<SeedResult> {
  const categories = await loadCategories(opts.categoriesFile)
  const limits = await columnLimits(sql)
  const known = new Set([
    ...categories.map(c => c.slug),
    ...(await sql`select slug from public.categories`).map(r => r.slug as string),
  ])
  const input = { categories, limits, known }
  try {
    return await seedOnce(sql, opts, input, true)
  } catch (error) {
    // The load into empty tables met a sku twice (the file's, or another writer's): the upsert
    // path, in a transaction of its own, names both places of a repeat or seeds past the writer.
    if (!(error instanceof DirectLoadRefused)) throw error
    return seedOnce(sql, opts, input, false)
  }
}

class DirectLoadRefused extends Error {}

/** One transaction over the whole file; straight into empty tables when `direct` allows and products is empty. */
async function seedOnce(sql: Sql, opts: SeedOptions, input: SeedInput, direct: boolean): Promise<SeedResult> {
  const conn = await sql.reserve()
  let file: RecordBatches | null = null
  let empty = false
  try {
    await conn`begin`
    await conn.unsafe(await statement('005_planner_settings.sql'))
    await conn.unsafe(await statement('010_staging.sql'))
    await conn.unsafe(await statement('015_analyze.sql'))
    const tally = newTally()
    tally.categoriesChanged = (
      await conn.unsafe(await statement('020_categories.sql'), [JSON.stringify(input.categories)])
    ).count
    empty = direct && (await conn.unsafe(await statement('021_products_empty.sql')))[0].empty
    file = recordBatches(opts, input.limits, input.known)
    await loadBatches(conn, file, tally, { empty, file: opts.file })
    if (empty) await conn.unsafe(await statement('015_analyze.sql'))
    opts.onProgress?.(file.found, 1)
    const [{ unlisted }] = await conn.unsafe(await statement('050_unlisted.sql'), [file.found])
    await conn.unsafe(opts.dryRun ? 'rollback' : 'commit')
    const { found } = file
    const { created, updated, categoriesChanged, inventoryChanged } = tally
    return {
      found,
      created,
      updated,
      skipped: found - created - updated,
      unlisted,
      categoriesChanged,
      inventoryChanged,
      direct: empty,
    }
  } catch (error) {
    await conn`rollback`.catch(() => {})
    if (empty && (error as { code?: string }).code === '23505') throw new DirectLoadRefused()
    throw writerRaced(error)
  } finally {
    await file?.batches.return(undefined).catch(() => {})
    conn.release()
  }
}

/** What the batches changed so far (inventoryCreated: new inventory rows, for the planner's statistics). */
interface Tally {
  created: number
  updated: number
  categoriesChanged: number
  inventoryChanged: number
  inventoryCreated: number
}

const newTally = (): Tally => ({
  created: 0,
  updated: 0,
  categoriesChanged: 0,
  inventoryChanged: 0,
  inventoryCreated: 0,
})

/**
 * Each batch copied into staging, then inserted into the tables when they were empty (021), else
 * upserted; the next batch is validated while the server works.
 */
async function loadBatches(conn: Sql, file: RecordBatches, tally: Tally, into: { empty: boolean; file: string }) {
  // Rows added when last analyzed: past twice that, the planner's sizes are off by 2× or more.
  let analyzedAt = 0
  let next = file.batches.next()
  for (let batch = await next; !batch.done; batch = await next) {
    await conn.unsafe(await statement('022_next_batch.sql'))
    await pipeline(
      Readable.from(batch.value.end()),
      await conn`copy replkit_seed_staging (sku, title, description, price, stock, category, attributes, record, line) from stdin`.writable(),
    )
    // Node validates the next batch while the server applies this one (one core each). A bad
    // record anywhere still rolls the whole transaction back: nothing is committed.
    next = file.batches.next()
    next.catch(() => {})
    if (into.empty) {
      await insertBatch(conn, tally)
      continue
    }
    await upsertBatch(conn, batch.value.records, into.file, tally)
    // The upserts join products and inventory: the planner is told their size as they grow.
    const added = Math.max(tally.created, tally.inventoryCreated)
    if (added > 0 && added >= 2 * analyzedAt) {
      await conn.unsafe(await statement('015_analyze.sql'))
      analyzedAt = added
    }
  }
}

/** Into empty tables: the staged batch's products and their inventory rows inserted in one statement. */
async function insertBatch(conn: Sql, tally: Tally): Promise<void> {
  const inserted = (await conn.unsafe(await statement('046_insert_into_empty.sql'))).count
  tally.created += inserted
  tally.inventoryChanged += inserted
}

/** One staged batch: refused on a sku it holds twice, else products and inventory upserted. */
async function upsertBatch(conn: Sql, records: number, file: string, tally: Tally): Promise<void> {
  if ((await conn.unsafe(await statement('023_file_skus.sql'))).count < records) {
    const [twice] = await conn.unsafe(await statement('024_duplicate_sku.sql'))
    throw new ReplkitError(
      `${file}:${twice.line}: record [${twice.record}] (sku "${twice.sku}"): sku appears twice (first at record [${twice.first}])`,
    )
  }
  await conn.unsafe(await statement('025_match.sql'))
  tally.updated += (await conn.unsafe(await statement('030_update_products.sql'))).count
  tally.created += (await conn.unsafe(await statement('035_insert_products.sql'))).count
  const inventoryUpdated = (await conn.unsafe(await statement('040_update_inventory.sql'))).count
  const inventoryInserted = (await conn.unsafe(await statement('045_insert_inventory.sql'))).count
  tally.inventoryChanged += inventoryUpdated + inventoryInserted
  tally.inventoryCreated += inventoryInserted
}

/** A unique violation means another writer added the same row meanwhile: one line, nothing written. */
function writerRaced(error: unknown): unknown {
  if ((error as { code?: string }).code !== '23505') return error
  return new ReplkitError(
    `primary: another writer added a product or inventory row while the seed ran (${(error as { detail?: string }).detail ?? 'duplicate key'}); nothing was written — run the seed again`,
  )
}
