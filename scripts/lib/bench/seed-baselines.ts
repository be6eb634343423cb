// The seed benchmark's baselines: a raw COPY of pre-generated text files (the seed's end state by
// the fastest path PostgreSQL has), the row-at-a-time upserts of an ORM loop, and Node's part of
// the seed alone.
import { createReadStream } from 'node:fs'
import type postgres from 'postgres'
import { randomUUID } from 'node:crypto'
import { copyIn } from '../copy-in.js'
import { recordBatches } from '../seed/batches.js'
import { directShapeFor } from '../seed/batch-writes.js'
import type { Limits } from '../seed/products.js'
import type { Sql } from '../db.js'
import { statement } from '../seed/statements.js'
import { product, productId } from './generate-products.js'

const seconds = async (fn: () => Promise<unknown>) => {
  const started = performance.now()
  await fn()
  return (performance.now() - started) / 1000
}

/**
 * COPY of pre-generated text files, products then their inventory rows, in one transaction; with
 * keyInBulk, inventory's key to products set aside and added back after the data (checked by one
 * anti-join, as pg_restore does), by the seed's own statements (041, 048). Seconds.
 */
export async function rawCopy(
  sql: Sql,
  files: { products: string; inventory: string },
  keyInBulk: boolean,
): Promise<number> {
  const conn = await sql.reserve()
  const copy = (statement: string, file: string) =>
    copyIn(conn, statement, createReadStream(file, { highWaterMark: 1 << 20 }))
  const [setAside, putBack] = await Promise.all([
    statement('041_set_aside_inventory_fk.sql'),
    statement('048_revert_set_aside_inventory_fk.sql'),
  ])
  try {
    return await seconds(async () => {
      await conn`begin`
      if (keyInBulk) await conn.unsafe(setAside)
      await copy(
        'copy public.products (id, sku, title, description, price, stock, category_id, attributes) from stdin',
        files.products,
      )
      await copy('copy public.inventory (product_id, warehouse, quantity) from stdin', files.inventory)
      if (keyInBulk) await conn.unsafe(putBack)
      await conn`commit`
    })
  } catch (error) {
    await conn`rollback`.catch(() => {})
    throw error
  } finally {
    conn.release()
  }
}

/** What an ORM loop does: one parameterised upsert per product and per inventory row, each its own transaction. */
export async function rowAtATime(
  sql: Sql,
  rows: number,
  slugs: string[],
  categoryIds: Map<string, string>,
): Promise<number> {
  return seconds(async () => {
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
}

/** Node's part of the seed alone: the file read, validated and made into products and inventory COPY text, nothing sent. */
export async function clientPassSeconds(file: string, slugs: string[], limits: Limits): Promise<number> {
  const ids = new Map(slugs.map(slug => [slug, randomUUID()]))
  const { batches } = recordBatches({ file }, limits, new Set(slugs), directShapeFor(ids))
  return seconds(async () => {
    for await (const batch of batches) for (const copy of batch.copies) copy.end()
  })
}
