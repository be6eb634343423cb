// The local cluster wherever CLUSTER_DIR points: outside the checkout it works (on its own ports,
// beside the test cluster); where the postgres user cannot enter, one line says why and what to
// do, and nothing is written.
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { config, runScript } from './helpers.js'

const cluster = suite('local cluster placement')
const isRoot = process.getuid?.() === 0
const ports = [55431, 55432, 55433]
const urls = ports.map(p => `postgres://postgres:outside@127.0.0.1:${p}/shop`)
const env = (dir: string) => ({ CLUSTER_DIR: dir, PRIMARY_URL: urls[0], REPLICA_URLS: urls.slice(1).join(',') })

cluster('CLUSTER_DIR outside the checkout: up, status, clean', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'replkit-outside-'))
  await chmod(parent, 0o755)
  const dir = join(parent, 'cluster')
  try {
    const up = await runScript('cluster', ['up'], env(dir))
    assert.is(up.code, 0, up.stdout + up.stderr)
    assert.ok(existsSync(join(dir, 'primary', 'PG_VERSION')))
    // The server reads its settings from its data directory, never from the checkout.
    assert.ok(existsSync(join(dir, 'primary', 'replkit-shared.conf')))
    const status = await runScript('cluster', ['status'], env(dir))
    assert.is(status.code, 0, status.stdout)
    assert.match(
      status.stdout,
      new RegExp(`primary\\s+running\\s+${config.localMajors.primary}\\s+127\\.0\\.0\\.1:55431`),
    )
  } finally {
    const clean = await runScript('cluster', ['clean', '--yes'], env(dir))
    assert.is(clean.code, 0, clean.stdout + clean.stderr)
    await rm(parent, { recursive: true, force: true })
  }
})

cluster('CLUSTER_DIR the postgres user cannot enter: one line, nothing written', async () => {
  if (!isRoot) return console.log('    (skipped: needs root, which runs the servers as the postgres user)')
  const locked = await mkdtemp(join(tmpdir(), 'replkit-locked-'))
  await chmod(locked, 0o700)
  const dir = join(locked, 'cluster')
  try {
    const up = await runScript('cluster', ['up'], env(dir))
    assert.is(up.code, 1)
    const lines = up.stderr.trim().split('\n')
    assert.is(lines.length, 1, up.stderr)
    assert.match(
      lines[0],
      new RegExp(
        `CLUSTER_DIR ${dir}: the postgres user that runs PostgreSQL cannot enter ${locked} \\(mode 700\\); set CLUSTER_DIR`,
      ),
    )
    assert.equal(await readdir(locked), [])
  } finally {
    await rm(locked, { recursive: true, force: true })
  }
})

cluster.run()
