// The subscription options chosen for each pair of versions, and what converging an old
// subscription changes.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chooseOptions, optionChanges, withList } from '../../scripts/lib/replication/options.js'

const pair = (publisherNum: number, subscriberNum: number, sameColumnTypes = true) =>
  withList(chooseOptions({ publisherNum, subscriberNum, sameColumnTypes }))

test('each feature only where both ends have it', () => {
  assert.is(pair(150018, 150018), 'streaming = on, binary = false')
  assert.is(
    pair(150018, 180004),
    'streaming = on, binary = false',
    'a 15 PRIMARY: no parallel apply, binary copy or origin filter',
  )
  assert.is(pair(180004, 150018), 'streaming = on, binary = false', 'a 15 replica cannot parse the newer options')
  assert.is(pair(160014, 170010), 'streaming = parallel, binary = true, origin = none')
  assert.is(pair(170010, 180004), 'streaming = parallel, binary = true, origin = none, failover = true')
  assert.is(
    pair(180004, 180004, false),
    'streaming = parallel, binary = false, origin = none, failover = true',
    'binary is type-exact: not with a column type differing',
  )
})

test('every choice says why', () => {
  for (const o of chooseOptions({ publisherNum: 150018, subscriberNum: 180004, sameColumnTypes: true }))
    assert.ok(o.why.length > 20, o.name)
  const [streaming] = chooseOptions({ publisherNum: 150018, subscriberNum: 180004, sameColumnTypes: true })
  assert.match(streaming.why, /PRIMARY 15, replica 18/)
})

test('converging: options that can change while running are set; failover only reported', () => {
  const chosen = chooseOptions({ publisherNum: 180004, subscriberNum: 180004, sameColumnTypes: true })
  const old = optionChanges({ streaming: 'on', binary: false, origin: 'any', failover: false }, chosen)
  assert.is(withList(old.set), 'streaming = parallel, binary = true, origin = none')
  assert.is(withList(old.leftAlone), 'failover = true')
  const same = optionChanges({ streaming: 'parallel', binary: true, origin: 'none', failover: true }, chosen)
  assert.equal(same, { set: [], leftAlone: [] })
  const on15 = optionChanges(
    { streaming: 'off', binary: false, origin: null, failover: null },
    chooseOptions({ publisherNum: 150018, subscriberNum: 150018, sameColumnTypes: true }),
  )
  assert.is(withList(on15.set), 'streaming = on')
})

test.run()
