import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { writeProductsJson } from '../../scripts/lib/bench/generate-products.js'
import { ensureSchema } from '../../scripts/lib/schema.js'
import { repoRoot } from '../../scripts/lib/config.js'
import { withNode } from '../../scripts/lib/db.js'
import { loadCategories, seed as seedProducts } from '../../scripts/lib/seed/seed.js'
import { config, db, fingerprint, runScript, tempFile } from './helpers.js'

const seed = suite('seed')
const sql = db()
const products = JSON.parse(await readFile(join(repoRoot, 'data/products.json'), 'utf8')) as Record<string, unknown>[]

seed.after(async () => {
  await runScript('seed')
  await sql.end()
})

seed("a seeded PRIMARY re-seeds as all skipped, in the runbook's shape", async () => {
  await runScript('seed')
  const run = await runScript('seed')
  assert.is(run.code, 0, run.stderr)
  assert.match(
    run.stdout,
    /Connected to PRIMARY database\nStarting product seeding\.\.\.\nFound 30 products in JSON\nProcessed 30\/30 products\.\.\.\nSeeding completed!\n {3}Created: 0\n {3}Updated: 0\n {3}Skipped: 30\n/,
  )
})

seed('a changed price updates exactly one product and its row only', async () => {
  const changed = products.map(p => (p.sku === 'BOOK-0002' ? { ...p, price: 49.95 } : p))
  const run = await runScript('seed', ['--file', await tempFile('p.json', JSON.stringify(changed))])
  assert.is(run.code, 0, run.stderr)
  assert.match(run.stdout, /Created: 0\n {3}Updated: 1\n {3}Skipped: 29/)
  const [row] = await sql`select price::text from products where sku = 'BOOK-0002'`
  assert.is(row.price, '49.95')
})

seed('changed stock reaches inventory as well', async () => {
  const changed = products.map(p => (p.sku === 'OUT-0004' ? { ...p, stock: 7 } : p))
  await runScript('seed', ['--file', await tempFile('p.json', JSON.stringify(changed))])
  const [row] =
    await sql`select i.quantity from inventory i join products p on p.id = i.product_id where p.sku = 'OUT-0004'`
  assert.is(row.quantity, 7)
})

seed('--dry-run shows the SQL and what would change, and writes nothing', async () => {
  await runScript('seed')
  const before = await fingerprint(sql)
  const changed = products
    .map(p => (p.sku === 'HOME-0001' ? { ...p, price: 1 } : p))
    .concat([{ ...products[0], sku: 'NEW-1' }])
  const run = await runScript('seed', ['--dry-run', '--file', await tempFile('p.json', JSON.stringify(changed))])
  assert.is(run.code, 0, run.stderr)
  assert.match(run.stdout, /INSERT INTO public\.products/)
  assert.match(run.stdout, /Would be created: 1\n {3}Would be updated: 1/)
  assert.is(await fingerprint(sql), before)
})

seed('products missing from the file are left alone and counted', async () => {
  const run = await runScript('seed', ['--file', await tempFile('p.json', JSON.stringify(products.slice(0, 28)))])
  assert.match(run.stdout, /Skipped: 28\n {3}Not in file: 2/)
  const [{ n }] = await sql`select count(*)::int as n from products`
  assert.is(n, 30)
})

const badInputs: [string, string, RegExp][] = [
  ['malformed JSON', '[{"sku": "A",}]', /p\.json:1: malformed JSON in record \[0\]/],
  ['top level not an array', '{"sku": "A"}', /top level must be a JSON array/],
  [
    'missing sku',
    JSON.stringify([...products.slice(0, 5), { ...products[5], sku: undefined }]),
    /record \[5\]: sku must be a non-empty string, got missing/,
  ],
  [
    'duplicate sku',
    JSON.stringify([...products, products[3]]),
    /record \[30\] \(sku "ELEC-0004"\): sku appears twice \(first at record \[3\]\)/,
  ],
  [
    'negative price',
    JSON.stringify(products.map((p, i) => (i === 29 ? { ...p, price: -0.01 } : p))),
    /record \[29\] \(sku "APP-0006"\): price must not be negative/,
  ],
  [
    'non-numeric price',
    JSON.stringify(products.map((p, i) => (i === 2 ? { ...p, price: 'free' } : p))),
    /record \[2\] \(sku "ELEC-0003"\): price must be a number/,
  ],
  [
    'fractional stock',
    JSON.stringify(products.map((p, i) => (i === 1 ? { ...p, stock: 2.5 } : p))),
    /stock must be an integer/,
  ],
  [
    'unknown category',
    JSON.stringify(products.map((p, i) => (i === 29 ? { ...p, category: 'toys' } : p))),
    /category "toys" is not a known category/,
  ],
  [
    'title too long',
    JSON.stringify(products.map((p, i) => (i === 29 ? { ...p, title: 'x'.repeat(201) } : p))),
    /title is 201 characters, longer than its column \(200\)/,
  ],
  [
    'a NUL inside attributes, which jsonb refuses',
    JSON.stringify(products.map((p, i) => (i === 29 ? { ...p, attributes: { note: 'a\u0000b' } } : p))),
    /attributes\.note contains a NUL character/,
  ],
]

