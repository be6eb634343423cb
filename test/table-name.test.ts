// Tables as replkit names them: PostgreSQL's regclass text with search_path = public, from any
// spelling SQL accepts; SQL text always schema-qualified; file names from any quoted name.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { canonicalTable, fileNameOf, parseTableName, quoteIdent, sqlName } from '../scripts/lib/table-name.js'

test('one name per table, however it is spelled: unquoted folds to lower case, quoted keeps case and spaces', () => {
  assert.equal(
    [
      'products',
      'PRODUCTS',
      'public.products',
      ' Public . "products" ',
      'sales.orders',
      'Sales."Orders EU"',
      '"a.b"',
    ].map(canonicalTable),
    ['products', 'products', 'products', 'products', 'sales.orders', 'sales."Orders EU"', '"a.b"'],
  )
  assert.equal(parseTableName('sales."Orders ""EU"""'), { schema: 'sales', name: 'Orders "EU"' })
})

test('a reserved word is quoted as quote_ident quotes it; an unreserved one is not', () => {
  assert.equal(['order', 'user', 'system_user', 'json_table', 'name', 'text'].map(quoteIdent), [
    '"order"',
    '"user"',
    '"system_user"',
    '"json_table"',
    'name',
    'text',
  ])
})

test('SQL text names the schema, whatever the search_path', () => {
  assert.is(sqlName('products'), 'public.products')
  assert.is(sqlName('sales."Orders EU"'), 'sales."Orders EU"')
})

test('what is not a table name is refused with the name', () => {
  for (const bad of ['', 'a.b.c', '"open', 'sales.', '1abc', 'a b'])
    assert.throws(() => parseTableName(bad), /not a table name/, bad)
})

test('a file named after a table keeps no path separators, quotes or spaces', () => {
  assert.is(fileNameOf('sales."Orders/EU"'), 'sales._Orders_EU_')
  assert.is(fileNameOf('products'), 'products')
})

test.run()
