// Step 1 of the runbook as one transaction: stream-validate the file in batches into a temporary
// staging table with COPY, and upsert each batch's categories, products and inventory set-based.
// Any bad record aborts the transaction, so a bad file writes nothing.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { repoRoot } from '../config.js'
import type { Sql } from '../db.js'
import { ReplkitError } from '../errors.js'
import { CopyBatch } from './copy-batch.js'
import { readProductFile } from './json-records.js'
import { type Limits, stagingLine, validateProduct } from './products.js'

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

export const seedStatements = [
  '005_planner_settings.sql',
  '010_staging.sql',
  '015_analyze.sql',
  '020_categories.sql',
  '022_next_batch.sql',
  '023_file_skus.sql',
  '024_duplicate_sku.sql',
  '025_match.sql',
  '030_update_products.sql',
  '035_insert_products.sql',
  '040_update_inventory.sql',
  '045_insert_inventory.sql',
  '050_unlisted.sql',
]

/** When seed() runs a statement, for --dry-run: once, once per batch, or only on a repeated sku. */
export function whenRun(name: string): string {
  if (name === '024_duplicate_sku.sql') return 'only when a batch repeats a sku'
  if (name === '015_analyze.sql') return 'once, and again each time the seed has doubled the rows it added'
  return batchStatements.includes(name)
    ? `once per batch of ${SEED_BATCH_RECORDS.toLocaleString('en-US')} records or ${SEED_BATCH_BYTES >> 20} MB`
    : 'once'
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

/** Records per batch: small enough to keep memory flat, large enough that each statement is set-based. */
export const SEED_BATCH_RECORDS = 50_000
/**
 * A batch also ends at this much COPY text, so memory stays flat whatever a record's size: two
 * batches are held at once (one on the server, the next being validated), and 50,000 records
 * with long descriptions would otherwise be hundreds of MB.
 */
export const SEED_BATCH_BYTES = 8 << 20

export async function seed(sql: Sql, opts: SeedOptions): Promise<SeedResult> {
  const categories = await loadCategories(opts.categoriesFile)
  const limits = await columnLimits(sql)
  const known = new Set([
    ...categories.map(c => c.slug),
    ...(await sql`select slug from public.categories`).map(r => r.slug as string),
  ])
  const file = recordBatches(opts, limits, known)
  const conn = await sql.reserve()
  try {
    await conn`begin`
    await conn.unsafe(await statement('005_planner_settings.sql'))
    await conn.unsafe(await statement('010_staging.sql'))
    await conn.unsafe(await statement('015_analyze.sql'))
    const tally = newTally()
    tally.categoriesChanged = (
      await conn.unsafe(await statement('020_categories.sql'), [JSON.stringify(categories)])
    ).count
    await loadBatches(conn, file, opts, tally)
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
    }
  } catch (error) {
    await conn`rollback`.catch(() => {})
    throw writerRaced(error)
  } finally {
    await file.batches.return(undefined).catch(() => {})
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

/** How many invalid records one run names before it stops reading. */
const INVALID_REPORTED = 20

/** Every invalid record found (up to INVALID_REPORTED), one line each; one alone stays one line. */
function invalidRecords(file: string, lines: string[], stopped: boolean): ReplkitError {
  if (lines.length === 1) return new ReplkitError(lines[0])
  const count = stopped ? `the first ${lines.length}` : `${lines.length}`
  return new ReplkitError(`${file}: ${count} invalid records, nothing was written:\n  ${lines.join('\n  ')}`)
}

/**
 * The file as COPY text, one batch per yield, validated record by record; found counts the records
 * read. After an invalid record nothing more is staged, but the file is read on (up to
 * INVALID_REPORTED of them), so one run names every problem to fix.
 */
function recordBatches(opts: SeedOptions, limits: Limits, known: Set<string>) {
  const state = { found: 0, fraction: 0 }
  const batchRecords = opts.batchRecords ?? SEED_BATCH_RECORDS
  async function* batches(): AsyncGenerator<CopyBatch> {
    let batch = new CopyBatch()
    const invalid: string[] = []
    for await (const raw of readProductFile(opts.file, (read, total) => {
      state.fraction = total ? read / total : 1
    })) {
      ++state.found
      let line: string
      try {
        line = stagingLine(validateProduct(raw, opts.file, limits, known), raw)
      } catch (error) {
        if (!(error instanceof ReplkitError)) throw error
        if (invalid.push(error.message) === INVALID_REPORTED) throw invalidRecords(opts.file, invalid, true)
        continue
      }
      if (invalid.length) continue
      batch.add(line)
      if (state.found % 5000 === 0) opts.onProgress?.(state.found, state.fraction)
      if (batch.records === batchRecords || batch.bytes >= SEED_BATCH_BYTES) {
        yield batch
        batch = new CopyBatch()
      }
    }
    if (invalid.length) throw invalidRecords(opts.file, invalid, false)
    if (batch.records) yield batch
  }
  return {
    batches: batches(),
    get found() {
      return state.found
    },
  }
}

/** Each batch copied into staging and upserted; the next batch is validated while the server works. */
async function loadBatches(conn: Sql, file: ReturnType<typeof recordBatches>, opts: SeedOptions, tally: Tally) {
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
    await upsertBatch(conn, batch.value.records, opts.file, tally)
    const added = Math.max(tally.created, tally.inventoryCreated)
    if (added > 0 && added >= 2 * analyzedAt) {
      await conn.unsafe(await statement('015_analyze.sql'))
      analyzedAt = added
    }
  }
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
