// The replication role's line removed from the PRIMARY's pg_hba.conf and the file reloaded: the
// walsenders still stream (rules apply at the next connection), and check is CRITICAL already,
// naming the line that now decides; the fix it prints (make replicate) puts the line back.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import type { CheckReport } from '../../scripts/lib/checks/report.js'
import { config, db, runScript } from './helpers.js'
import { ensureReplication } from './replication-fixture.js'

const admission = suite('replication admission')
const primary = db()
const hbaFile = join(config.clusterDir, config.primary.name, 'pg_hba.conf')

admission.before(async () => {
  await ensureReplication()
})

admission.after(async () => {
  await primary.end()
})

async function check(): Promise<{ code: number; json: CheckReport }> {
  const run = await runScript('check-replication', ['--json'])
  return { code: run.code, json: JSON.parse(run.stdout) }
}

admission(
  'a pg_hba.conf that would refuse the replicas is CRITICAL before they reconnect; make replicate fixes it',
  async () => {
    const before = await readFile(hbaFile, 'utf8')
    const role = new RegExp(`^hostssl\\s+${config.primary.database}\\s+${config.replicatorUser}\\s.*$`, 'm')
    assert.match(before, role)
    await writeFile(hbaFile, before.replace(role, ''))
    await primary`select pg_reload_conf()`
    try {
      const broken = await check()
      assert.is(broken.code, 2)
      const refused = broken.json.verdicts.filter(v => /pg_hba\.conf on .* refuses/.test(v.problem))
      assert.equal(
        refused.map(v => v.problem.split(':')[0]),
        config.replicas.map(
          r =>
            `pg_hba.conf on ${config.primary.name} refuses ${r.name}'s subscription (user ${config.replicatorUser}, database ${config.primary.database}, TLS, from ${r.host})`,
        ),
      )
      // Still streaming: nothing else is wrong yet.
      assert.equal(
        broken.json.lag.map(l => l.source),
        config.replicas.map(() => 'walsender'),
      )
      assert.match(refused[0].fix, /^make replicate/)
      const fixed = await runScript('replicate')
      assert.is(fixed.code, 0, fixed.stdout + fixed.stderr)
      const after = await check()
      assert.equal(
        after.json.verdicts.map(v => v.problem),
        [],
      )
      assert.is(after.code, 0)
    } finally {
      if (!role.test(await readFile(hbaFile, 'utf8'))) {
        await writeFile(hbaFile, before)
        await primary`select pg_reload_conf()`
      }
    }
  },
)

admission.run()
