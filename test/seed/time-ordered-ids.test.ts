// The seed's product ids into empty tables: UUIDv7, each greater than the last as PostgreSQL
// compares uuid, whatever the clock does.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { timeOrderedIds } from '../../scripts/lib/seed/time-ordered-ids.js'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** uuid's order in PostgreSQL is its bytes' order, which is the order of its lower-case hex. */
const increasing = (ids: string[]) => ids.every((id, i) => i === 0 || ids[i - 1] < id)

test('each id is a UUIDv7 carrying the millisecond it was made in', () => {
  const next = timeOrderedIds(() => 0x0193_a1b2_c3d4)
  const id = next()
  assert.match(id, UUID_V7)
  assert.is(id.slice(0, 13), '0193a1b2-c3d4')
})

test('ids made in one millisecond still increase, past the 4,096 the counter holds', () => {
  const next = timeOrderedIds(() => 1_000)
  const ids = Array.from({ length: 10_000 }, next)
  assert.ok(increasing(ids))
  assert.is(new Set(ids).size, ids.length)
  assert.ok(ids.every(id => UUID_V7.test(id)))
})

test('a clock that steps back does not make an id smaller than the last', () => {
  const times = [5_000, 5_001, 4_000, 4_000, 5_002]
  const next = timeOrderedIds(() => times.shift()!)
  assert.ok(increasing(Array.from({ length: 5 }, next)))
})

test('two sources in the same millisecond make different ids (their random bits)', () => {
  const a = timeOrderedIds(() => 7)
  const b = timeOrderedIds(() => 7)
  assert.is.not(a(), b())
})

test.run()
