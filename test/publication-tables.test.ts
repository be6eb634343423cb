// PUBLICATION_TABLES as CREATE PUBLICATION's table list: tables in any schema, a column list and
// a row filter per table, split only at the commas between tables; what it is not, refused.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  parsePublicationTables,
  publicationObjects,
  splitTopLevel,
  withSchemaTables,
} from '../scripts/lib/publication-tables.js'

const VALUE = `categories, Sales."Order Lines" (id, "Sku", qty), orders WHERE (region = 'eu, us' OR (total > 0))`

test('commas inside quotes and parentheses belong to their table', () => {
  assert.equal(splitTopLevel(VALUE), [
    'categories',
    'Sales."Order Lines" (id, "Sku", qty)',
    `orders WHERE (region = 'eu, us' OR (total > 0))`,
  ])
})

test('each table keyed by its regclass text, with its column list and row filter as written', () => {
  const parsed = parsePublicationTables(VALUE)
  assert.equal(parsed.tables, ['categories', 'sales."Order Lines"', 'orders'])
  assert.equal(parsed.parts, {
    'sales."Order Lines"': { columns: ['id', 'Sku', 'qty'], rowFilter: null },
    orders: { columns: null, rowFilter: `region = 'eu, us' OR (total > 0)` },
  })
  assert.is(
    publicationObjects(parsed),
    `public.categories, sales."Order Lines" (id, "Sku", qty), public.orders WHERE (region = 'eu, us' OR (total > 0))`,
  )
})

test('what is not a table list is refused, naming the table', () => {
  const refused: [string, RegExp][] = [
    ['pg_catalog.*', /pg_catalog\.\*: a system schema is never published/],
    ['a.b.*', /a\.b\.\*: write schema\.\*/],
    ['sales.*, Sales.*', /names sales\.\* twice/],
    ['orders, -orders', /names orders and excludes it/],
    ['sales.*, -crm.audit', /-crm\.audit excludes a table no schema\.\* item publishes/],
    ['-sales.audit', /-sales\.audit excludes a table no schema\.\* item publishes/],
    ['orders WHERE region = 1', /orders: "WHERE region = 1" is neither a column list nor WHERE \(expression\)/],
    ['orders ()', /orders's column list: column names/],
    ['orders (a.b)', /orders's column list: column names/],
    ['orders WHERE ()', /orders's row filter is empty/],
    ['orders (id', /unbalanced parentheses/],
    [`orders WHERE (x = 'a)`, /unbalanced quotes/],
    ['orders, ORDERS', /names orders twice/],
  ]
  for (const [value, message] of refused) assert.throws(() => parsePublicationTables(value), message, value)
})

test('a whole schema stands for its tables on the PRIMARY, after the ones named, less the exclusions', () => {
  const parsed = parsePublicationTables('products, "Sales".*, crm.*, -"Sales".audit, crm.leads WHERE (region = 1)')
  assert.equal(parsed.tables, ['products', 'crm.leads'])
  assert.equal(parsed.schemas, ['Sales', 'crm'])
  assert.equal(parsed.excluded, ['"Sales".audit'])
  const found = [
    { schema: 'crm', table: 'crm.leads' },
    { schema: 'crm', table: 'crm.accounts' },
    { schema: 'Sales', table: '"Sales".orders' },
    { schema: 'Sales', table: '"Sales".audit' },
    { schema: 'sales', table: 'sales.lower' },
  ]
  assert.equal(withSchemaTables(parsed, found), ['products', 'crm.leads', '"Sales".orders', 'crm.accounts'])
  assert.equal(parsed.parts, { 'crm.leads': { columns: null, rowFilter: 'region = 1' } })
})

test.run()