for (const [what, content, message] of badInputs) {
  seed(`bad input (${what}): one clear line, exit 1, nothing written`, async () => {
    const before = await fingerprint(sql)
    const withNew = content // a bad file must not even add the good records before the bad one
    const run = await runScript('seed', ['--file', await tempFile('p.json', withNew)])
    assert.is(run.code, 1)
    const lines = run.stderr.trim().split('\n')
    assert.is(lines.length, 1, run.stderr)
    assert.match(lines[0], /^replkit: /)
    assert.match(lines[0], message)
    assert.is(await fingerprint(sql), before)
  })
}

seed('several invalid records: each named with its line and fields, in one run; exit 1, nothing written', async () => {
  const before = await fingerprint(sql)
  const file = JSON.stringify(
    products.map((p, i) =>
      i === 3
        ? { ...p, price: -1, stock: 'x' }
        : i === 20
          ? { ...p, category: 'toys' }
          : i === 28
            ? { ...p, sku: '' }
            : p,
    ),
  )
  const run = await runScript('seed', ['--file', await tempFile('p.json', file)])
  assert.is(run.code, 1, run.stderr)
  const lines = run.stderr.trim().split('\n')
  assert.match(lines[0], /^replkit: .*p\.json: 3 invalid records, nothing was written:$/)
  assert.match(
    lines[1],
    /p\.json:\d+: record \[3\] \(sku "ELEC-0004"\): price must not be negative, got -1; stock must be an integer, got "x"/,
  )
  assert.match(lines[2], /record \[20\] .*category "toys" is not a known category/)
  assert.match(lines[3], /record \[28\]: sku must be a non-empty string/)
  assert.is(lines.length, 4, run.stderr)
  assert.is(await fingerprint(sql), before)
})

seed('new good records before a bad one are not written either', async () => {
  const before = await fingerprint(sql)
  const file = JSON.stringify([
    { ...products[0], sku: 'NEW-GOOD-1' },
    { ...products[1], sku: 'NEW-BAD', price: -5 },
  ])
  const run = await runScript('seed', ['--file', await tempFile('p.json', file)])
  assert.is(run.code, 1)
  assert.is(await fingerprint(sql), before)
  const [{ n }] = await sql`select count(*)::int as n from products where sku = 'NEW-GOOD-1'`
  assert.is(n, 0)
})

seed(
  'small batches: a file of many batches seeds like one, and a sku repeated batches apart is named with both places, nothing written',
  async () => {
    const categoriesFile = join(repoRoot, 'data/categories.json')
    const newOnes = Array.from({ length: 9 }, (_, i) => ({ ...products[i], sku: `BATCH-${i}` }))
    const changed = [...products.map(p => (p.sku === 'BOOK-0002' ? { ...p, price: 1.5 } : p)), ...newOnes]
    const result = await seedProducts(sql, {
      file: await tempFile('p.json', JSON.stringify(changed)),
      categoriesFile,
      dryRun: true,
      batchRecords: 4,
    })
    assert.equal(
      { found: result.found, created: result.created, updated: result.updated, skipped: result.skipped },
      { found: 39, created: 9, updated: 1, skipped: 29 },
    )

    const before = await fingerprint(sql)
    const repeated = [...newOnes, ...products, newOnes[2]]
    const file = await tempFile('p.json', JSON.stringify(repeated, null, 1))
    try {
      await seedProducts(sql, { file, categoriesFile, dryRun: false, batchRecords: 4 })
      assert.unreachable('the seed accepted a repeated sku')
    } catch (error) {
      assert.match(
        (error as Error).message,
        /p\.json:\d+: record \[39\] \(sku "BATCH-2"\): sku appears twice \(first at record \[2\]\)/,
      )
    }
    assert.is(await fingerprint(sql), before)
  },
)

