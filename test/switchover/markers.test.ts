// The fence's marker, as read back from pg_db_role_setting: only a well-formed one says a switch
// stopped part-way (a wrong reading would resume or undo a switch that never happened).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseMarker } from '../../scripts/lib/switchover/markers.js'

test("a database's settings with replkit's marker: the switch's from, to and time", () => {
  const marker = { from: 'primary', to: 'replica1', at: '2026-12-06T08:00:00Z' }
  assert.equal(
    parseMarker(['default_transaction_read_only=on', `replkit.switchover=${JSON.stringify(marker)}`]),
    marker,
  )
})

test('no marker, a marker that is not JSON, or one without from and to: no switch in progress', () => {
  assert.is(parseMarker(null), null)
  assert.is(parseMarker(['default_transaction_read_only=on']), null)
  assert.is(parseMarker(['replkit.switchover={not json']), null)
  assert.is(parseMarker(['replkit.switchover={"from":"primary"}']), null)
})

test.run()
