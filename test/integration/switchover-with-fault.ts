// make switchover with one fault injected as a step completes — a tool of the switchover tests,
// never shipped. Usage: tsx switchover-with-fault.ts TARGET STEP[:crash] [--allow-older]
// STEP fails the switchover there (it must roll back); STEP:crash kills the process there, as a
// power cut would, leaving the half-moved state for the next run to undo or finish; STEP:slow
// makes that step take 1.5 s more (with --max-pause SECONDS, the budget must roll it back).
import { loadConfig } from '../../scripts/lib/config.js'
import { EXIT, ReplkitError } from '../../scripts/lib/errors.js'
import { main } from '../../scripts/lib/output.js'
import { Steps } from '../../scripts/lib/steps.js'
import { switchover } from '../../scripts/lib/switchover/switchover.js'
import { serverAccess } from '../../scripts/lib/cluster/access.js'

const [to, fault, ...flags] = process.argv.slice(2)
const [faultStep, crash] = fault.split(':')

main(async () => {
  const opts = {
    to,
    dryRun: false,
    maxLagBytes: 1024 * 1024,
    allowOlder: flags.includes('--allow-older'),
    timeoutMs: 30_000,
    maxPauseMs: flags.includes('--max-pause') ? Number(flags[flags.indexOf('--max-pause') + 1]) * 1000 : undefined,
    afterStep: (step: string) => {
      if (step !== faultStep) return
      if (crash === 'slow') return void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500)
      if (crash) process.exit(137)
      throw new ReplkitError(`injected fault at ${step}`, EXIT.failed)
    },
  }
  const config = loadConfig()
  const result = await switchover(config, { ...opts, servers: serverAccess(config) }, new Steps())
  return result.steps.exitCode()
})