seed(
  'statistics that take products for empty (analyzed while a seed was in flight) do not make the next seed quadratic',
  async () => {
    // A database of its own: the poison needs tables nothing else writes, with autovacuum off.
    const scratch = { ...config.primary, database: 'replkit_test_seed_stats' }
    const admin = { ...config.primary, database: 'postgres' }
    const categoriesFile = join(repoRoot, 'data/categories.json')
    await withNode(admin, s => s.unsafe(`drop database if exists ${scratch.database} with (force)`))
    await withNode(admin, s => s.unsafe(`create database ${scratch.database}`))
    try {
      await ensureSchema(scratch)
      await withNode(
        scratch,
        async s => {
          await s.unsafe('alter table public.products set (autovacuum_enabled = off)')
          const [{ id }] = await s`insert into public.categories (slug, name) values ('poison', 'poison') returning id`
          // One product already there: the seed matches and upserts (into an empty table it would COPY straight in).
          await s`with c as (insert into public.categories (slug, name) values ('kept', 'kept') returning id)
                  insert into public.products (sku, title, price, stock, category_id) select 'KEPT-1', 't', 1, 1, id from c`
          // Another session's ANALYZE sees an open seed's rows as in progress: reltuples 0 over many pages.
          const writer = await s.reserve()
          await writer`begin`
          await writer`insert into public.products (sku, title, price, stock, category_id) select 'P-' || g, 't', 1, 1, ${id} from generate_series(1, 20000) g`
          await s`analyze public.products`
          await writer`rollback`
          writer.release()
          await s`delete from public.categories where slug = 'poison'`
          const [poisoned] = await s`select relpages, reltuples from pg_class where oid = 'public.products'::regclass`
          assert.ok(poisoned.relpages > 0 && poisoned.reltuples <= 1, JSON.stringify(poisoned))

          const file = await tempFile('stats.json', '')
          await writeProductsJson(
            file,
            40_000,
            (await loadCategories(categoriesFile)).map(c => c.slug),
          )
          // Quadratic, the last of these batches alone joins 35,000 × 35,000 rows; linear, all take seconds.
          const deadline = new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('the seed did not finish in 60 s')), 60_000).unref(),
          )
          const result = await Promise.race([
            seedProducts(s, { file, categoriesFile, dryRun: false, batchRecords: 5000 }),
            deadline,
          ])
          assert.equal({ created: result.created, direct: result.direct }, { created: 40_000, direct: false })
          // The seed's own ANALYZE, committed with it: the planner knew the rows as they grew.
          const [after] = await s`select reltuples from pg_class where oid = 'public.products'::regclass`
          assert.ok(after.reltuples >= 20_000, `reltuples ${after.reltuples} after seeding 40,000 products`)
        },
        { statementTimeoutMs: 0, max: 2 },
      )
    } finally {
      await withNode(admin, s => s.unsafe(`drop database if exists ${scratch.database} with (force)`))
    }
  },
)

seed('an unreachable PRIMARY and a wrong password fail in one line naming the node', async () => {
  const down = await runScript('seed', [], { PRIMARY_URL: 'postgres://postgres:postgres@127.0.0.1:1/shop' })
  assert.is(down.code, 2, 'a node that cannot be used: exit 2, as check and replicate say it')
  assert.match(down.stderr.trim(), /^replkit: cannot reach primary \(127\.0\.0\.1:1\/shop\): connection refused/)
  const { host, port, database } = config.primary
  const wrong = await runScript('seed', [], {
    PRIMARY_URL: `postgres://postgres:not-the-password@${host}:${port}/${database}`,
  })
  assert.is(wrong.code, 2)
  assert.match(
    wrong.stderr.trim(),
    new RegExp(
      `^replkit: primary \\(${host}:${port}/${database}\\): password authentication failed for user "postgres"`,
    ),
  )
  assert.not.match(wrong.stderr + wrong.stdout, /not-the-password/)
})

seed.run()
