import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import dotenv from 'dotenv'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig, loadEnv, parseNodeUrl, replicatedTable, repoRoot } from '../scripts/lib/config.js'

const base = {
  PRIMARY_URL: 'postgres://postgres:s3cret@127.0.0.1:54321/shop',
  REPLICA_URLS: 'postgres://postgres:s3cret@127.0.0.1:54322/shop, postgres://postgres:s3cret@127.0.0.1:54323/shop',
}

test('the example file gives the local three-node defaults', () => {
  // The example file alone: a worktree's own .env (other ports) must not change the defaults.
  const config = loadConfig(dotenv.parse(readFileSync(join(repoRoot, 'config/.env.example'))))
  assert.equal(
    [config.primary, ...config.replicas].map(n => `${n.name}:${n.port}`),
    ['primary:54321', 'replica1:54322', 'replica2:54323'],
  )
  assert.is(config.primary.database, 'shop')
  assert.is(config.publication, 'ecommerce_pub')
  assert.equal(config.tables, ['categories', 'products', 'inventory', 'orders', 'order_items', 'payments'])
})

test('the environment overrides the example file', () => {
  const config = loadConfig(loadEnv(undefined, { PRIMARY_URL: 'postgres://a:b@127.0.0.1:6000/other' }))
  assert.is(config.primary.port, 6000)
  assert.is(config.primary.database, 'other')
  assert.is(config.replicas.length, 2)
})

test('any number of replicas, named in order unless named in config', () => {
  const one = loadConfig({ ...base, REPLICA_URLS: 'postgres://u:p@127.0.0.1:1/db' })
  assert.equal(
    one.replicas.map(r => r.name),
    ['replica1'],
  )
  const named = loadConfig({ ...base, REPLICA_NAMES: 'eu,us' })
  assert.equal(
    named.replicas.map(r => r.name),
    ['eu', 'us'],
  )
})

test('labels never carry the password', () => {
  const node = parseNodeUrl('postgres://admin:p%40ss@db.example.com:5433/shop', 'primary', 'primary')
  assert.is(node.password, 'p@ss')
  assert.is(node.label, 'admin@db.example.com:5433/shop')
  assert.not.match(JSON.stringify({ label: node.label }), /p@ss/)
})

test('bad configuration is refused with a clear message', () => {
  assert.throws(() => loadConfig({ REPLICA_URLS: base.REPLICA_URLS }), /PRIMARY_URL is not set/)
  assert.throws(() => loadConfig({ ...base, PRIMARY_URL: 'mysql://x@h/db' }), /must start with postgres:\/\//)
  assert.throws(() => loadConfig({ ...base, PRIMARY_URL: 'postgres://x@h:5432' }), /names no database/)
  assert.throws(() => loadConfig({ ...base, REPLICA_NAMES: 'only-one' }), /1 names for 2 REPLICA_URLS/)
  assert.throws(
    () => loadConfig({ ...base, REPLICA_URLS: base.PRIMARY_URL }),
    /replica1 and primary are the same database/,
  )
  assert.throws(
    () => loadConfig({ ...base, REPLICA_NAMES: 'primary,replica2' }),
    /node names must be unique \(PRIMARY_NAME primary, REPLICA_NAMES primary,replica2\)/,
  )
  assert.is(
    loadConfig({ ...base, PG_VERSIONS: '15,18' }).pgVersionsProblem,
    'PG_VERSIONS has 2 versions for 3 nodes (primary, replica1, replica2): give one for all, or one per node',
  )
  assert.throws(
    () => loadConfig({ ...base, PG_VERSIONS: '14' }),
    /PG_VERSIONS: "14" is not a PostgreSQL major replkit runs \(15, 16, 17, 18\)/,
  )
})

test('PUBLICATION_TABLES: tables in any schema, as SQL spells them, each once; whole schemas read later', () => {
  const tables = (value: string) => loadConfig({ ...base, PUBLICATION_TABLES: value }).tables
  assert.equal(tables('products, Sales."Orders, EU" ,public.orders'), ['products', 'sales."Orders, EU"', 'orders'])
  assert.throws(() => tables('products,public.products'), /config: PUBLICATION_TABLES: names products twice/)
  const whole = loadConfig({ ...base, PUBLICATION_TABLES: 'products, sales.*, -sales.audit' })
  assert.equal([whole.tables, whole.publishedSchemas, whole.excludedTables], [['products'], ['sales'], ['sales.audit']])
  assert.ok(whole.schemaTablesUnread, 'its tables are read on the PRIMARY when a command runs')
  assert.is(replicatedTable(whole, 'SALES.orders', '--table'), 'sales.orders')
  assert.throws(
    () => replicatedTable(whole, 'sales.audit', '--table'),
    /--table sales\.audit: not a replicated table \(products, sales\.\*\)/,
  )
  assert.throws(() => tables('sales.*, -sales.x, -sales.x'), /names sales\.x twice/)
  assert.throws(() => tables('a.b.c'), /config: PUBLICATION_TABLES: table "a.b.c": not a table name/)
  assert.throws(() => tables(' , '), /config: PUBLICATION_TABLES: names no table/)
})

test('PG_VERSIONS: one major for every node, or one per node with the PRIMARY first', () => {
  assert.equal(loadConfig({ ...base, PG_VERSIONS: '17' }).localMajors, { primary: 17, replica1: 17, replica2: 17 })
  assert.equal(loadConfig({ ...base, PG_VERSIONS: '15, 17,18' }).localMajors, {
    primary: 15,
    replica1: 17,
    replica2: 18,
  })
  assert.equal(loadConfig(base).localMajors, { primary: 15, replica1: 15, replica2: 15 })
  const renamed = loadConfig({
    ...base,
    PRIMARY_NAME: 'replica1',
    REPLICA_NAMES: 'primary,replica2',
    PG_VERSIONS: '18,15,15',
  })
  assert.is(renamed.primary.name, 'replica1')
  assert.equal(renamed.localMajors, { replica1: 18, primary: 15, replica2: 15 })
})

test.run()
