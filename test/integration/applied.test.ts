// "Applied" means committed on the replica: one large transaction on the PRIMARY (streamed to the
// subscribers, which confirm streamed changes as they spool them), and make check is never OK
// while a replica still lacks its rows. replica1's apply is held by a session that locks orders
// there, so the state lasts however fast the machine is: check must name that session, and its
// printed fix, run as printed, must let the rows in.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import type { CheckReport } from '../../scripts/lib/checks/report.js'
import { connect } from '../../scripts/lib/db.js'
import { config, db, runScript, until } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const applied = suite('applied means committed')
const primary = db()
const replicas = config.replicas.map(r => db(r))
const ROWS = 300_000
const EMAIL = 'replkit-test-applied@example.com'

applied.before(async () => {
  await ensureReplication()
  await waitForCatchup()
})

applied.after(async () => {
  await primary`delete from orders where customer_email = ${EMAIL}`
  await waitForCatchup(120_000)
  await Promise.all([primary.end(), ...replicas.map(r => r.end())])
})

const arrived = async () =>
  Promise.all(
    replicas.map(
      async r => (await r`select count(*)::int as n from orders where customer_email = ${EMAIL}`)[0].n as number,
    ),
  )

const check = async () => {
  // A short statement timeout: the compare at an LSN waits no longer for a replica that is applying.
  const run = await runScript('check-replication', ['--json', '--statement-timeout', '5'])
  return { code: run.code, report: JSON.parse(run.stdout) as CheckReport, stdout: run.stdout }
}

applied(`a ${ROWS}-row transaction: check is never OK while a replica lacks its rows`, async () => {
  const [replica1] = config.replicas
  // One connection, held for the whole test: a session in a transaction that blocks inserts into orders.
  const holder = connect(replica1, { max: 1, idleTimeoutSeconds: 0 })
  const held = holder.reserve()
  const session = await held
  await session`begin`
  await session`lock table orders in share mode`
  try {
    await primary`insert into orders (customer_email, total) select ${EMAIL}, 1 from generate_series(1, ${ROWS})`
    let named: CheckReport['verdicts'][number] | undefined
    const deadline = Date.now() + 180_000
    while (!named) {
      const run = await check()
      const counts = await arrived()
      assert.is(counts[0], 0, 'replica1 applied rows through the lock')
      assert.is.not(run.code, 0, `OK while the replicas held ${counts.join(' and ')} of ${ROWS} rows: ${run.stdout}`)
      named = run.report.verdicts.find(v => /waited .* for a lock held on replica1 by pid \d+ /.test(v.problem))
      assert.ok(Date.now() < deadline, `the lock was never named: ${run.stdout}`)
    }
    // The fix as printed: its SQL, run on replica1.
    const statement = /if it is abandoned: (SELECT pg_terminate_backend.*;) on replica1\./.exec(named.fix)?.[1]
    assert.ok(statement, named.fix)
    const terminate = connect(replica1)
    await terminate.unsafe(statement)
    await terminate.end()
  } finally {
    await holder.end({ timeout: 1 }).catch(() => undefined)
  }
  await until('the rows on every replica', 180_000, async () => (await arrived()).every(n => n === ROWS))
  await waitForCatchup(120_000)
  const after = await check()
  assert.is(after.code, 0, after.stdout)
})

applied.run()
