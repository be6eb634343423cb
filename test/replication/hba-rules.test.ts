import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { admission } from '../../scripts/lib/replication/hba-rules.js'
import { LOCAL_HBA } from '../checks/facts-fixture.js'

const req = { database: 'shop', user: 'replicator', address: '127.0.0.1' }
const without = (...lines: number[]) => LOCAL_HBA.filter(r => !lines.includes(r.line))

test('the first line that applies decides, as PostgreSQL reads pg_hba.conf', () => {
  assert.equal(admission(LOCAL_HBA, req), { result: 'admits', line: 8 })
  // The replication role's line removed: its reject line is the first to apply.
  assert.equal(admission(without(8), req), { result: 'rejects', line: 9 })
  // Both removed: the general loopback line admits it (host matches TLS and plain TCP).
  assert.equal(admission(without(8, 9), req), { result: 'admits', line: 11 })
  // Nothing applies: PostgreSQL's "no pg_hba.conf entry".
  assert.equal(admission(without(8, 9, 11), req), { result: 'rejects', line: null })
  // Another address is outside 127.0.0.1/32.
  assert.equal(admission(without(9, 11), { ...req, address: '10.0.0.7' }), { result: 'rejects', line: null })
})

test('a line that cannot be decided for certain (a +group, a host name) stops with "unknown", never a wrong verdict', () => {
  const group = { ...LOCAL_HBA[1], line: 7, users: ['+replicators'], method: 'reject' }
  assert.equal(admission([group, ...without(8)], req), { result: 'unknown', line: 7 })
  const named = { ...LOCAL_HBA[1], line: 7, address: 'replica1.example', netmask: null }
  assert.equal(admission([named, ...without(8)], req), { result: 'unknown', line: 7 })
  // The "replication" keyword matches physical replication only, not a logical walsender.
  const physical = { ...LOCAL_HBA[1], line: 7, database: ['replication'], method: 'reject' }
  assert.equal(admission([physical, ...LOCAL_HBA], req), { result: 'admits', line: 8 })
})

test.run()
