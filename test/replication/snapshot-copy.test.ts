// The statements of the snapshot copy, as --dry-run prints them and psql runs them: quoted
// identifiers, the PRIMARY's column list on both ends, binary only when asked; a big table cut
// into ranges of blocks, the last one open-ended.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { copyStatements, createSlotStatement } from '../../scripts/lib/replication/copy-statements.js'
import { cutIntoParts } from '../../scripts/lib/replication/copy-parts.js'

const statements = suite('snapshot copy statements')

statements('a binary copy names the same columns on both ends, quoted', () => {
  const q = copyStatements({ table: 'order_items', columns: ['id', 'order_id', 'Unit "price"'], rowFilter: null }, true)
  assert.is(q.out, 'COPY public.order_items (id, order_id, "Unit ""price""") TO STDOUT (FORMAT binary)')
  assert.is(q.in, 'COPY public.order_items (id, order_id, "Unit ""price""") FROM STDIN (FORMAT binary)')
})

statements('a text copy has no FORMAT option', () => {
  const q = copyStatements({ table: 'products', columns: ['id'], rowFilter: null }, false)
  assert.is(q.out, 'COPY public.products (id) TO STDOUT')
  assert.is(q.in, 'COPY public.products (id) FROM STDIN')
})

statements(
  "a table published in part: its listed columns of the rows its row filter keeps, as the subscription's own copy",
  () => {
    const q = copyStatements({ table: 'sales."Order Lines"', columns: ['id', 'Sku'], rowFilter: '(id > 10)' }, false)
    assert.is(q.out, 'COPY (SELECT id, "Sku" FROM sales."Order Lines" WHERE ((id > 10))) TO STDOUT')
    assert.is(q.in, 'COPY sales."Order Lines" (id, "Sku") FROM STDIN')
  },
)

statements("the slot is created with an exported snapshot, under the subscription's name", () => {
  assert.is(
    createSlotStatement('sub_replica1'),
    `CREATE_REPLICATION_SLOT sub_replica1 LOGICAL pgoutput (SNAPSHOT 'export')`,
  )
})

statements('a big table is cut into ranges of blocks, read by a TID range scan; the last range has no end', () => {
  const big = { table: 'order_items', bytes: 300 * 8192, blocks: 300, columns: ['id'], rowFilter: 'qty > 1' }
  const small = { table: 'categories', bytes: 3 * 8192, blocks: 3, columns: ['id'], rowFilter: null }
  const parts = cutIntoParts([big, small], 100 * 8192)
  assert.equal(
    parts.map(p => [p.table.table, p.part, p.parts, p.range]),
    [
      ['order_items', 0, 3, { first: 0, end: 100 }],
      ['order_items', 1, 3, { first: 100, end: 200 }],
      ['order_items', 2, 3, { first: 200, end: null }],
      ['categories', 0, 1, null],
    ],
  )
  assert.is(
    copyStatements(big, true, parts[1].range).out,
    `COPY (SELECT id FROM public.order_items WHERE ctid >= '(100,0)'::tid AND ctid < '(200,0)'::tid AND (qty > 1)) TO STDOUT (FORMAT binary)`,
  )
  assert.is(
    copyStatements(big, false, parts[2].range).out,
    `COPY (SELECT id FROM public.order_items WHERE ctid >= '(200,0)'::tid AND (qty > 1)) TO STDOUT`,
  )
  assert.is(copyStatements(small, false, null).out, 'COPY public.categories (id) TO STDOUT')
})

statements.run()
