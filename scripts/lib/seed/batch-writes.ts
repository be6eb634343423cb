// The seed's two ways to write the file's batches, inside its transaction: copied straight into
// products and inventory when products was empty, else through the staging table and upserted.
import { copyIn } from '../copy-in.js'
import type { Sql } from '../db.js'
import { ReplkitError } from '../errors.js'
import type { BatchShape, RecordBatches, SeedBatch } from './batches.js'
import { inventoryRowLine, productRowLine, stagingLine } from './products.js'
import { statement } from './statements.js'
import { timeOrderedIds } from './time-ordered-ids.js'

/** Into the staging table: each record's columns and where it is in the file. */
export const stagingShape: BatchShape = { tables: 1, lines: (p, raw) => [stagingLine(p, raw)] }

/** Into empty tables: each record's products and inventory rows, its id chosen here (time-ordered), its category by id. */
export async function directShape(conn: Sql): Promise<BatchShape> {
  const categoryIds = new Map(
    (await conn`select slug, id from public.categories`).map(r => [r.slug as string, r.id as string]),
  )
  return directShapeFor(categoryIds)
}

export function directShapeFor(categoryIds: ReadonlyMap<string, string>): BatchShape {
  const nextId = timeOrderedIds()
  return {
    tables: 2,
    lines: p => {
      const id = nextId()
      return [productRowLine(id, p, categoryIds.get(p.category)!), inventoryRowLine(id, p)]
    },
  }
}

/** What the batches changed so far (inventoryCreated: new inventory rows, for the planner's statistics). */
export interface Tally {
  created: number
  updated: number
  categoriesChanged: number
  inventoryChanged: number
  inventoryCreated: number
}

export const newTally = (): Tally => ({
  created: 0,
  updated: 0,
  categoriesChanged: 0,
  inventoryChanged: 0,
  inventoryCreated: 0,
})

/**
 * Into empty tables: each batch copied into products, then inventory (046, 047), as a bulk load;
 * Node validates the next batch meanwhile. On 2 cores shared with the server that slows the COPY
 * (a busy loop beside one took it from 3.9 to 5.1 s), yet overlapped still won in each of 5
 * alternating runs (300k products: 9.8-11.6 s, one after the other 10.9-14.3 s). A bad record
 * anywhere still rolls the whole transaction back: nothing is committed.
 */
export async function copyBatches(conn: Sql, file: RecordBatches, tally: Tally): Promise<void> {
  const products = await statement('046_copy_products.sql')
  const inventory = await statement('047_copy_inventory.sql')
  let next = file.batches.next()
  for (let batch = await next; !batch.done; batch = await next) {
    const copied = copyBatch(conn, batch.value, products, inventory)
    next = file.batches.next()
    next.catch(() => {})
    await copied
    tally.created += batch.value.records
    tally.inventoryChanged += batch.value.records
  }
}

async function copyBatch(conn: Sql, batch: SeedBatch, products: string, inventory: string): Promise<void> {
  await copyIn(conn, products, batch.copies[0].end())
  await copyIn(conn, inventory, batch.copies[1].end())
}

/** Each batch copied into staging, then upserted; the next batch is validated while the server works. */
export async function upsertBatches(conn: Sql, file: RecordBatches, tally: Tally, path: string): Promise<void> {
  // Rows added when last analyzed: past twice that, the planner's sizes are off by 2× or more.
  let analyzedAt = 0
  let next = file.batches.next()
  for (let batch = await next; !batch.done; batch = await next) {
    await conn.unsafe(await statement('022_next_batch.sql'))
    await copyIn(
      conn,
      'copy replkit_seed_staging (sku, title, description, price, stock, category, attributes, record, line) from stdin',
      batch.value.copies[0].end(),
    )
    next = file.batches.next()
    next.catch(() => {})
    await upsertBatch(conn, batch.value.records, path, tally)
    // The upserts join products and inventory: the planner is told their size as they grow.
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
