import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chooseSync } from '../../scripts/lib/sync/choose.js'

const state = { forceCopy: false, blocked: null, differing: { products: 0, inventory: 0 }, limit: 10_000 }

test('every table equal: nothing to do, and --copy is named', () => {
  const c = chooseSync(state)
  assert.is(c.method, 'none')
  assert.match(c.why, /nothing to copy; --copy copies it again anyway/)
})

test('a few differing rows on a streaming replica: only those are repaired', () => {
  assert.equal(chooseSync({ ...state, differing: { products: 3, inventory: 2 } }), {
    method: 'repair',
    why: '5 rows differ (products 3, inventory 2): only those are repaired, nothing is copied again',
  })
})

test('many differing rows, too many to list, --copy, or a broken subscription: a copy, with the reason', () => {
  assert.match(
    chooseSync({ ...state, differing: { products: 10_001 } }).why,
    /^10001 rows differ, more than 10000: copying every table again/,
  )
  assert.is(chooseSync({ ...state, differing: { products: null } }).method, 'copy')
  assert.equal(chooseSync({ ...state, forceCopy: true }), {
    method: 'copy',
    why: '--copy: every table copied again',
    copyBecause: '--copy',
  })
  assert.equal(chooseSync({ ...state, blocked: 'sub_replica1 is not streaming' }), {
    method: 'copy',
    why: 'sub_replica1 is not streaming: a repair needs it, so every table is copied again',
    copyBecause: 'sub_replica1 is not streaming',
  })
  // What make sync --table names when it refuses a copy of one table.
  assert.is(chooseSync({ ...state, differing: { products: 10_001 } }).copyBecause, '10001 rows differ, more than 10000')
})

test.run()
