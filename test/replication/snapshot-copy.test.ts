// The statements of the snapshot copy, as --dry-run prints them and psql runs them: quoted
// identifiers, the PRIMARY's column list on both ends, binary only when asked.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { copyStatements, createSlotStatement } from '../../scripts/lib/replication/snapshot-copy.js'

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

statements.run()
