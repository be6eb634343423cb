import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { copiesWithin } from '../../scripts/lib/replication/wal-senders.js'

test('copies at once: the walsenders left after every copy keeps one, each in flight needs one more', () => {
  // Two replicas, PostgreSQL's default of 10: both at once.
  assert.is(copiesWithin(10, 0, 2), 2)
  // Ten replicas, 12 (a replica each and two spare): two at a time, peak 10 + 2 = 12.
  assert.is(copiesWithin(12, 0, 10), 2)
  // A walsender already in use (a physical standby, pg_receivewal): one fewer.
  assert.is(copiesWithin(12, 1, 10), 1)
  assert.is(copiesWithin(4, 1, 2), 1)
  // None to spare: one at a time, and the server's own error says what is short.
  assert.is(copiesWithin(10, 5, 10), 1)
  assert.is(copiesWithin(10, 0, 0), 1)
})

test.run()
