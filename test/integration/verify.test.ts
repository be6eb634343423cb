// The verify suites must be able to fail: each broken state fails exactly the assertions about it.
import { spawn } from 'node:child_process'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { connect } from '../../scripts/lib/db.js'
import { poll } from '../../scripts/lib/wait.js'
import { config, failures, query, replicated, runScript, verify } from './helpers.js'

const suites = suite('verify can fail')
const [replica1, replica2] = config.replicas

suites.before(async () => {
  await replicated()
})

suites('on a healthy cluster every suite passes, and make verify exits 0', async () => {
  const { code, report } = await verify(['publication', 'subscription', 'seed', 'rows', 'queries', 'canary'])
  assert.equal(failures(report), [])
  assert.is(code, 0)
  assert.ok(report.passed >= 50, `only ${report.passed} assertions ran`)
})

suites('a disabled subscription fails its subscription and canary assertions, on that replica only', async () => {
  await query(replica2, 'alter subscription sub_replica2 disable')
  // DISABLE is asynchronous: the apply worker notices and exits shortly after.
  const stopped = await poll(
    async () =>
      (await query(replica2, `select 1 from pg_stat_subscription where subname = 'sub_replica2' and pid is not null`))
        .length === 0 || undefined,
    10_000,
  )
  assert.ok(stopped, 'the apply worker did not stop')
  try {
    const { code, report } = await verify(['subscription', 'canary'])
    assert.is(code, 2)
    assert.equal(
      failures(report),
      [
        'canary@replica2: Canary REPLKIT-CANARY-verify inserted on the PRIMARY is visible on this replica.',
        'canary@replica2: The canary arrived within 2 s of its insert on the PRIMARY.',
        'subscription@replica2: An apply worker is running for sub_replica2.',
        'subscription@replica2: Subscription sub_replica2 is enabled.',
      ].map(f =>
        f.replace(
          'REPLKIT-CANARY-verify',
          report.suites.find(s => s.suite === 'canary' && s.node === 'replica2')!.failures[0].split(' ')[1],
        ),
      ),
    )
  } finally {
    await query(replica2, 'alter subscription sub_replica2 enable')
  }
})

suites("a row changed on a replica fails that replica's content check, not its counts", async () => {
  const [before] = await query<{ price: string; updated_at: string }>(
    replica1,
    `select price::text, updated_at::text from products where sku = 'BOOK-0001'`,
  )
  await query(replica1, `update products set price = price + 1 where sku = 'BOOK-0001'`)
  try {
    const { code, report } = await verify(['rows'])
    assert.is(code, 2)
    assert.equal(failures(report), [
      'rows@replica1: products holds the same row contents as on the PRIMARY (checksum).',
    ])
  } finally {
    // Put the row back exactly, without the local updated_at trigger firing.
    const sql = connect(replica1)
    await sql.begin(async tx => {
      await tx`set local session_replication_role = replica`
      await tx`update products set price = ${before.price}::text::numeric, updated_at = ${before.updated_at}::text::timestamptz where sku = 'BOOK-0001'`
    })
    await sql.end()
  }
  const { report } = await verify(['rows'])
  assert.equal(failures(report), [])
})

suites(
  'the lag suite gives the same verdict with the CPU saturated: 5 runs beside two busy loops, 0 failures',
  async () => {
    const busy = [0, 1].map(() => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }))
    try {
      for (let run = 1; run <= 5; run++) {
        const { code, report } = await verify(['lag'])
        assert.equal(failures(report), [], `run ${run}`)
        assert.is(code, 0)
      }
    } finally {
      for (const child of busy) child.kill()
    }
  },
)

suites(
  'a replica whose apply is blocked for 3 s fails the lag suite every time (2 of 2), the other replica passes',
  async () => {
    for (let run = 1; run <= 2; run++) {
      const verdict = verify(['lag'])
      // Inside the 10 s load: the lock holds the apply worker's inserts into products on replica1.
      await new Promise(resolve => setTimeout(resolve, 4000))
      const locker = connect(replica1)
      await locker.begin(async tx => {
        await tx`lock table products in access exclusive mode`
        await new Promise(resolve => setTimeout(resolve, 3000))
      })
      await locker.end()
      const { code, report } = await verdict
      assert.is(code, 2, `run ${run}`)
      const failed = failures(report)
      assert.ok(failed.length > 0 && failed.every(f => f.startsWith('lag@replica1: ')), failed.join('\n'))
      assert.ok(
        failed.some(f => /95th percentile|2 s to become visible/.test(f)),
        failed.join('\n'),
      )
    }
  },
)

suites('before replication is set up, the publication and subscription suites fail', async () => {
  await runScript('rollback', ['--yes'])
  try {
    const { code, report } = await verify(['publication', 'subscription'])
    assert.is(code, 2)
    const failed = failures(report)
    assert.ok(failed.includes('publication@primary: Publication ecommerce_pub exists.'), failed.join('\n'))
    assert.ok(failed.includes('subscription@replica1: Subscription sub_replica1 exists on this replica.'))
    assert.ok(failed.includes('subscription@replica2: Subscription sub_replica2 is enabled.'))
    assert.not.ok(
      failed.some(f => f.includes('wal_level')),
      'wal_level is still logical after a rollback',
    )
  } finally {
    await replicated()
  }
})

suites.run()
