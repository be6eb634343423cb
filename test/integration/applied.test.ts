// "Applied" means committed on the replica: one large transaction on the PRIMARY (streamed to the
// subscribers, which confirm streamed changes as they spool them), and make check is never OK
// while a replica still lacks its rows. A check whose run ended with the rows still missing on a
// replica saw them missing all along, so it must not have said OK.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { CheckReport } from '../../scripts/lib/checks/format.js'
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

applied(`a ${ROWS}-row transaction: check is never OK while a replica lacks its rows`, async () => {
  await primary`insert into orders (customer_email, total) select ${EMAIL}, 1 from generate_series(1, ${ROWS})`
  // From the moment a replica applies the committed transaction (its worker holds it open) —
  // the state in which the walsender's position already read as a few bytes behind.
  await until('a replica to start applying the transaction', 120_000, async () =>
    (
      await Promise.all(
        replicas.map(
          r => r`
      select 1 from pg_stat_subscription w join pg_stat_activity a on a.pid = w.pid
       where w.relid is null and a.backend_xid is not null`,
        ),
      )
    ).some(rows => rows.length > 0),
  )
  const whileMissing: string[] = []
  const deadline = Date.now() + 180_000
  for (;;) {
    // A short statement timeout: the compare at an LSN waits no longer for a replica that is applying.
    const run = await runScript('check-replication', ['--json', '--statement-timeout', '5'])
    const counts = await arrived()
    if (counts.every(n => n === ROWS)) break
    const json = JSON.parse(run.stdout) as CheckReport
    whileMissing.push(`${json.status}: ${json.verdicts.map(v => v.problem).join(' | ')}`)
    assert.is.not(
      run.code,
      0,
      `OK while the replicas held ${counts.join(' and ')} of ${ROWS} rows: ${run.stdout.slice(0, 400)}`,
    )
    assert.ok(Date.now() < deadline, 'the rows never arrived')
  }
  assert.ok(whileMissing.length > 0, 'no check ran while the rows were missing: the test proved nothing')
  assert.ok(
    whileMissing.some(s => /has not applied a transaction the PRIMARY committed|still to apply/.test(s)),
    whileMissing.join('\n'),
  )
})

applied.run()
