import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { repoRoot } from '../../scripts/lib/config.js'
import { latestBlock } from '../../scripts/lib/bench/performance-page.js'

test("docs/performance.md's block is exactly what make bench writes from bench/results/latest.json", async () => {
  const report = JSON.parse(await readFile(join(repoRoot, 'bench/results/latest.json'), 'utf8'))
  const page = await readFile(join(repoRoot, 'docs/performance.md'), 'utf8')
  const block = latestBlock(report)
  assert.ok(
    page.includes(block),
    'docs/performance.md differs from latest.json: run make bench (it regenerates the block), never edit it by hand',
  )
  assert.match(block, /not replicated: .*\n[\s\S]*replicating to 2 replicas: /)
})

test.run()
