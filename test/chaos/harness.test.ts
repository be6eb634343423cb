// The drills stop and start servers: they run only on nodes of this checkout's local cluster,
// and name every other node before doing anything.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { requireLocal } from '../../scripts/lib/chaos/harness.js'
import { type Config, loadConfig } from '../../scripts/lib/config.js'

test('a drill refuses nodes the local cluster does not run, by name; its own nodes pass', async () => {
  const clusterDir = await mkdtemp(join(tmpdir(), 'replkit-drill-'))
  const base = loadConfig()
  const config: Config = { ...base, clusterDir }
  const [replica1, replica2] = config.replicas
  // The local cluster made replica1 (its node file exists); replica2 is someone else's server.
  await mkdir(join(clusterDir, replica1.name), { recursive: true })
  await writeFile(join(clusterDir, replica1.name, 'replkit-node.conf'), '')
  assert.is(requireLocal(config, [replica1]), undefined)
  assert.is(
    requireLocal(config, [replica1, replica2]),
    `${replica2.name} not on the local cluster: this drill stops and starts servers`,
  )
})

test.run()
