import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { planBatch, repairStatements } from '../../scripts/lib/repair/batch.js'

const row = (hash: string, json: string) => ({ hash, row: json })

test('each key of a batch: delete what only the replica has, update what differs, insert what it lacks, leave the rest', () => {
  const primary = new Map([
    ['{"id": 1}', row('h1', '{"id": 1, "v": "a"}')],
    ['{"id": 2}', row('h2', '{"id": 2, "v": "b"}')],
    ['{"id": 4}', row('h4', '{"id": 4}')],
  ])
  const replica = new Map([
    ['{"id": 1}', row('h1', '{"id": 1, "v": "a"}')],
    ['{"id": 2}', row('OLD', '{"id": 2, "v": "old"}')],
    ['{"id": 3}', row('h3', '{"id": 3}')],
  ])
  const plan = planBatch(['{"id": 1}', '{"id": 2}', '{"id": 3}', '{"id": 4}', '{"id": 5}'], primary, replica)
  assert.equal(plan.deleteKeys, ['{"id": 3}'])
  assert.equal(plan.update, ['{"id": 2, "v": "b"}'])
  assert.equal(plan.insert, ['{"id": 4}'])
  // Saved before they are overwritten: the replica's own versions.
  assert.equal(plan.overwritten, [
    { key: '{"id": 2}', row: '{"id": 2, "v": "old"}', action: 'update' },
    { key: '{"id": 3}', row: '{"id": 3}', action: 'delete' },
  ])
  assert.is(plan.alreadyRight, 2)
})

test('the statements carry the rows as standard SQL literals, deletes first (a key freed for an insert)', () => {
  const t = { del: 'DELETE {{rows}}', upd: 'UPDATE {{rows}}', ins: 'INSERT {{rows}}' }
  assert.equal(repairStatements(t, { deleteKeys: ['{"id": 3}'], update: [], insert: ['{"id": 4, "v": "it\'s"}'] }), [
    { action: 'delete', sql: 'DELETE \'[{"id": 3}]\'' },
    { action: 'insert', sql: 'INSERT \'[{"id": 4, "v": "it\'\'s"}]\'' },
  ])
  assert.equal(repairStatements(t, { deleteKeys: [], update: [], insert: [] }), [])
})

test.run()
