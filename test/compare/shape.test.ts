import { readdir, readFile } from 'node:fs/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { differingColumns } from '../../scripts/lib/compare/columns.js'
import {
  type BlockPlan,
  type TableShape,
  blockCount,
  outgrown,
  displayKey,
  fill,
  rangeKeyed,
} from '../../scripts/lib/compare/shape.js'

const uuidKeyed: TableShape = {
  table: 'products',
  key: [{ name: 'id', type: 'uuid', fixed: true }],
  columns: [
    { name: 'id', generated: false },
    { name: 'price', generated: false },
  ],
  estimatedRows: 10_000_000,
  rowFilter: null,
  inPart: false,
}
const composite: TableShape = {
  table: 'sales."order lines"',
  key: [
    { name: 'order_no', type: 'integer', fixed: true },
    { name: 'sku', type: 'text', fixed: false },
  ],
  columns: [
    { name: 'order_no', generated: false },
    { name: 'sku', generated: false },
    { name: 'Qty', generated: false },
  ],
  estimatedRows: 10,
  rowFilter: null,
  inPart: false,
}

test('a one-column fixed-width key is split into key ranges; composite and text keys by hash', () => {
  assert.ok(rangeKeyed(uuidKeyed))
  assert.not.ok(rangeKeyed(composite))
  assert.not.ok(rangeKeyed({ ...uuidKeyed, key: [{ name: 'sku', type: 'text', fixed: false }] }))
})

test('about 150 rows per block, at least one, at most 65,536', () => {
  assert.is(blockCount(0), 1)
  assert.is(blockCount(30), 1)
  assert.is(blockCount(1_000_000), 6667)
  assert.is(blockCount(10_000_000), 65_536)
  assert.is(blockCount(1e9), 65_536)
})

test('a table counted at far more rows than its blocks were cut for is planned again; near the estimate, or at the most blocks, it is not', () => {
  const one = { kind: 'range' as const, bounds: [] }
  assert.ok(outgrown(one, 1_000_030))
  assert.not.ok(outgrown(one, 300))
  assert.not.ok(outgrown({ kind: 'hash', buckets: 8192 }, 1_000_000))
  assert.not.ok(outgrown({ kind: 'hash', buckets: 65_536 }, 1e9))
  assert.ok(outgrown({ kind: 'hash', buckets: 64 }, 1_000_000))
})

test('every compare query has each placeholder filled, for both kinds of blocks', async () => {
  const dir = 'sql/compare'
  for (const file of await readdir(dir)) {
    const text = await readFile(`${dir}/${file}`, 'utf8')
    const plans: [TableShape, BlockPlan][] = [
      [uuidKeyed, { kind: 'range', bounds: [] }],
      [composite, { kind: 'hash', buckets: 8 }],
    ]
    for (const [shape, plan] of plans) {
      assert.not.match(fill(shape, plan, text), /\{\{/, `${file} (${plan.kind})`)
    }
  }
})

test("rows are hashed over the PRIMARY's column list, quoted where SQL needs it, not the physical row", () => {
  const text = fill(composite, { kind: 'hash', buckets: 8 }, '{{table}} {{row}} {{block}} {{keyjson}}')
  assert.is(
    text,
    'sales."order lines" row(r.order_no, r.sku, r."Qty")::text (hashtextextended(row(r.order_no, r.sku)::text, 0) & $1::int8)::int ' +
      "jsonb_build_object('order_no', r.order_no, 'sku', r.sku)",
  )
  assert.is(fill(uuidKeyed, null, '{{table}}'), 'public.products')
})

test('keys read as the operator knows them', () => {
  assert.is(displayKey(uuidKeyed, '{"id": "0a3e…"}'), '0a3e…')
  assert.is(displayKey(composite, '{"sku": "A-1", "order_no": 7}'), '(7, A-1)')
})

test("the columns that differ, NULLs included, in the PRIMARY's order", () => {
  assert.equal(
    differingColumns(
      ['id', 'price', 'note', 'attrs'],
      '{"id": "1", "price": "9.50", "note": null, "attrs": "{\\"a\\": 1}"}',
      '{"id": "1", "price": "9.5", "note": null, "attrs": "{\\"a\\": 2}"}',
    ),
    ['price', 'attrs'],
  )
  assert.equal(differingColumns(['id', 'note'], '{"id": "1", "note": null}', '{"id": "1", "note": ""}'), ['note'])
})

test.run()
