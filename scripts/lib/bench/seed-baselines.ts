// The seed benchmark's baselines: a raw COPY of pre-generated text files (the seed's end state by
// the fastest path PostgreSQL has), and the row-at-a-time upserts of an ORM loop.
import { createReadStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import type postgres from 'postgres'
import type { Sql } from '../db.js'
import { product, productId } from './generate-products.js'

const seconds = async (fn: () => Promise<unknown>) => {
  const started = performance.now()
  await fn()
  return (performance.now() - started) / 1000
}

/** COPY of pre-generated text files: products, then their inventory rows; seconds for each. */
export async function rawCopy(
  sql: Sql,
  productsFile: string,
  inventoryFile: string,
): Promise<{ products: number; inventory: number }> {
  const conn = await sql.reserve()
  const copy = async (statement: string, file: string) => {
    return seconds(async () =>
      pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), await conn.unsafe(statement).writable()),
    )
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
