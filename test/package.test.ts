// What npm pack ships: the commands, their SQL and configuration — no tests, benchmarks, drills or
// the test runner (they run from the checkout).
import { execFileSync } from 'node:child_process'
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

test.run()
