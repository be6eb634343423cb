// The compare cuts a table into blocks from its row estimate. Statistics lag a bulk load until
// autovacuum reaches the table (later still on a busy machine), so the estimate must follow the
// pages the table has now: a million rows estimated as a few hundred made one block too big to
// list, and check --diff named no key. (The density of a half-full first page reads low: within
// a factor of two is what the planner gets too.) Autovacuum is off on these tables so the stale state holds.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { planBlocks, tableShape } from '../../scripts/lib/compare/shape.js'
import { db } from './helpers.js'

const estimate = suite('compare: the row estimate after a bulk load')
const primary = db()
const ROWS = 100_000

estimate.after(async () => {
  await primary`drop table if exists replkit_test_analysed, replkit_test_never_analysed, replkit_test_parted`
  await primary.end()
})

estimate(
  'a table analysed while small, then loaded: estimated within a factor of two of its rows now, cut into small blocks',
  async () => {
    await primary`create table if not exists replkit_test_analysed (id bigint primary key, note text) with (autovacuum_enabled = false)`
    await primary`truncate replkit_test_analysed`
    await primary`insert into replkit_test_analysed select g, 'row ' || g from generate_series(1, 100) g`
    await primary`analyze replkit_test_analysed`
    await primary`insert into replkit_test_analysed select g, 'row ' || g from generate_series(101, ${ROWS}) g`
    const shape = await tableShape(primary, 'replkit_test_analysed')
    assert.ok(shape.estimatedRows > ROWS / 2 && shape.estimatedRows < ROWS * 2, String(shape.estimatedRows))
    const plan = await planBlocks(primary, shape)
    assert.ok(plan.kind === 'range' && plan.bounds.length > 400, JSON.stringify(plan).slice(0, 200))
  },
)

estimate('a table never analysed: never estimated below its rows', async () => {
  await primary`create table if not exists replkit_test_never_analysed (id bigint primary key) with (autovacuum_enabled = false)`
  await primary`truncate replkit_test_never_analysed`
  await primary`insert into replkit_test_never_analysed select generate_series(1, ${ROWS})`
  const [{ reltuples }] =
    await primary`select reltuples::float8 from pg_class where oid = 'replkit_test_never_analysed'::regclass`
  assert.ok(reltuples <= 0, `analysed after all: ${reltuples}`)
  const shape = await tableShape(primary, 'replkit_test_never_analysed')
  assert.ok(shape.estimatedRows >= ROWS, String(shape.estimatedRows))
})

estimate('a partitioned table (autovacuum never analyses one): the sum of its partitions, not zero', async () => {
  await primary`create table if not exists replkit_test_parted (id bigint primary key) partition by range (id)`
  for (const [name, from, to] of [
    ['replkit_test_parted_1', 1, ROWS / 2 + 1],
    ['replkit_test_parted_2', ROWS / 2 + 1, ROWS + 1],
  ] as const)
    await primary.unsafe(
      `create table if not exists ${name} partition of replkit_test_parted for values from (${from}) to (${to}) with (autovacuum_enabled = false)`,
    )
  await primary`truncate replkit_test_parted`
  await primary`insert into replkit_test_parted select generate_series(1, ${ROWS})`
  const shape = await tableShape(primary, 'replkit_test_parted')
  assert.ok(shape.estimatedRows >= ROWS, String(shape.estimatedRows))
})

estimate.run()
