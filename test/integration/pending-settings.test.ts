// A setting that waits for a restart and would stop the PRIMARY from starting: check says so as
// CRITICAL with "do not restart", and the statement it prints, run as printed, withdraws it.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import type { CheckReport } from '../../scripts/lib/checks/report.js'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { localNode } from '../../scripts/lib/cluster/local-cluster.js'
import { config, db, runScript, until } from './helpers.js'
import { ensureReplication } from './replication-fixture.js'

const pending = suite('pending settings')
const primary = db()
const autoConf = join(localNode(config, config.primary).dataDir, 'postgresql.auto.conf')

pending.before(async () => {
  await ensureReplication()
})

pending.after(async () => {
  // Whatever a failed test left: the setting back to logical in the file, the PRIMARY started.
  await writeFile(autoConf, (await readFile(autoConf, 'utf8')).replace(/^wal_level = .*$/m, "wal_level = 'logical'"))
  await runScript('cluster', ['up'])
  const primary = db()
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

pending(
  'restarted anyway, the PRIMARY does not start: make up and make check name the FATAL line of its log, and the fix as printed starts it',
  async () => {
    await primary.unsafe("alter system set wal_level = 'replica'")
    await primary.end()
    await runScript('cluster', ['stop', config.primary.name])
    const up = await runScript('cluster', ['up'])
    assert.is.not(up.code, 0)
    const fatal = /FATAL: logical replication slot "\S+" exists, but wal_level < logical/
    assert.match(up.stderr, fatal)
    const down = await check()
    assert.is(down.code, 2)
    const verdict = down.json.verdicts.find(v => v.code === 'NODE_DOWN' && v.node === config.primary.name)
    assert.ok(verdict, JSON.stringify(down.json.verdicts))
    assert.match(verdict!.problem, /its last start failed: FATAL: logical replication slot/)
    assert.match(verdict!.problem, /HINT: Change wal_level to be logical or higher/)
    assert.match(verdict!.fix, /edit postgresql\.auto\.conf/)
    // The fix: the setting corrected in the stopped server's postgresql.auto.conf, then start it.
    await writeFile(autoConf, (await readFile(autoConf, 'utf8')).replace(/^wal_level = .*$/m, "wal_level = 'logical'"))
    const started = await runScript('cluster', ['up'])
    assert.is(started.code, 0, started.stdout + started.stderr)
    await until('make check OK once the PRIMARY is back', 30_000, async () => (await check()).code === 0)
  },
)

pending.run()
