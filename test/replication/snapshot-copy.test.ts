// The statements of the snapshot copy, as --dry-run prints them and psql runs them: quoted
// identifiers, the PRIMARY's column list on both ends, binary only when asked.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { copyStatements, createSlotStatement } from '../../scripts/lib/replication/snapshot-copy.js'

const statements = suite('snapshot copy statements')

statements('a binary copy names the same columns on both ends, quoted', () => {
  const q = copyStatements({ table: 'order_items', columns: ['id', 'order_id', 'Unit "price"'] }, true)
  assert.is(q.out, 'COPY public.order_items (id, order_id, "Unit ""price""") TO STDOUT (FORMAT binary)')
  assert.is(q.in, 'COPY public.order_items (id, order_id, "Unit ""price""") FROM STDIN (FORMAT binary)')
})

statements('a text copy has no FORMAT option', () => {
  const q = copyStatements({ table: 'products', columns: ['id'] }, false)
  assert.is(q.out, 'COPY public.products (id) TO STDOUT')
  assert.is(q.in, 'COPY public.products (id) FROM STDIN')
})

statements("the slot is created with an exported snapshot, under the subscription's name", () => {
  assert.is(
    createSlotStatement('sub_replica1'),
    `CREATE_REPLICATION_SLOT sub_replica1 LOGICAL pgoutput (SNAPSHOT 'export')`,
  )
})

statements.run()
