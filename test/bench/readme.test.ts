import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { repoRoot } from '../../scripts/lib/config.js'
import { latestBlock } from '../../scripts/lib/bench/readme.js'

test("the README's performance block is exactly what make bench writes from bench/results/latest.json", async () => {
  const report = JSON.parse(await readFile(join(repoRoot, 'bench/results/latest.json'), 'utf8'))
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8')
  const block = latestBlock(report)
  assert.ok(
    readme.includes(block),
    'README.md differs from latest.json: run make bench (it regenerates the block), never edit it by hand',
  )
  assert.match(block, /not replicated: .*\n[\s\S]*replicating to 2 replicas: /)
})

test.run()
