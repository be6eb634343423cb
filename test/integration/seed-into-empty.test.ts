// The seed into an empty products table: copied straight into products and inventory, the same
// rows the upsert path writes; inventory's key to products checked once after the load when the
// seed's role owns the tables, per row when it does not; any refusal by the server rolls it all
// back and is named, and nothing waits for good.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { repoRoot } from '../../scripts/lib/config.js'
import { type Sql, withNode } from '../../scripts/lib/db.js'
import { ensureSchema } from '../../scripts/lib/schema.js'
import { seed as seedProducts } from '../../scripts/lib/seed/seed.js'
import { config, tempFile } from './helpers.js'

const empty = suite('seed into empty tables')
const products = JSON.parse(await readFile(join(repoRoot, 'data/products.json'), 'utf8')) as Record<string, unknown>[]
const categoriesFile = join(repoRoot, 'data/categories.json')
const newOnes = Array.from({ length: 9 }, (_, i) => ({ ...products[i], sku: `EMPTY-${i}` }))
const SEEDER = 'replkit_test_seeder'

/** A database of its own with the schema and no products, for fn; dropped after. */
async function emptyDatabase(name: string, fn: (node: typeof config.primary) => Promise<void>): Promise<void> {
  const scratch = { ...config.primary, database: name }
  const admin = { ...config.primary, database: 'postgres' }
  await withNode(admin, s => s.unsafe(`drop database if exists ${name} with (force)`))
  await withNode(admin, s => s.unsafe(`create database ${name}`))
  try {
    await ensureSchema(scratch)
    await fn(scratch)
  } finally {
    await withNode(admin, s => s.unsafe(`drop database if exists ${name} with (force)`))
  }
}

/** Inventory's key to products: its oid, definition and whether it is validated. */
async function inventoryKey(s: Sql) {
  const [key] = await s`
    select oid::int as oid, pg_get_constraintdef(oid) as definition, convalidated as validated
      from pg_constraint where conrelid = 'public.inventory'::regclass and contype = 'f'`
  return key
}

async function productRows(s: Sql) {
  const [rows] = await s`
    select count(*)::int as products,
           count(*) filter (where i.quantity = p.stock and i.warehouse = 'main')::int as inventory
      from public.products p left join public.inventory i on i.product_id = p.id`
  return rows
}

empty('a repeated sku is named with both places by the upsert path; nothing written', async () => {
  await emptyDatabase('replkit_test_seed_empty', async node => {
    await withNode(node, async s => {
      const repeated = await tempFile('repeated.json', JSON.stringify([...newOnes, ...products, newOnes[2]], null, 1))
      try {
        await seedProducts(s, { file: repeated, categoriesFile, dryRun: false, batchRecords: 4 })
        assert.unreachable('the seed accepted a repeated sku')
      } catch (error) {
        assert.match(
          (error as Error).message,
          /repeated\.json:\d+: record \[39\] \(sku "EMPTY-2"\): sku appears twice \(first at record \[2\]\)/,
        )
      }
      assert.equal(await productRows(s), { products: 0, inventory: 0 }, 'nothing written')
    })
  })
})

empty(
  'as the owner: copied straight in, the key checked once after the load and back as it was; a re-seed finds nothing to change',
  async () => {
    await emptyDatabase('replkit_test_seed_empty', async node => {
      await withNode(node, async s => {
        const before = await inventoryKey(s)
        const file = await tempFile('empty.json', JSON.stringify([...products, ...newOnes]))
        const first = await seedProducts(s, { file, categoriesFile, dryRun: false, batchRecords: 4 })
        assert.equal(
          { created: first.created, inventory: first.inventoryChanged, direct: first.direct },
          { created: 39, inventory: 39, direct: true },
        )
        assert.is(first.foreignKeysCheckedInBulk, 1)
        const after = await inventoryKey(s)
        assert.equal({ ...after, oid: 0 }, { ...before, oid: 0 }, 'the same key, validated')
        assert.is.not(after.oid, before.oid, 'dropped and added again')
        assert.equal(await productRows(s), { products: 39, inventory: 39 })
        const again = await seedProducts(s, { file, categoriesFile, dryRun: false, batchRecords: 4 })
        assert.equal(
          [again.created, again.updated, again.skipped, again.inventoryChanged, again.direct],
          [0, 0, 39, 0, false],
        )
      })
    })
  },
)

empty(
  'as a least-privilege role (SELECT, INSERT, UPDATE): copied straight in, the key left alone and checked per row',
  async () => {
    await emptyDatabase('replkit_test_seed_empty', async node => {
      await withNode(node, async s => {
        await s.unsafe(`drop role if exists ${SEEDER}`)
        await s.unsafe(`create role ${SEEDER} login password 'seeder'`)
        await s.unsafe(
          `grant select, insert, update on public.categories, public.products, public.inventory to ${SEEDER}`,
        )
      })
      try {
        const before = await withNode(node, inventoryKey)
        const file = await tempFile('empty.json', JSON.stringify(products))
        const seeder = { ...node, user: SEEDER, password: 'seeder' }
        const result = await withNode(seeder, s => seedProducts(s, { file, categoriesFile, dryRun: false }))
        assert.equal([result.created, result.direct, result.foreignKeysCheckedInBulk], [30, true, 0])
        assert.equal(await withNode(node, inventoryKey), before, 'the same key, never dropped')
        assert.equal(await withNode(node, productRows), { products: 30, inventory: 30 })
      } finally {
        await withNode(node, s => s.unsafe(`drop owned by ${SEEDER}; drop role ${SEEDER}`))
      }
    })
  },
)

empty(
  'a row the server refuses though the file passed its checks: the server error, nothing written, no wait',
  async () => {
    await emptyDatabase('replkit_test_seed_empty', async node => {
      await withNode(node, async s => {
        // A rule the schema has and the seed's checks do not know: the server refuses the last row.
        await s`alter table public.products add constraint replkit_test_cheap check (price < 1000)`
        const dear = { ...newOnes[0], sku: 'DEAR-1', price: 5000 }
        const file = await tempFile('dear.json', JSON.stringify([...products, dear]))
        try {
          await seedProducts(s, { file, categoriesFile, dryRun: false })
          assert.unreachable('the seed wrote a row its table refuses')
        } catch (error) {
          assert.match((error as Error).message, /replkit_test_cheap/)
        }
        assert.equal(await productRows(s), { products: 0, inventory: 0 }, 'nothing written')
        assert.ok((await inventoryKey(s)).validated, 'the key is in place')
      })
    })
  },
)

empty.run()
