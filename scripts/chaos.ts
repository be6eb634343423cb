// make chaos — fault drills that prove nothing is lost: a replica down, a resync under live
// writes, a PRIMARY restart under load, an apply conflict repaired through fix-conflict, and a
// network partition. Each prints its figures and leaves the cluster replicated and healthy.
import { loadConfig } from './lib/config.js'
import { DRILLS } from './lib/chaos/drills.js'
import type { DrillOutcome } from './lib/chaos/harness.js'
import { ReplkitError } from './lib/errors.js'
import { colour, main, mark } from './lib/output.js'
import { cli, positive } from './lib/flags.js'

const names = DRILLS.map(d => d.name)
const argv = await cli(
  'chaos',
  `$0 [--drills LIST] [--rate TPS] [--json]\n\nFault drills on the local cluster: ${names.join(', ')}.\nExit codes: 0 every drill passed (or was skipped with a reason), 2 a drill failed.`,
)
  .option('drills', {
    requiresArg: true,
    type: 'string',
    default: names.join(','),
    describe: 'comma-separated drills to run, in order',
  })
  .option('rate', {
    requiresArg: true,
    default: 500,
    coerce: positive('rate'),
    describe: 'transactions per second of the writer in the drills under load',
  })
  .option('timeout', {
    requiresArg: true,
    default: 60,
    coerce: positive('timeout'),
    describe: 'seconds any one wait (catch-up, copy) may take',
  })
  .option('json', { type: 'boolean', default: false, describe: 'print the outcomes as JSON' })
  .parse()

main(
  async () => {
    const config = loadConfig()
    const wanted = argv.drills.split(',').map(s => s.trim())
    for (const w of wanted)
      if (!names.includes(w)) throw new ReplkitError(`unknown drill ${w} (drills: ${names.join(', ')})`)
    const results: ({ name: string; ok: boolean; ms: number; error?: string } & Partial<DrillOutcome>)[] = []
    for (const drill of DRILLS.filter(d => wanted.includes(d.name))) {
      if (!argv.json) console.log(colour.bold(`\n== ${drill.title}`))
      const started = performance.now()
      try {
        const outcome = await drill.run({ config, timeoutMs: argv.timeout * 1000, rate: argv.rate })
        const ms = Math.round(performance.now() - started)
        results.push({ name: drill.name, ok: true, ms, ...outcome })
        if (argv.json) continue
        if (outcome.skipped) {
          mark.warn(`SKIPPED: ${outcome.skipped}`)
          continue
        }
        for (const p of outcome.proofs) mark.ok(p)
        console.log(
          `  figures: ${Object.entries(outcome.figures)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}; drill ${ms} ms`,
        )
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        results.push({ name: drill.name, ok: false, ms: Math.round(performance.now() - started), error: message })
        if (!argv.json) mark.fail(`${drill.name}: ${message}`)
      }
    }
    const failed = results.filter(r => !r.ok).length
    const skipped = results.filter(r => r.skipped).length
    if (argv.json) console.log(JSON.stringify({ drills: results }, null, 2))
    else console.log(`\n${results.length - failed - skipped} passed, ${skipped} skipped, ${failed} failed`)
    return failed ? 2 : 0
  },
  { deadlineMs: 1_800_000 },
)
