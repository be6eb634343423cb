import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { eachWithin, settledWithin } from '../scripts/lib/concurrency.js'

const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

test('settledWithin runs at most so many at once and keeps each outcome in order', async () => {
  let running = 0
  let most = 0
  const results = await settledWithin([5, 1, 3, 2, 4], 2, async n => {
    running++
    most = Math.max(most, running)
    await new Promise(resolve => setTimeout(resolve, n * 3))
    running--
    if (n === 3) throw new Error('three')
    return n * 10
  })
  assert.is(most, 2)
  assert.equal(
    results.map(r => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
    [50, 10, 'three', 20, 40],
  )
})

test('eachWithin: after a failure no item starts, the running ones finish, then the first failure is thrown', async () => {
  const started: number[] = []
  const finished: number[] = []
  let running = 0
  let most = 0
  const work = eachWithin([1, 2, 3, 4, 5, 6], 2, async n => {
    started.push(n)
    running++
    most = Math.max(most, running)
    await pause(n === 1 ? 5 : 30)
    running--
    finished.push(n)
    if (n === 1) throw new Error('one failed')
    if (n === 2) throw new Error('two failed later')
  })
  await work.then(
    () => assert.unreachable('a failure must be thrown'),
    (error: Error) => assert.is(error.message, 'one failed'),
  )
  assert.is(most, 2)
  // 1 failed while 2 ran: 2 finished before the throw, and nothing after it started.
  assert.equal(started, [1, 2])
  assert.equal(finished.sort(), [1, 2])
  assert.is(running, 0, 'nothing is still at work when it throws')
})

test('eachWithin runs every item when none fails, at most so many at once', async () => {
  const done: number[] = []
  let running = 0
  let most = 0
  await eachWithin([3, 1, 2], 2, async n => {
    running++
    most = Math.max(most, running)
    await pause(n * 3)
    running--
    done.push(n)
  })
  assert.equal(done.sort(), [1, 2, 3])
  assert.is(most, 2)
})

test.run()
