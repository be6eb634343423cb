// make switchover — a replica becomes the PRIMARY with nothing lost, and the old PRIMARY becomes a
// replica of it, so going back is the same command (scripts/lib/switchover/). The major-version
// upgrade path: with the PRIMARY on 15 and a replica on 18, --to that replica moves to 18.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeRoles } from './lib/env-file.js'
import { cli, dryRunFlag, positive, secondsFlag, yesFlag, requireYes } from './lib/flags.js'
import { dryRunSql, main, withoutColour } from './lib/output.js'
import { type Config, findNode, loadConfig } from './lib/config.js'
import { type Steps, commandSteps } from './lib/steps.js'
import { switchover } from './lib/switchover/switchover.js'
import { serverAccess } from './lib/cluster/access.js'

const argv = await cli(
  'switchover',
  '$0 --to REPLICA --yes [--dry-run] [--max-lag MB] [--max-pause S] [--write-env] [--json]\n\n' +
    'Promote a replica to PRIMARY: prove every table equal on every node at an LSN (under live writes),\n' +
    'fence the PRIMARY (read-only, open sessions ended), wait until every replica has applied its last\n' +
    'LSN with no apply error since the proof, raise the sequences, move every subscription to the new\n' +
    'PRIMARY without a copy, and let it take writes. A failure before that\n' +
    'rolls back (the old PRIMARY takes writes again) and exits 2. Roles come from the catalogues, so the\n' +
    "way back is the same command with the old PRIMARY's name. With PGBOUNCER_PORT set, PgBouncer is paused\n" +
    'before the fence and resumed on the new PRIMARY: its clients wait instead of failing.',
)
  .option('to', {
    requiresArg: true,
    type: 'string',
    demandOption: true,
    describe: 'the replica to promote (a node name; make help lists them)',
  })
  .option('yes', yesFlag('writes pause while the PRIMARY is fenced, and the roles change'))
  .option('dry-run', dryRunFlag)
  .option('max-lag', {
    requiresArg: true,
    default: 1,
    coerce: positive('max-lag', { allowZero: true }),
    describe: 'refuse when the target lags more than this many MB',
  })
  .option('allow-older', {
    type: 'boolean',
    default: false,
    describe: 'allow a target that runs an older PostgreSQL major (a downgrade)',
  })
  .option('max-pause', {
    requiresArg: true,
    default: 10,
    coerce: positive('max-pause'),
    describe: 'seconds the write pause may take; a step before the promote that ends later rolls back, naming it',
  })
  .option('timeout', secondsFlag("seconds to wait for the replicas to apply the fenced PRIMARY's last LSN", 30))
  .option('write-env', {
    type: 'boolean',
    default: false,
    describe: 'write the new roles into .env (PRIMARY_NAME, PRIMARY_URL, REPLICA_NAMES, REPLICA_URLS, PG_VERSIONS)',
  })
  .option('json', {
    type: 'boolean',
    default: false,
    describe: 'print only the result (roles, write pause, steps) as JSON on stdout',
  })
  .parse()

type Result = Awaited<ReturnType<typeof switchover>>

/** The switchover's record: roles, the write pause, the proof's time, each step (and --dry-run's statements). */
function reportOf(result: Result, steps: Steps) {
  return {
    dryRun: argv.dryRun,
    from: result.from,
    to: result.to,
    primary: result.primaryLabel,
    writePauseMs: result.writePauseMs,
    /** The proof that every table is equal, before the fence (outside the pause). */
    proofMs: result.proofMs === null ? null : Math.round(result.proofMs),
    totalMs: Math.round(result.totalMs),
    steps: steps.lines.map(withoutColour),
    ...(argv.dryRun ? { statements: dryRunSql.statements } : {}),
  }
}

/** Every switchover that moved the roles is kept in SAVE_DIR/switchovers, one JSON file each. */
async function saveReport(saveDir: string, report: ReturnType<typeof reportOf>): Promise<void> {
  const dir = join(saveDir, 'switchovers')
  await mkdir(dir, { recursive: true })
  await writeFile(
    join(dir, `${new Date().toISOString().replaceAll(':', '-')}.json`),
    `${JSON.stringify(report, null, 2)}\n`,
  )
}

/** --write-env: .env names the new roles (unless the environment overrides it, which is said). */
async function writeEnv(configured: Config, result: Result, steps: Steps): Promise<void> {
  const overridden = await writeRoles(configured, result.config)
  if (overridden.length)
    steps.warn(`.env updated, but the environment sets ${overridden.join(', ')}, which wins over .env: update it too`)
  else steps.ok('.env: PRIMARY_URL and REPLICA_URLS name the new roles', true)
}

function printSummary(result: Result, steps: Steps): void {
  if (result.writePauseMs !== null) {
    console.log(
      `\nwrite pause: ${result.writePauseMs.toFixed(0)} ms (the fence to ${result.to} taking writes); done in ${(result.totalMs / 1000).toFixed(1)} s`,
    )
    console.log(
      `the application's PRIMARY is now ${result.primaryLabel} (${result.to})${argv.writeEnv ? '' : '; .env unchanged (--write-env updates it); make check finds the roles from the catalogues'}`,
    )
  }
  console.log(`\n${steps.tally(argv.dryRun)}`)
}

main(
  async () => {
    const configured = loadConfig()
    findNode(configured, argv.to) // a wrong name is refused before --yes is asked for
    requireYes(argv, 'switchover fences the PRIMARY (writes pause) and moves the roles', 'the plan and its SQL')
    const steps = commandSteps(argv.json)
    const options = {
      to: argv.to,
      dryRun: argv.dryRun,
      maxLagBytes: argv.maxLag * 1024 * 1024,
      allowOlder: argv.allowOlder,
      timeoutMs: argv.timeout * 1000,
      maxPauseMs: argv.maxPause * 1000,
      servers: serverAccess(configured),
    }
    const result = await switchover(configured, options, steps)
    if (result.writePauseMs !== null) await saveReport(configured.saveDir, reportOf(result, steps))
    if (argv.writeEnv && !argv.dryRun) await writeEnv(configured, result, steps)
    if (argv.json) console.log(JSON.stringify(reportOf(result, steps), null, 2))
    else printSummary(result, steps)
    return steps.exitCode()
  },
  { deadlineMs: argv.timeout * 4000 + 120_000 },
)
