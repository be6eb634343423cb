// A setting that waits for a restart and would stop the PRIMARY from starting: check says so as
// CRITICAL with "do not restart", and the statement it prints, run as printed, withdraws it.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import type { CheckReport } from '../../scripts/lib/checks/report.js'
import { config, db, runScript } from './helpers.js'
import { ensureReplication } from './replication-fixture.js'

const pending = suite('pending settings')
const primary = db()

pending.before(async () => {
  await ensureReplication()
})

pending.after(async () => {
  await primary.unsafe('alter system reset wal_level')
  await primary.unsafe("alter system set wal_level = 'logical'")
  await primary`select pg_reload_conf()`
  await primary.end()
})

async function check(): Promise<{ code: number; json: CheckReport }> {
  const run = await runScript('check-replication', ['--json'])
  return { code: run.code, json: JSON.parse(run.stdout) }
}

pending(
  'a pending wal_level = replica beside logical slots: CRITICAL, "do not restart", and the printed fix withdraws it',
  async () => {
    await primary.unsafe("alter system set wal_level = 'replica'")
    await primary`select pg_reload_conf()`
    const broken = await check()
    assert.is(broken.code, 2)
    const verdict = broken.json.verdicts.find(v => /waits for a restart/.test(v.problem))
    assert.ok(verdict, JSON.stringify(broken.json.verdicts))
    assert.match(
      verdict!.problem,
      new RegExp(
        `wal_level = replica waits for a restart on ${config.primary.name}, and \\d+ logical slots exist: the PRIMARY would not start again`,
      ),
    )
    assert.match(verdict!.fix, /^do not restart the PRIMARY/)
    assert.not.ok(broken.json.verdicts.some(v => /restart the PRIMARY to apply it/.test(v.fix)))
    const statements = /on it: (ALTER SYSTEM SET wal_level = logical); (SELECT pg_reload_conf\(\));/.exec(verdict!.fix)!
    for (const statement of statements.slice(1)) await primary.unsafe(statement)
    const fixed = await check()
    assert.equal(
      fixed.json.verdicts.map(v => v.problem),
      [],
    )
    assert.is(fixed.code, 0)
  },
)

pending.run()
