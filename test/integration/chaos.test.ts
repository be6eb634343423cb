// make chaos inside make test: every fault drill passes (or skips with its reason printed) and
// leaves the cluster replicated and healthy. The figures are printed for the test log.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import type { DrillOutcome } from '../../scripts/lib/chaos/harness.js'
import { runScript } from './helpers.js'
import { ensureReplication } from './replication-fixture.js'

const chaos = suite('chaos drills')
type Result = { name: string; ok: boolean; ms: number; error?: string } & Partial<DrillOutcome>

chaos.before(async () => {
  await ensureReplication()
})

for (const drill of ['replica-down', 'resync-under-load', 'primary-restart', 'conflict', 'partition']) {
  chaos(`${drill}: passes, or skips with a printed reason`, async () => {
    const run = await runScript('chaos', ['--json', '--drills', drill])
    const [result] = (JSON.parse(run.stdout) as { drills: Result[] }).drills
    console.log(
      `    ${drill}: ${
        result.skipped
          ? `SKIPPED: ${result.skipped}`
          : Object.entries(result.figures ?? {})
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')
      } (${result.ms} ms)`,
    )
    assert.ok(result.ok, result.error)
    assert.is(run.code, 0)
    if (result.skipped) assert.ok(result.skipped.length > 20)
    else assert.ok(result.proofs!.includes('make check: exit 0 afterwards'))
    // The drill's namespace, veth, node, slot and PRIMARY exposure must not outlive it.
    if (drill === 'partition' && !result.skipped)
      assert.ok(
        result.proofs!.some(p => p.startsWith('removed again:')),
        result.proofs!.join('\n'),
      )
  })
}

chaos.run()
