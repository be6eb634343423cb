// uvu runs only the tests a suite registered before its run(): a test after run() is silently
// skipped. Every test file ends with its suites' run() calls.
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { repoRoot } from '../scripts/lib/config.js'

test('no test is registered after its suite runs', async () => {
  const files = (await readdir(join(repoRoot, 'test'), { recursive: true })).filter(f => f.endsWith('.test.ts'))
  assert.ok(files.length > 20, `found ${files.length} test files`)
  for (const file of files) {
    const lines = (await readFile(join(repoRoot, 'test', file), 'utf8')).trimEnd().split('\n')
    const firstRun = lines.findIndex(l => /^\w+\.run\(\)$/.test(l))
    assert.ok(firstRun >= 0, `${file} never runs its suite`)
    const after = lines.slice(firstRun).filter(l => !/^\w+\.run\(\)$/.test(l) && l.trim() !== '')
    assert.equal(after, [], `${file}: code after run() at line ${firstRun + 1}`)
  }
})

test.run()
