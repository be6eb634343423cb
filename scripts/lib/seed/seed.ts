// Step 1 of the runbook as one transaction: stream-validate the file in batches into a temporary
// staging table with COPY, and upsert each batch's categories, products and inventory set-based;
// into an empty products table, each batch is copied straight into products and inventory (046,
// 047), and inventory's key to products is checked once after the load, not per row (041, 048).
// Any bad record aborts the transaction, so a bad file writes nothing.
import { readFile } from 'node:fs/promises'
import type { Sql } from '../db.js'
import { ReplkitError } from '../errors.js'
import { type RecordBatches, recordBatches } from './batches.js'
import { copyBatches, directShape, newTally, stagingShape, upsertBatches } from './batch-writes.js'
import type { Limits } from './products.js'
import { statement } from './statements.js'

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
  /** products was empty: each batch was copied straight into the tables, with no match against them (046, 047). */
  direct: boolean
  /** Inventory's foreign keys to products checked after the load in one anti-join each, not per row (041, 048). */
  foreignKeysCheckedInBulk: number
}

export interface SeedOptions {
  file: string
  categoriesFile: string
  dryRun: boolean
  onProgress?: (records: number, fraction: number) => void
  /** Records per batch; SEED_BATCH_RECORDS unless a test needs many batches from a small file. */
  batchRecords?: number
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
    // The server refused the load into empty tables (a sku the file repeats, or another writer's;
    // a value it would not take): the upsert path, in a transaction of its own, names the record
    // (both places of a repeat) or seeds past the writer.
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
    file = recordBatches(opts, input.limits, input.known, empty ? await directShape(conn) : stagingShape)
    if (empty) await conn.unsafe(await statement('041_set_aside_inventory_fk.sql'))
    await (empty ? copyBatches(conn, file, tally) : upsertBatches(conn, file, tally, opts.file))
    const foreignKeysCheckedInBulk = empty ? await afterLoadIntoEmpty(conn) : 0
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
      foreignKeysCheckedInBulk,
    }
  } catch (error) {
    await conn`rollback`.catch(() => {})
    if (empty && refusedData(error)) throw new DirectLoadRefused()
    throw writerRaced(error)
  } finally {
    await file?.batches.return(undefined).catch(() => {})
    conn.release()
  }
}

/** A data exception (22) or integrity violation (23): the server would not take a row. */
const refusedData = (error: unknown) => /^2[23]/.test((error as { code?: string }).code ?? '')

/** After a load into empty tables: the planner told their sizes, then the keys 041 set aside put back (checked). */
async function afterLoadIntoEmpty(conn: Sql): Promise<number> {
  await conn.unsafe(await statement('015_analyze.sql'))
  const results = await conn.unsafe(await statement('048_revert_set_aside_inventory_fk.sql'))
  return (results.at(-1) as unknown as { checked: number }[])[0].checked
}

/** A unique violation means another writer added the same row meanwhile: one line, nothing written. */
function writerRaced(error: unknown): unknown {
  if ((error as { code?: string }).code !== '23505') return error
  return new ReplkitError(
    `primary: another writer added a product or inventory row while the seed ran (${(error as { detail?: string }).detail ?? 'duplicate key'}); nothing was written — run the seed again`,
  )
}
