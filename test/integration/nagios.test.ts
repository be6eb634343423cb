// make check --nagios as check_postgres's users expect: one plugin line with perfdata, -w/-c/-t,
// and the same exit code through npm run as from the command itself.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { $ } from 'zx'
import { repoRoot } from '../../scripts/lib/config.js'
import { config, query, runScript } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const nagios = suite('check --nagios')
const [replica1] = config.replicas

nagios.before(ensureReplication)

nagios('one plugin line with perfdata, the same exit code through npm run', async () => {
  // check_postgres's options: -w/-c thresholds (MB), -t the deadline (s).
  await waitForCatchup()
  const direct = await runScript('check-replication', ['--nagios', '-w', '1', '-c', '2', '-t', '30'])
  assert.is(direct.code, 0, direct.stdout)
  // Lag under the 1 MB warning is OK; on a busy machine a few kB are in flight and print as kB.
  assert.match(
    direct.stdout.trim(),
    /^REPLKIT OK - 2 of 2 replicas streaming, max lag \d+(?:\.\d)? k?B \| 'lag_bytes_replica1'=\d+B;1048576;2097152;0; /,
  )
  assert.is(direct.stdout.trim().split('\n').length, 1)
  await query(replica1, `alter subscription sub_${replica1.name} disable`)
  try {
    const npm = await $({ cwd: repoRoot, nothrow: true, quiet: true })`npm run -s check-replication -- --nagios`
    assert.is(npm.exitCode, 2)
    assert.match(npm.stdout, /^REPLKIT CRITICAL - replica1: sub_replica1 is disabled/)
  } finally {
    await query(replica1, `alter subscription sub_${replica1.name} enable`)
  }
  const unknown = await runScript('check-replication', ['--nagios'], { PRIMARY_URL: 'http://nowhere' })
  assert.is(unknown.code, 3)
  assert.is(unknown.stdout.trim(), 'REPLKIT UNKNOWN - config: PRIMARY_URL must start with postgres://, not http://')
  await waitForCatchup()
})

nagios.run()
