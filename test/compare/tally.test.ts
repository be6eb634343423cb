import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LIST_LIMIT, Tally, judge, notNarrowed } from '../../scripts/lib/compare/tally.js'

test('a unit every replica agrees on is equal at once', () => {
  assert.is(judge({ p: 'a', r: ['a', 'a'] }, undefined, false), 'equal')
})

test('a unit that differs when first seen is read again, never reported', () => {
  assert.is(judge({ p: 'a', r: ['b', 'a'] }, undefined, false), 'pending')
})

test('a difference that held still on both sides for two rounds is proven', () => {
  assert.is(judge({ p: 'a', r: ['b', 'a'] }, { p: 'a', r: ['b', 'a'] }, false), 'different')
})

test('a PRIMARY that changed the unit between rounds keeps it pending (a live write)', () => {
  assert.is(judge({ p: 'a2', r: ['a', 'a2'] }, { p: 'a', r: ['a0', 'a'] }, false), 'pending')
})

test('a replica that changed the unit between rounds keeps it pending (it applied a write in the window)', () => {
  assert.is(judge({ p: 'a', r: ['c', 'a'] }, { p: 'a', r: ['b', 'a'] }, false), 'pending')
})

test('a missing row (undefined) that stays missing while the PRIMARY holds still is proven', () => {
  assert.is(judge({ p: 'a', r: [undefined] }, { p: 'a', r: [undefined] }, false), 'different')
  assert.is(judge({ p: undefined, r: ['x'] }, { p: undefined, r: ['x'] }, false), 'different')
})

test('rows read from a block that held still since the round before are proven at once', () => {
  assert.is(judge({ p: 'a', r: ['b'] }, undefined, true), 'different')
  assert.is(judge({ p: 'a', r: ['a'] }, undefined, true), 'equal')
})

test('a row written again in every round: equal once the replica held a version the PRIMARY held in some round', () => {
  const history = { p: new Set(['v5', 'v7']), r: [new Set(['v6', 'v7'])] }
  assert.is(judge({ p: 'v9', r: ['v10'] }, { p: 'v7', r: ['v8'] }, false, history), 'equal')
  const never = { p: new Set(['v5', 'v7']), r: [new Set(['v1'])] }
  assert.is(judge({ p: 'v9', r: ['v1'] }, { p: 'v7', r: ['v1'] }, false, never), 'pending')
})

test('differing blocks left unread row by row are "not narrowed" when few enough to list, "too many" past the limit', () => {
  assert.ok(notNarrowed({ differences: null, tooManyRows: 300 }))
  assert.not.ok(notNarrowed({ differences: null, tooManyRows: LIST_LIMIT + 1 }))
  assert.not.ok(notNarrowed({ differences: [], tooManyRows: null }))
})

test("the read of every block gives each node's rows and hash sum: what check --diff reports as the table's checksums", () => {
  const tally = new Tally()
  const part = { allBlocks: true, blocks: [], rowBlocks: [], keys: [] }
  const p = new Map([
    ['b0', '150:-5'],
    ['b1', '2:9223372036854775807'],
  ])
  const r = [new Map([['b0', '150:-5']]), new Map(p)]
  tally.record({ part, p, r, pAfter: null }, { pendingBlocks: [], keys: [] })
  assert.equal(tally.totals, [
    { rows: 152, checksum: '9223372036854775802' },
    { rows: 150, checksum: '-5' },
    { rows: 152, checksum: '9223372036854775802' },
  ])
  assert.is(tally.rowsSummed(), 152)
})

test.run()
