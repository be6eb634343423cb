// What npm pack ships: the commands, their SQL and configuration — no tests, benchmarks, drills or
// the test runner (they run from the checkout).
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { repoRoot } from '../scripts/lib/config.js'

test('the packed tarball holds no test, bench or chaos code', () => {
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as { files: { path: string }[] }[]
  const paths = packed.files.map(f => f.path)
  assert.ok(paths.includes('bin/replkit.js'))
  assert.ok(paths.includes('sql/replication/010_wal_level.sql'))
  const tooling = paths.filter(p =>
    /^(test|bench)\/|^sql\/(bench|chaos)\/|dist\/scripts\/(bench|chaos|run-tests)\.js$|scripts\/lib\/(bench|chaos)\//.test(
      p,
    ),
  )
  assert.equal(tooling, [])
})

test('the tarball installs into an empty directory with nothing to fetch, and its command runs there', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'replkit-pack-'))
  try {
    const run = (cmd: string, args: string[], cwd = dir) =>
      execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    const [{ filename }] = JSON.parse(
      run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], repoRoot),
    ) as { filename: string }[]
    // --offline: the bundle in dist/ carries every runtime package, so the install needs no registry.
    run('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', join(dir, filename)])
    const bin = join(dir, 'node_modules/.bin/replkit')
    assert.is(run(bin, ['--version']).trim(), '0.1.0')
    assert.match(run(bin, ['help']), /check +health report/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
