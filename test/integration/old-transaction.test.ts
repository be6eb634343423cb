// A session on the PRIMARY that wrote a row and stayed idle in its transaction makes every logical
// slot keep WAL while the replicas are caught up: check names that session (pid, state, age) and
// never blames a replica; the printed fix (pg_terminate_backend) ends it, and the warning goes.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import type { CheckReport } from '../../scripts/lib/checks/report.js'
import { config, db, runScript, until } from './helpers.js'
import { ensureReplication } from './replication-fixture.js'

const old = suite('old transaction')
const primary = db()

old.before(async () => {
  await ensureReplication()
})

old.after(async () => {
  await primary.end()
})

async function check(): Promise<CheckReport> {
  return JSON.parse((await runScript('check-replication', ['--json'])).stdout)
}

old(
  'an idle-in-transaction writer is named as what keeps the WAL; the replicas are not blamed; terminating it clears it',
  async () => {
    const idle = db()
    let release!: () => void
    const open = new Promise<void>(resolve => {
      release = resolve
    })
    const [{ pid }] = await idle`select pg_backend_pid() as pid`
    const holding = idle
      .begin(async tx => {
        await tx`insert into orders (customer_email, total) values ('replkit-test-idle@example.com', 1)`
        await open
      })
      .catch(() => {}) // terminated by the printed fix
    try {
      // WAL the replicas confirm at once (pgoutput skips logical messages), past the 16 MB the verdict needs.
      for (let i = 0; i < 24; i++)
        await primary`select pg_logical_emit_message(false, 'replkit-test', repeat('x', 1024 * 1024))`
      await until(
        'the transaction to be 30 s old',
        60_000,
        async () =>
          (
            await primary`select now() - xact_start > interval '31 seconds' as old from pg_stat_activity where pid = ${pid}`
          )[0]?.old === true,
      )
      const report = await check()
      const named = report.verdicts.find(v => /a transaction open on /.test(v.problem))
      assert.ok(named, JSON.stringify(report.verdicts))
      assert.match(
        named!.problem,
        new RegExp(
          `\\(pid ${pid}, user ${config.primary.user}, application replkit, idle in transaction, open \\d+ s; last query: insert into orders`,
        ),
      )
      assert.not.ok(
        report.verdicts.some(v => /far behind or stopped/.test(v.fix)),
        JSON.stringify(report.verdicts),
      )
      const statement = /on primary: (SELECT pg_terminate_backend\(\d+\));/.exec(named!.fix)![1]
      await primary.unsafe(statement)
      await until(
        'the warning to clear',
        60_000,
        async () => !(await check()).verdicts.some(v => /a transaction open on /.test(v.problem)),
      )
    } finally {
      release()
      await holding
      await idle.end({ timeout: 1 })
    }
  },
)

old.run()
